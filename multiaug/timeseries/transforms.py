"""Classic time-series augmentations (classes; the math lives in :mod:`.functional`).

All of them work on ``(N, C, T)`` batches with one random draw per series, vectorised (no Python
loop over series), on the input's device, with the instance's generator. Parameters given as a
``(low, high)`` pair are drawn uniformly per series. ``lengths`` (variable-length batches) and
``apply_mask`` (paired masks / segmentation labels) are described in
:class:`~multiaug.timeseries.base.TimeSeriesAugmenter`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..core import Params
from ..core.constraints import Boolean, Integral, Interval, Pair, Real, SequenceOf
from ..core.hostreads import min_max
from ..core.labels import check_class_columns, class_columns, class_list, current_batch_classes, labels_to_numpy
from ..registry import register
from . import functional as F
from .base import TimeSeriesAugmenter, _transposed_hint


class _TimeMap(TimeSeriesAugmenter):
    """Base of time-axis augmenters: ``_sample`` returns a position map ``pos`` (N, T)."""

    warps_time = True
    min_length = 2
    #: "linear" for fractional positions, "nearest" for maps that only move whole steps (exact copies)
    resample_mode = "linear"

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        mode = self.resample_mode if x.is_floating_point() else "nearest"
        lengths = params.get("lengths")
        return F.keep_padding(F.resample(x, params["pos"], mode, lengths), x, lengths)


@register("jitter")
class Jitter(TimeSeriesAugmenter):
    """Add Gaussian noise to every time step: ``x + sigma * N(0, 1)``.

    ``sigma`` is a float or a ``(low, high)`` range drawn uniformly per series."""

    magnitude_range = {"sigma": (0.0, 0.2)}

    def __init__(self, sigma: float | tuple[float, float] = 0.03, **kwargs: Any):
        self.sigma = sigma
        super().__init__(**kwargs)

    _parameter_constraints = {"sigma": [Interval(Real, 0, None), Pair(Real, 0, None)]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        sigma = F.draw_range(self.sigma, x.shape[0], g, x.device)
        noise = torch.randn(x.shape, generator=g, device=x.device, dtype=torch.float32)
        return {"sigma": sigma, "noise": noise}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.keep_padding(F.jitter(x, params["noise"], params["sigma"]), x, params.get("lengths"))


@register("scaling")
class Scaling(TimeSeriesAugmenter):
    """Multiply each channel of each series by a random factor ``~ N(1, sigma)`` (Um et al. 2017)."""

    magnitude_range = {"sigma": (0.0, 0.5)}

    def __init__(self, sigma: float = 0.1, **kwargs: Any):
        self.sigma = sigma
        super().__init__(**kwargs)

    _parameter_constraints = {"sigma": [Interval(Real, 0, None)]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        z = torch.randn(x.shape[:2], generator=g, device=x.device, dtype=torch.float32)
        return {"factor": 1.0 + float(self.sigma) * z}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.keep_padding(F.scale(x, params["factor"]), x, params.get("lengths"))


@register("magnitude_warp")
class MagnitudeWarp(TimeSeriesAugmenter):
    """Multiply by a smooth random curve (cubic through ``n_knots + 2`` evenly spaced values ``~ N(1, sigma)``:
    ``n_knots`` inner knots plus both ends, as Um et al.'s code), one curve per series and channel
    (Um et al. 2017)."""

    magnitude_range = {"sigma": (0.0, 0.5)}

    def __init__(self, sigma: float = 0.2, n_knots: int = 4, **kwargs: Any):
        self.sigma = sigma
        self.n_knots = n_knots
        super().__init__(**kwargs)

    _parameter_constraints = {"sigma": [Interval(Real, 0, None)], "n_knots": [Interval(Integral, 1, None)]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, c, _ = x.shape
        knots = 1.0 + float(self.sigma) * torch.randn(n, c, int(self.n_knots) + 2, generator=g, device=x.device, dtype=torch.float32)
        return {"knots": knots}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        lengths = params.get("lengths")
        return F.keep_padding(F.magnitude_warp(x, params["knots"], lengths), x, lengths)


@register("time_warp")
class TimeWarp(_TimeMap):
    """Smooth monotone time distortion (tsaug ``TimeWarp``): the playback speed changes smoothly across
    ``n_speed_change + 1`` knots, the fastest being at most ``max_speed_ratio`` times the slowest;
    start and end stay in place. ``max_speed_ratio`` may be a (low, high) range drawn per series.

    Not tsaug's draws at the same settings: tsaug gives each of ``n_speed_change + 1`` segments its own
    speed and interpolates the positions (PCHIP), so its instantaneous speeds differ by more than
    ``max_speed_ratio`` (median about 5x at its defaults) and its warps move steps further; here the
    speed is interpolated linearly between knots and its extremes are exactly ``max_speed_ratio`` apart.
    Mean displacement of a step, T = 200: about 11.5 steps against tsaug's 14.4 at the defaults (3, 3.0),
    11 against 22 at (1, 2.0). For warps as strong as tsaug's, raise ``max_speed_ratio`` (about 4.0 matches
    tsaug's mean displacement at its defaults)."""

    magnitude_range = {"max_speed_ratio": (1.0, 4.0)}

    def __init__(self, n_speed_change: int = 3, max_speed_ratio: float | tuple[float, float] = 3.0, **kwargs: Any):
        self.n_speed_change = n_speed_change
        self.max_speed_ratio = max_speed_ratio
        super().__init__(**kwargs)

    _parameter_constraints = {
        "n_speed_change": [Interval(Integral, 1, None)],
        "max_speed_ratio": [Interval(Real, 1, None), Pair(Real, 1, None)],
    }

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n = x.shape[0]
        ratio = F.draw_range(self.max_speed_ratio, n, g, x.device)
        u = torch.rand(n, int(self.n_speed_change) + 1, generator=g, device=x.device, dtype=torch.float32)
        # log-speeds spread over [0, log ratio]: the extremes are exactly `ratio` apart
        lo, hi = u.amin(1, keepdim=True), u.amax(1, keepdim=True)
        u = (u - lo) / (hi - lo).clamp_min(1e-12)
        speed = torch.exp(u * torch.log(ratio)[:, None])
        return {"pos": F.time_warp_pos(speed, x.shape[-1], lengths, dtype=F.pos_dtype(x))}


@register("window_slice")
class WindowSlice(_TimeMap):
    """Crop a random window of ``reduce_ratio`` times the length and stretch it back to the full length
    (Le Guennec et al. 2016)."""

    magnitude_range = {"reduce_ratio": (1.0, 0.5)}

    def __init__(self, reduce_ratio: float = 0.9, **kwargs: Any):
        self.reduce_ratio = reduce_ratio
        super().__init__(**kwargs)

    _parameter_constraints = {"reduce_ratio": [Interval(Real, 0, 1, closed="right")]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n = x.shape[0]
        size = torch.full((n,), float(self.reduce_ratio), device=x.device, dtype=torch.float32)
        start = torch.rand(n, generator=g, device=x.device, dtype=torch.float32) * (1.0 - size)
        return {"pos": F.crop_pos(start, size, x.shape[-1], lengths, dtype=F.pos_dtype(x))}


@register("crop_resize")
class CropResize(_TimeMap):
    """Random resized crop: a window whose size is drawn per series in ``scale`` (fractions of the
    length), at a random offset, stretched back to the full length."""

    magnitude_range = {"min_scale": (1.0, 0.3)}

    def __init__(self, scale: tuple[float, float] = (0.5, 1.0), min_scale: float | None = None, **kwargs: Any):
        self.scale = scale
        self.min_scale = min_scale
        super().__init__(**kwargs)

    _parameter_constraints = {
        "scale": [Pair(Real, 0, 1, closed="right")],
        "min_scale": [None, Interval(Real, 0, 1, closed="right", desc="a float in (0, 1] (overrides scale[0]; set by RandAugment)")],
    }

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n = x.shape[0]
        lo, hi = float(self.scale[0]), float(self.scale[1])
        if self.min_scale is not None:
            lo = min(float(self.min_scale), hi)
        size = F.draw_uniform((n,), lo, hi, g, x.device)
        start = torch.rand(n, generator=g, device=x.device, dtype=torch.float32) * (1.0 - size)
        return {"pos": F.crop_pos(start, size, x.shape[-1], lengths, dtype=F.pos_dtype(x))}


@register("window_warp")
class WindowWarp(_TimeMap):
    """Window warping (Le Guennec et al. 2016): a random window of ``window_ratio`` of the length is
    slowed down or sped up by a factor chosen per series among ``scales``; the series is resampled
    back to its length."""

    magnitude_range = {"window_ratio": (0.0, 0.3)}

    def __init__(self, window_ratio: float = 0.1, scales: tuple[float, ...] = (0.5, 2.0), **kwargs: Any):
        self.window_ratio = window_ratio
        self.scales = scales
        super().__init__(**kwargs)

    _parameter_constraints = {
        "window_ratio": [Interval(Real, 0, 1)],
        # speeds past 100x (or below 1/100) make the window swallow the series or vanish, and the float32
        # position map loses its precision there (0.3 steps at 1e3, NaN from ~1e38)
        "scales": [SequenceOf(Interval(Real, 0.01, 100), min_len=1, desc="a non-empty list of speed factors in [0.01, 100]")],
    }

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n = x.shape[0]
        width = torch.full((n,), float(self.window_ratio), device=x.device, dtype=torch.float32)
        start = torch.rand(n, generator=g, device=x.device, dtype=torch.float32) * (1.0 - width)
        choices = torch.tensor([float(s) for s in self.scales], device=x.device, dtype=torch.float32)
        speed = choices[torch.randint(0, len(choices), (n,), generator=g, device=x.device)]
        return {"pos": F.window_warp_pos(start, width, speed, x.shape[-1], lengths, dtype=F.pos_dtype(x))}


@register("permutation")
class Permutation(_TimeMap):
    """Cut each series into ``n_segments`` pieces at random points and shuffle them (Um et al. 2017).
    ``equal_segments=True`` uses equal-length pieces.

    A series with fewer (valid) steps than ``n_segments`` is cut into as many segments as it has
    steps, one step each, all shuffled (a uniform permutation of its steps), its padding untouched;
    the other series of the batch are cut as usual."""

    magnitude_range = {"n_segments": (1, 10)}
    resample_mode = "nearest"

    def __init__(self, n_segments: int = 5, equal_segments: bool = False, **kwargs: Any):
        self.n_segments = n_segments
        self.equal_segments = equal_segments
        super().__init__(**kwargs)

    _parameter_constraints = {"n_segments": [Interval(Integral, 1, None)], "equal_segments": [Boolean()]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, s = x.shape[0], int(self.n_segments)
        if self.equal_segments:
            cuts = (torch.arange(1, s, device=x.device, dtype=torch.float32) / s).expand(n, s - 1)
        else:
            cuts = torch.rand(n, s - 1, generator=g, device=x.device, dtype=torch.float32).sort(dim=1).values
        order = torch.rand(n, s, generator=g, device=x.device, dtype=torch.float32).argsort(dim=1)
        if s > 1 and (lengths is not None or x.shape[-1] < s):
            cuts = _one_step_cuts(cuts, x.shape[-1] if lengths is None else lengths)
        return {"pos": F.permutation_pos(cuts, order, x.shape[-1], lengths, dtype=F.pos_dtype(x))}


def _one_step_cuts(cuts: torch.Tensor, length: int | torch.Tensor) -> torch.Tensor:
    """``cuts`` (N, S - 1), with the rows of series shorter than S steps (``length``: their valid steps)
    replaced by cuts after each of their steps (``min(k, L) / L``): L one-step segments, then empty
    ones, which the permutation shuffles as it does any segment. The other rows are ``cuts`` itself
    (a ``where``, no host read: their values are unchanged)."""
    n, s = cuts.shape[0], cuts.shape[1] + 1
    L = torch.as_tensor(length, device=cuts.device).to(torch.float32).reshape(-1, 1).expand(n, 1)
    k = torch.arange(1, s, device=cuts.device, dtype=torch.float32)
    return torch.where(L < s, torch.minimum(k, L) / L, cuts)


@register("reverse")
class Reverse(_TimeMap):
    """Reverse time (within each series' valid length). Each series is reversed with probability
    ``p`` (default 0.5, like a random flip). It has no strength: RandAugment applies it as it is
    (``magnitude_free``)."""

    resample_mode = "nearest"
    magnitude_free = True

    def __init__(self, *, p: float = 0.5, **kwargs: Any):
        super().__init__(p=p, **kwargs)

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        return {"pos": F.reverse_pos(x.shape[0], x.shape[-1], lengths, x.device, F.pos_dtype(x))}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        if params.get("lengths") is None:
            return x.flip(-1)  # the same as reading x at pos = T - 1 - t, in one copy
        return super()._apply(x, params)


@register("rotation")
class Rotation(TimeSeriesAugmenter):
    """Rotate the channel vector of each series by a random rotation (multivariate series, e.g. 3-axis
    sensors; Um et al. 2017): ``exp(angle * A)`` with ``A`` a random unit skew-symmetric direction and
    ``angle`` drawn per series in ``[0, max_angle]`` radians. Univariate series have no rotation but the
    identity; each is multiplied by the 1-D orthogonal map nearest to the rotation by its angle, the sign
    of ``cos(angle)``: flipped when the angle passes pi/2, so with probability 1/2 at ``max_angle=pi`` (the
    default), ``1 - pi / (2 * max_angle)`` in general and never for ``max_angle <= pi/2``."""

    magnitude_range = {"max_angle": (0.0, math.pi)}

    def __init__(self, max_angle: float = math.pi, **kwargs: Any):
        self.max_angle = max_angle
        super().__init__(**kwargs)

    _parameter_constraints = {"max_angle": [Interval(Real, 0, math.pi)]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, c, _ = x.shape
        if c == 1:
            # the angle (1 - u) * max_angle passes pi/2 when u < 1 - pi / (2 * max_angle) (u < 0.5 at pi);
            # a small max_angle used to flip half the series all the same
            a = float(self.max_angle)
            flip = 1.0 - math.pi / (2.0 * a) if a > 0 else 0.0
            sign = torch.where(torch.rand(n, generator=g, device=x.device, dtype=torch.float32) < flip, -1.0, 1.0)
            return {"rot": sign.view(n, 1, 1)}
        skew = torch.randn(n, c, c, generator=g, device=x.device, dtype=torch.float32)
        angle = torch.rand(n, generator=g, device=x.device, dtype=torch.float32) * float(self.max_angle)
        return {"rot": F.rotation_matrices(skew, angle)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        rot = params["rot"]
        if rot.shape[1] != x.shape[1]:
            raise ValueError(f"x: params were drawn for {rot.shape[1]} channels, got {x.shape[1]}"
                             f"{_transposed_hint(self, x, channels=int(rot.shape[1]))}")
        return F.keep_padding(F.rotate(x, rot), x, params.get("lengths"))


@register("frequency_mask")
class FrequencyMask(TimeSeriesAugmenter):
    """Remove random frequency components: each rFFT bin of each series (shared across channels) is
    zeroed with probability ``rate``; the mean (DC bin) is kept (Zhang et al. 2022, TF-C). With
    ``lengths`` each series is transformed over its own valid steps (bin ``k``: ``k`` cycles per series,
    ``k <= length // 2``); its padding is neither read nor changed."""

    magnitude_range = {"rate": (0.0, 0.5)}

    def __init__(self, rate: float = 0.1, **kwargs: Any):
        self.rate = rate
        super().__init__(**kwargs)

    _parameter_constraints = {"rate": [Interval(Real, 0, 1, desc="a probability in [0, 1]")]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, _, t = x.shape
        keep = torch.rand(n, 1, t // 2 + 1, generator=g, device=x.device, dtype=torch.float32) >= float(self.rate)
        keep[:, :, 0] = True
        return {"keep": keep}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.frequency_mask(x, params["keep"], params.get("lengths"))


class _Mixing(TimeSeriesAugmenter):
    """Base of the mixing augmenters: a random partner per series (a permutation of the batch) and a
    per-series weight ``lam`` of the series itself; labels are mixed with the same weights.

    Labels: 1-D integer/bool class labels become soft targets ``(N, K)``; 1-D float targets are mixed
    as values (regression) when ``n_classes`` is None. Given ``n_classes`` (K), 1-D labels are class ids:
    integers in ``[0, K)``, also when stored as floats (``np.array([0., 2., 1.])`` from ``np.load`` or
    pandas) -- a non-integer, NaN or out-of-range label then raises ``ValueError``. 2-D soft targets are
    mixed as values.

    A batch of one series has nothing to mix with: calling the augmenter (``aug(x)``, ``augment``,
    ``fit_resample``) on a single series raises ``ValueError`` (the same rule as the tabular mixing
    augmenters). When ``p`` or a composition (``OneOf``, ``SomeOf``...) hands it a single series of a
    larger batch, that series is its own partner and comes back unchanged. The command line engine
    mixes a lone last series with partners from the previous batch.

    Variable lengths: each series reads its partner's valid part only, resampled (linear interpolation;
    nearest step for paired masks) to the series' own valid length, first step on first step, last on
    last: a partner of the same length is read as it is; a longer or shorter one is shrunk or stretched
    in time. So every series mixes with a whole series and the label weights stay the drawn ones; no
    padding is read, and each series keeps its own."""

    #: the augmenter combines samples of the batch (the engines give a lone series partner series)
    mixes_samples = True

    def __init__(self, n_classes: int | None = None, **kwargs: Any):
        self.n_classes = n_classes
        super().__init__(**kwargs)

    _parameter_constraints = {"n_classes": [None, Interval(Integral, 2, None)]}

    def _partner(self, x: torch.Tensor) -> torch.Tensor:
        return torch.randperm(x.shape[0], generator=self.generator(x.device), device=x.device)

    def _apply_labels(self, y: Any, params: Params) -> Any:
        series = None
        if not isinstance(y, (np.ndarray, torch.Tensor)) and hasattr(y, "to_numpy") and hasattr(y, "index"):
            # a pandas Series (or DataFrame of soft targets): read as its values, as tabular mixing does
            series = y
            y = labels_to_numpy(y)  # read-only views are copied below
            if y.dtype == object:  # e.g. a category Series of ints: let NumPy infer the values' type
                y = np.asarray(y.tolist())
        is_np = isinstance(y, np.ndarray)
        k = self.n_classes
        if k is not None:  # before (N, k) soft targets are allocated
            check_class_columns(int(k), type(self).__name__, "n_classes")
        if is_np or isinstance(y, (list, tuple)):
            arr = labels_to_numpy(y)  # a list mixing strings and numbers stays objects (not all strings)
            if arr.ndim == 1 and (arr.dtype.kind in "OUS" or (arr.dtype.kind == "i" and arr.size and arr.min() < 0)):
                # class labels that are not non-negative integers (strings, negative ids): soft-target
                # column j is the j-th of the sorted classes (of a composition's whole batch), as in
                # tables; missing labels and unorderable mixtures raise, naming y
                named, integer = class_list(arr, type(self).__name__)
                if integer:  # an object array of non-negative integers: the labels are the columns
                    arr = arr.astype(np.int64)
                else:
                    classes = current_batch_classes() or named
                    arr = class_columns(arr, classes)
                    k = len(classes) if k is None else k
            if arr.dtype.kind not in "biuf":
                raise TypeError(
                    f"{type(self).__name__}: y must hold class labels (one per series) or numbers to mix, got "
                    f"dtype {arr.dtype} of shape {arr.shape}"
                )
            arr = np.ascontiguousarray(arr) if arr.flags.writeable else arr.copy()  # read-only labels too
            yt = torch.from_numpy(arr)
        elif isinstance(y, torch.Tensor):
            yt = y
        else:
            raise TypeError(f"{type(self).__name__}: y must be a tensor, array or list, got {type(y).__name__}")
        if k is not None and yt.dim() == 1 and yt.is_floating_point():
            # n_classes says these are classes: class ids stored as floats (np.load, pandas), not values to mix
            yt = F.class_ids(yt, k, type(self).__name__)
        elif not yt.is_floating_point() and yt.numel():
            lo, hi = (int(v) for v in min_max(yt))  # one host read for both checks
            if yt.dim() == 1 and lo < 0:
                raise ValueError(f"{type(self).__name__}: y holds the class label {lo}; expected class labels >= 0")
            if k is not None and hi >= k:
                raise ValueError(f"{type(self).__name__}: y holds the class label {hi}; expected labels in [0, {k}) "
                                 f"with n_classes={k}")
            if k is None and yt.dim() == 1:
                k = hi + 1
                check_class_columns(k, type(self).__name__, n_rows=yt.shape[0])  # before (N, k) soft targets
        out = F.mix_targets(yt, params["perm"], params["lam"], k)
        if not isinstance(y, torch.Tensor):
            out = out.cpu().numpy()
            if series is not None and out.ndim == 1 and series.ndim == 1:
                # regression values mixed: a Series stays a Series (same index and name), as in tables
                import pandas as pd

                return pd.Series(out, index=series.index, name=series.name)
        return out

    def _apply_mask(self, mask: torch.Tensor, params: Params) -> torch.Tensor:
        # a per-step label cannot be "mixed": take the partner's where it dominates
        take = (params["lam"] < 0.5).to(mask.device)[:, None, None]
        lengths = params.get("lengths")
        perm = params["perm"].to(mask.device)
        if lengths is None:
            return torch.where(take, mask[perm], mask)
        # the partner's valid part over the series' own length, as its values (``partner_series``);
        # each series keeps its own padding
        lengths = lengths.to(mask.device)
        part = F.partner_series(mask, perm, lengths, "nearest")
        return F.keep_padding(torch.where(take, part, mask), mask, lengths)


class _BetaMixing(_Mixing):
    """Mixing whose own-weight ``lam`` is drawn per series from ``Beta(alpha, alpha)``."""

    def __init__(self, alpha: float = 1.0, n_classes: int | None = None, **kwargs: Any):
        self.alpha = alpha
        super().__init__(n_classes=n_classes, **kwargs)

    _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="neither")]}

    def _draw_lam(self, x: torch.Tensor) -> torch.Tensor:
        return F.draw_beta(float(self.alpha), float(self.alpha), x.shape[0], self.generator(x.device), x.device)


@register("ts_mixup")
class TSMixup(_BetaMixing):
    """Mixup for series: ``lam * x + (1 - lam) * x[partner]`` with ``lam ~ Beta(alpha, alpha)`` per
    series (with ``lengths``, the partner's valid part resampled to the series' own valid length); labels
    mixed the same way (soft targets ``(N, K)`` for integer class labels, mixed values
    for float targets). ``n_classes`` fixes K (default: largest label + 1) and makes 1-D float labels
    class ids (integral values in ``[0, K)``, as for integer labels)."""

    magnitude_range = {"alpha": (0.05, 1.0)}

    def __init__(self, alpha: float = 0.2, n_classes: int | None = None, **kwargs: Any):
        super().__init__(alpha=alpha, n_classes=n_classes, **kwargs)

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        return {"perm": self._partner(x), "lam": self._draw_lam(x)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        # with lengths: the partner's valid part resampled to the series' own length, whose padding stays
        return F.mixup(x, params["perm"].to(x.device), params["lam"], params.get("lengths"))


@register("ts_cutmix")
class TSCutMix(_BetaMixing):
    """CutMix for series: a random time segment is replaced by the same segment of a partner series.
    The segment covers a fraction ``1 - lam`` of the length, ``lam ~ Beta(alpha, alpha)`` per series;
    labels are mixed with the actual fraction kept. A paired mask is cut and pasted the same way. With
    ``lengths`` the segment lies within the series' valid length and comes from the partner's valid part
    resampled to that length (the same stretch of the partner's series, never its padding)."""

    magnitude_range = {"alpha": (0.1, 2.0)}

    def __init__(self, alpha: float = 1.0, n_classes: int | None = None, **kwargs: Any):
        super().__init__(alpha=alpha, n_classes=n_classes, **kwargs)

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, _, t = x.shape
        length = torch.full((n,), t, device=x.device) if lengths is None else lengths
        lam0 = self._draw_lam(x)
        cut_len = ((1.0 - lam0) * length).round().long()
        start = (torch.rand(n, generator=g, device=x.device, dtype=torch.float32) * (length - cut_len + 1)).floor().long()
        start = torch.minimum(start, length - cut_len)
        cut = F.cut_mask(start, cut_len, t)
        lam = 1.0 - cut_len.float() / length.float()
        return {"perm": self._partner(x), "lam": lam, "cut": cut}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.cutmix(x, params["perm"].to(x.device), params["cut"].to(x.device), params.get("lengths"))

    def _apply_mask(self, mask: torch.Tensor, params: Params) -> torch.Tensor:
        return F.cutmix(mask, params["perm"].to(mask.device), params["cut"].to(mask.device), params.get("lengths"),
                        "nearest")


@register("frequency_mix")
class FrequencyMix(_Mixing):
    """FreqMix: each rFFT bin (shared across channels) comes from a partner series with probability
    ``rate``, from the series itself otherwise. Labels are mixed with ``lam`` = the share of spectral
    energy that comes from the series itself. With ``lengths`` each series is transformed over its own
    valid steps, its partner's valid part resampled to that length first (as every mixing augmenter
    reads its partner with lengths), so bin ``k`` is ``k`` cycles per series in both."""

    magnitude_range = {"rate": (0.0, 0.5)}

    def __init__(self, rate: float = 0.2, n_classes: int | None = None, **kwargs: Any):
        self.rate = rate
        super().__init__(n_classes=n_classes, **kwargs)

    _parameter_constraints = {"rate": [Interval(Real, 0, 1, desc="a probability in [0, 1]")]}

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, _, t = x.shape
        keep = torch.rand(n, 1, t // 2 + 1, generator=g, device=x.device, dtype=torch.float32) >= float(self.rate)
        perm = self._partner(x)
        spectra = F.MixSpectra(x, perm, lengths)
        lam = F.frequency_mix_lambda(x, perm, keep, lengths, spectra)  # depends on the data: computed once, here
        memo = self._call_memo()
        if memo is not None:  # aug(x): apply follows on this batch and mixes the same spectra
            memo["spectra"] = (x, perm, lengths, spectra)
        return {"perm": perm, "keep": keep, "lam": lam}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        perm, lengths = params["perm"], params.get("lengths")
        memo = self._call_memo()
        seen = memo.pop("spectra", None) if memo is not None else None
        spectra = seen[3] if seen is not None and seen[0] is x and seen[1] is perm and seen[2] is lengths else None
        return F.frequency_mix(x, perm.to(x.device), params["keep"], lengths, spectra)


@register("drift")
class Drift(TimeSeriesAugmenter):
    """Add a smooth random trend (tsaug ``Drift``): a cubic curve through ``n_drift_points + 2`` points
    of a random walk, starting at 0, whose largest absolute value is ``max_drift`` (a float or a
    (low, high) range drawn per series) times the channel's range when ``normalize`` (tsaug's default).
    ``per_channel``: independent trends per channel."""

    magnitude_range = {"max_drift": (0.0, 1.0)}

    def __init__(self, max_drift: float | tuple[float, float] = 0.5, n_drift_points: int = 3,
                 per_channel: bool = True, normalize: bool = True, **kwargs: Any):
        self.max_drift = max_drift
        self.n_drift_points = n_drift_points
        self.per_channel = per_channel
        self.normalize = normalize
        super().__init__(**kwargs)

    _parameter_constraints = {
        "max_drift": [Interval(Real, 0, None), Pair(Real, 0, None)],
        "n_drift_points": [Interval(Integral, 1, None)],
        "per_channel": [Boolean()],
        "normalize": [Boolean()],
    }

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, c, _ = x.shape
        cc = c if self.per_channel else 1
        knots = torch.cumsum(torch.randn(n, cc, int(self.n_drift_points) + 2, generator=g, device=x.device, dtype=torch.float32), dim=2)
        if isinstance(self.max_drift, (list, tuple)):
            amp = F.draw_uniform((n, cc), self.max_drift[0], self.max_drift[1], g, x.device)
        else:
            amp = torch.full((n, cc), float(self.max_drift), device=x.device, dtype=torch.float32)
        return {"knots": knots.expand(n, c, -1), "amp": amp.expand(n, c)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.drift(x, params["knots"], params["amp"], self.normalize, params.get("lengths"))


@register("dropout")
class Dropout(TimeSeriesAugmenter):
    """Set random time steps to ``fill`` (default 0): each (series, channel, step) entry is dropped with
    probability ``rate``; ``per_channel=False`` drops whole time steps (all channels)."""

    magnitude_range = {"rate": (0.0, 0.3)}

    def __init__(self, rate: float = 0.05, fill: float = 0.0, per_channel: bool = True, **kwargs: Any):
        self.rate = rate
        self.fill = fill
        self.per_channel = per_channel
        super().__init__(**kwargs)

    _parameter_constraints = {
        "rate": [Interval(Real, 0, 1, desc="a probability in [0, 1]")],
        "fill": [Interval(Real, desc="a finite float (NaN fill is not allowed)")],
        "per_channel": [Boolean()],
    }

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        g = self.generator(x.device)
        n, c, t = x.shape
        drop = F.draw_bernoulli((n, c if self.per_channel else 1, t), float(self.rate), g, x.device)
        return {"drop": drop.expand(n, c, t)}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.keep_padding(F.dropout(x, params["drop"], float(self.fill)), x, params.get("lengths"))
