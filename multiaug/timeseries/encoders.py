"""Small time-series encoders used by :class:`~multiaug.timeseries.parametric.AutoTCL`.

:class:`DilatedConvEncoder` follows the TS2Vec / CoST family used by the AutoTCL authors: a 1x1 input
projection, then residual blocks of two same-padded dilated convolutions (dilation ``2 ** i``) with
GELU activations. It maps ``(N, C, T)`` to per-step representations ``(N, D, T)``; :func:`pool`
max-pools them over time into ``(N, D)``.

Modules are built on the ``meta`` device and initialised from an explicit ``torch.Generator``
(:func:`build_module`), so building one never reads or advances PyTorch's global random state.
"""
from __future__ import annotations

import contextlib
import math
from typing import Callable, Iterator

import torch
from torch import nn


class SamePadConv(nn.Module):
    """Dilated 1-D convolution whose output has the input's length."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1):
        super().__init__()
        receptive = (kernel_size - 1) * dilation + 1
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=receptive // 2, dilation=dilation)
        self.trim = 1 if receptive % 2 == 0 else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out[:, :, : out.shape[2] - self.trim] if self.trim else out


class ConvBlock(nn.Module):
    """GELU -> dilated conv -> GELU -> dilated conv, plus a residual (1x1 projection when needed)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int, final: bool = False):
        super().__init__()
        self.conv1 = SamePadConv(in_channels, out_channels, kernel_size, dilation)
        self.conv2 = SamePadConv(out_channels, out_channels, kernel_size, dilation)
        self.projector = nn.Conv1d(in_channels, out_channels, 1) if in_channels != out_channels or final else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.projector is None else self.projector(x)
        x = self.conv1(nn.functional.gelu(x))
        x = self.conv2(nn.functional.gelu(x))
        return x + residual


class DilatedConvEncoder(nn.Module):
    """``(N, C, T)`` -> ``(N, output_dims, T)``: input projection + ``depth`` dilated residual blocks
    (hidden width ``hidden_dims``) + one output block. The AutoTCL paper uses depth 10, hidden 64,
    output 320."""

    def __init__(self, in_channels: int, output_dims: int = 320, hidden_dims: int = 64, depth: int = 10,
                 kernel_size: int = 3):
        super().__init__()
        self.in_channels = in_channels
        self.output_dims = output_dims
        self.input_fc = nn.Conv1d(in_channels, hidden_dims, 1)
        widths = [hidden_dims] * depth + [output_dims]
        self.blocks = nn.Sequential(
            *[
                ConvBlock(widths[i - 1] if i > 0 else hidden_dims, widths[i], kernel_size, dilation=2**i,
                          final=i == len(widths) - 1)
                for i in range(len(widths))
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.input_fc(x))


def pool(reps: torch.Tensor) -> torch.Tensor:
    """Series-level representation: ``(N, D, T)`` is max-pooled over time; ``(N, D)`` is returned as is."""
    if reps.dim() == 3:
        return reps.amax(dim=2)
    if reps.dim() == 2:
        return reps
    raise ValueError(f"encoder output: expected (N, D) or (N, D, T) representations, got shape {tuple(reps.shape)}")


def init_from_generator(module: nn.Module, g: torch.Generator) -> nn.Module:
    """(Re)initialise every parameter of ``module`` in place from ``g``: weights and biases uniform in
    ``+-1/sqrt(fan_in)`` (PyTorch's default scale for linear and convolution layers), norms at 1/0."""
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, (nn.Conv1d, nn.Linear)):
                w = sub.weight
                fan_in = w.shape[1] * (w[0, 0].numel() if w.dim() > 2 else 1)
                bound = 1.0 / math.sqrt(max(fan_in, 1))
                w.uniform_(-bound, bound, generator=g)
                if sub.bias is not None:
                    sub.bias.uniform_(-bound, bound, generator=g)
            elif isinstance(sub, (nn.LayerNorm, nn.BatchNorm1d, nn.GroupNorm)):
                if sub.weight is not None:
                    sub.weight.fill_(1.0)
                if sub.bias is not None:
                    sub.bias.zero_()
    return module


def build_module(factory: Callable[[], nn.Module], device: torch.device, g: torch.Generator | None) -> nn.Module:
    """Build ``factory()`` without touching the global RNG (on the meta device), initialise it from the
    CPU generator ``g`` (zeros when ``g`` is None: load weights next) and move it to ``device``."""
    with torch.device("meta"):
        module = factory()
    module = module.to(torch.float32).to_empty(device="cpu")  # float32 whatever torch's default dtype
    if g is not None:
        init_from_generator(module, g)
    else:
        with torch.no_grad():
            for p in module.parameters():
                p.zero_()
    return module.to(device)


@contextlib.contextmanager
def deterministic_convolutions(device: torch.device | str) -> Iterator[None]:
    """On CUDA, cuDNN restricted to deterministic algorithms (no autotuning) inside the block, the rest
    of its settings unchanged, so a seeded fit replays exactly on the same device (cuDNN may otherwise
    pick a convolution backward that accumulates in a varying order). Elsewhere: nothing."""
    if torch.device(device).type != "cuda":
        yield
        return
    cudnn = torch.backends.cudnn
    with cudnn.flags(enabled=cudnn.enabled, benchmark=False, deterministic=True, allow_tf32=cudnn.allow_tf32):
        yield

