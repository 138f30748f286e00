"""Composition operators: Sequential, OneOf, SomeOf, Sometimes, RandAugment.

A composition is one step with its own ``p``: the samples it draws (its ``active`` mask) go through
``_route``, which runs the children on the internal representation, each child drawing its own
parameters; its ``sample``/``apply`` pair is therefore not available (call the composition directly)."""
from __future__ import annotations

import contextlib
import copy
from typing import Any, Sequence

import numpy as np
import torch

from .balance import batch_standin, standin_done, take_inputs
from .base import Augmenter, Params, read_input_as
from .constraints import InstanceOf, Integral, Interval, Pair, Real, SequenceOf
from .hostreads import host_item, split_active
from .labels import (
    batch_classes,
    check_no_missing_labels,
    is_label_sets,
    label_classes,
    label_ndim,
    labels_to_numpy,
    merge_labels,
    take_labels,
)
from .report import _FRAME, AugmentReport, UnchangedWarning, copies_tally, report_frame, tally_copy, warn_user
from .seeding import worker_seed

__all__ = ["Composition", "Sequential", "OneOf", "SomeOf", "Sometimes", "RandAugment"]

@contextlib.contextmanager
def _share(index: Any) -> Any:
    """Within the block, the children run on the samples ``index`` of the composition's batch (or of
    the share it was given): rows they report are mapped back through it (see ``note_report``)."""
    frame = _FRAME.get()
    if frame is None:
        yield
        return
    frame["chain"].append(index)
    try:
        yield
    finally:
        frame["chain"].pop()


class Composition(Augmenter):
    """Base of the composition operators: holds child augmenters of a single modality."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), **kwargs: Any):
        self.augmenters = augmenters
        super().__init__(**kwargs)

    _parameter_constraints = {
        "augmenters": [SequenceOf(object, min_len=1, desc="a non-empty list of Augmenter")],
    }

    def _check_extra(self) -> None:
        augs = self.augmenters
        if not isinstance(augs, (list, tuple)) or not augs:  # Sometimes(None): no child
            raise ValueError(f"{type(self).__name__}: augmenters must be a non-empty list of Augmenter, got {augs!r}")
        self._check_children()
        mods = {a.modality for a in augs} - {"any"}
        if len(mods) > 1:
            desc = ", ".join(f"{type(a).__name__} ({a.modality})" for a in augs)
            raise ValueError(f"{type(self).__name__}: cannot compose augmenters of different modalities: {desc}")

    def _check_children(self) -> list[Augmenter]:
        """The children, each an ``Augmenter``; else a one-line ``TypeError`` naming the first that is not
        (a registry name or a config mapping written where an augmenter belongs: how to write it)."""
        augs = self.augmenters
        if isinstance(augs, (list, tuple)) and all(isinstance(a, Augmenter) for a in augs):
            return list(augs)
        if not isinstance(augs, (list, tuple)):
            raise TypeError(f"{type(self).__name__}: augmenters must be a list of Augmenter, got {type(augs).__name__}")
        i, a = next((i, a) for i, a in enumerate(augs) if not isinstance(a, Augmenter))
        hint = ""
        if isinstance(a, str):
            hint = (f" {a!r:.40} (a name: write multiaug.create({a!r:.40}) in Python, "
                    f"{{augmenter: {a:.40}}} in a config)")
        elif isinstance(a, dict):
            hint = (f" {a!r:.80} (an augmenter's config holds only the keys augmenter and params, "
                    "every hyperparameter under params)")
        where = f"augmenters[{i}]" if "augmenters" in self._get_param_names() else "augmenter"  # Sometimes' one child
        raise TypeError(f"{type(self).__name__}: {where} must be an Augmenter, got {type(a).__name__}{hint}")

    @property
    def modality(self) -> str:  # type: ignore[override]
        mods = {a.modality for a in self._check_children()} - {"any"}
        return mods.pop() if mods else "any"

    @property
    def learned(self) -> bool:  # type: ignore[override]
        return any(a.learned for a in self._check_children())

    def __sklearn_is_fitted__(self) -> bool:
        return all(a.__sklearn_is_fitted__() for a in self._check_children())

    def _children(self) -> list[Augmenter]:
        return list(self.augmenters)

    # ---- nested hyperparameters: ``augmenters__<i>__<name>`` ----------------------------------------
    # scikit-learn recurses into hyperparameters that are estimators, not into lists of them; children
    # are named by their position, so ``GridSearchCV`` over ``aug__augmenters__0__sigma`` (and
    # ``set_params(augmenters__1=Jitter())`` to swap a child) work as for a Pipeline's steps.

    def _lists_children(self) -> bool:
        return "augmenters" in self._get_param_names() and isinstance(self.__dict__.get("augmenters"), (list, tuple))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        out = super().get_params(deep=deep)
        if deep and self._lists_children():
            for i, child in enumerate(self.augmenters):
                out[f"augmenters__{i}"] = child
                if hasattr(child, "get_params"):
                    out.update((f"augmenters__{i}__{k}", v) for k, v in child.get_params(deep=True).items())
        return out

    def set_params(self, **params: Any) -> "Composition":
        own: dict[str, Any] = {}
        swap: dict[int, Any] = {}
        nested: dict[int, dict[str, Any]] = {}
        for key, value in params.items():
            head, sep, tail = key.partition("__")
            if head != "augmenters" or not sep or not self._lists_children():
                own[key] = value
                continue
            pos, sep, sub = tail.partition("__")
            n = len(self.augmenters)
            if not pos.isdigit() or int(pos) >= n:
                raise ValueError(
                    f"{type(self).__name__}: invalid parameter {key!r}: children are named augmenters__<i> with i in "
                    f"0..{n - 1} (their position in augmenters), got {pos!r}"
                )
            if sep:
                nested.setdefault(int(pos), {})[sub] = value
            else:
                swap[int(pos)] = value
        if own:
            super().set_params(**own)
        if swap:  # a new list, as Pipeline does: the caller's list is left as it was
            children = list(self.augmenters)
            for i, child in swap.items():
                children[i] = child
            self.augmenters = children
        for i, sub in nested.items():
            child = self.augmenters[i]
            if not hasattr(child, "set_params"):
                raise ValueError(f"{type(self).__name__}: augmenters[{i}] is a {type(child).__name__}, it has no parameters to set")
            child.set_params(**sub)
        return self

    def generator(self, device: Any = "cpu") -> torch.Generator:
        self._follow_seed()  # a new seed restarts the stream first, so the children are seeded from it
        if worker_seed() is not None:
            # in a DataLoader worker: _started_worker_stream seeds the children from our stream
            return super().generator(device)
        fresh = "_rng_seed" not in self.__dict__ or not self.__dict__.get("_generators")
        g = super().generator(device)
        if fresh and self.__dict__.get("_seeded_children") is None and self.seed is not None:
            # children without their own seed draw theirs from ours, so the whole tree replays
            self.__dict__["_seeded_children"] = True
            for child in self.augmenters:
                if child.seed is None and "_rng_seed" not in child.__dict__:
                    child.reseed(host_item(torch.randint(0, 2**62, (1,), generator=super().generator("cpu"))))
        return g

    def _started_worker_stream(self, wseed: int) -> None:
        """In a DataLoader worker, the children that outside workers take their stream from ours
        (those without their own ``seed`` when we have one; all of them after ``reseed(int)`` or when
        our own stream comes from a parent) take it from our worker stream, so the whole tree follows
        (seed, worker seed) alone, whatever ran in the main process before."""
        adopted = bool(self.__dict__.get("_stream_adopted"))
        seeded = adopted or self.seed is not None or (
            self.__dict__.get("_rng_seed") is not None and not self.__dict__.get("_rng_entropy")
        )
        if not seeded:
            return  # children derive their own worker streams
        everyone = adopted or bool(self.__dict__.get("_children_reseeded"))
        g = self.generator("cpu")
        for child in self.augmenters:
            if everyone or child.seed is None:
                child._adopt_worker_stream(host_item(torch.randint(0, 2**62, (1,), generator=g)), wseed)

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "Composition":
        self._ensure_valid()
        with read_input_as(self):  # as a call reads it: with every child's categorical columns
            for a in self.augmenters:
                a.fit(X, y, **fit_params)
        return self

    def _apply_labels(self, y: Any, params: Params) -> Any:
        return params.get("_labels", y)

    # What a composition returns follows its modality's rule where the modality has one (the text
    # modalities: outputs nothing augmented are counted, warned about and left out of augment, as for
    # one of their augmenters; see multiaug.text.base.UnchangedRule). The handler carries the rule.

    def _after_call(self, x: Any, out: Any) -> None:
        rule = getattr(self.handler, "composed_call", None)
        if rule is not None:
            rule(self, x, out)

    def _augment_batch(self, xi: Any, ctx: Any, y: Any, n_aug: int, inputs: dict) -> tuple[Any, Any, np.ndarray]:
        rule = getattr(self.handler, "composed_augment", None)
        if rule is not None:
            return rule(self, xi, ctx, y, n_aug, inputs)
        # one report_ and one warning for all the copies (rows: positions in xi)
        with copies_tally(self) as seen:
            out = super()._augment_batch(xi, ctx, y, n_aug, inputs)
        if not seen:
            if self.__dict__.get("_report") is not None:
                self._set_report(None)
            return out
        self._report_unchanged(sum(k for k, _ in seen), len(out[2]), [r for _, rows in seen for r in rows])
        return out

    def _run_on(self, aug: Augmenter, x: Any, y: Any, index: torch.Tensor | None, inputs: dict) -> tuple[Any, Any]:
        """Run ``aug`` on the samples at ``index`` (all when None) and put them back."""
        if index is None:
            return aug._forward(x, y, **inputs)
        if index.numel() == 0:
            return x, y
        h = self.handler
        with _share(index):
            part, ypart = aug._forward(h.take(x, index), take_labels(y, index),
                                       **take_inputs(inputs, index, h.length(x), h.batch_inputs))
        x = h.merge(x, index, part)
        if y is not None:
            y = merge_labels(y, index, ypart)
        return x, y

    # Compositions are applied as one step: sample() draws the routing, apply() runs the children.
    #: whether the routing hands each child a share of the batch (OneOf, SomeOf, RandAugment); with
    #: p < 1 every composition does
    routes_subsets = True

    def _forward(self, x: Any, y: Any = None, **inputs: Any) -> tuple[Any, Any]:
        if getattr(self.handler, "composed_call", None) is not None:  # the modality's own rule (text)
            return self._forward_routed(x, y, **inputs)
        # what the children report (time series left as they were because they are too short for an
        # augmenter: lengths=...) is collected and reported for the whole batch (_report_composed)
        frame = report_frame(self.augmenters)
        token = _FRAME.set(frame)
        try:
            out = self._forward_routed(x, y, **inputs)
        finally:
            _FRAME.reset(token)
        self._report_composed(x, out[0], frame)
        return out

    def _forward_routed(self, x: Any, y: Any = None, **inputs: Any) -> tuple[Any, Any]:
        # class labels other than non-negative integers: every child numbers soft-target columns by
        # the classes of this whole batch (or those a mixing child was fitted on), not of its share
        with batch_classes(self._label_classes(y)):
            if (self.routes_subsets or float(self.p) < 1) and self.handler.length(x) >= 2:
                # children that measure the batch they get (an unfitted GaussianNoise's column spread)
                # measure the whole batch, not the share routed to them (a stand-in sharing our streams)
                runner = batch_standin(self, x)
                if runner is not self:
                    frame = _FRAME.get()
                    if frame is not None:  # the stand-in's children report for ours
                        frame["direct"].update(id(a) for a in runner.augmenters)
                    try:
                        return runner._forward_batch(x, y, **inputs)
                    finally:
                        standin_done(runner)
            return self._forward_batch(x, y, **inputs)

    # Modalities without a rule of their own (time series, tables, graphs): samples that at least one
    # child drew and left as they were (its report_'s unchanged_index: a series too short for a time
    # warp, lengths=...) and that come out of the composition as they went in are counted in the
    # composition's report_ and one UnchangedWarning, as text compositions count theirs; the children
    # do not warn themselves. A call in which no child reported leaves report_ None.

    def _report_composed(self, x: Any, out: Any, frame: dict) -> None:
        if not frame["reported"]:
            if self.__dict__.get("_report") is not None:
                self._set_report(None)
            return
        n = self.handler.length(x)
        rows = sorted(set(frame["rows"]))
        if rows and isinstance(x, torch.Tensor) and isinstance(out, torch.Tensor) and out.shape == x.shape:
            # a sample another child changed is not unchanged: keep those equal to their input
            idx = torch.as_tensor(rows, device=x.device)
            same = (out[idx] == x[idx]).reshape(len(rows), -1).all(dim=1).tolist()
            rows = [r for r, s in zip(rows, same) if s]
        if not tally_copy(self, n, rows):
            self._report_unchanged(n, n, rows)

    def _report_unchanged(self, n: int, n_out: int, rows: list[int]) -> None:
        self._set_report(AugmentReport(n_inputs=n, n_outputs=n_out, n_unchanged=len(rows),
                                       details={"unchanged_index": list(rows)}))  # every row: an outer composition maps them
        if rows:
            warn_user(UnchangedWarning(type(self).__name__, len(rows), n,
                                       "inputs could not be changed (every augmenter inside that drew them left them "
                                       "as they were, e.g. series with too few valid steps (lengths) for a time warp; ",
                                       rows, ")"))

    def _label_classes(self, y: Any) -> list | None:
        """The class list children number soft targets by: None unless a mixing augmenter is inside
        (nothing else makes soft targets; no look at ``y``, so no host read for device labels)."""
        mixers = [a for a in self._descendants() if getattr(a, "mixes_samples", False)]
        if y is None or not mixers:
            return None
        if not isinstance(y, torch.Tensor) and label_ndim(y) == 1 and not is_label_sets(y):
            y = labels_to_numpy(y)  # read once, for the check and the classes
            if y.dtype.kind in "OUS":
                # missing class labels (None/NaN among labels) named by their positions in the whole y,
                # not in the share a child was given (float targets: the children's own check)
                check_no_missing_labels(y, type(self).__name__)
        classes = label_classes(y)
        if classes is None:
            return None
        for a in mixers:
            fitted = a.__dict__.get("classes_")
            if fitted is not None and label_classes(fitted) is not None:
                return list(fitted)
        return classes

    def _forward_batch(self, x: Any, y: Any = None, **inputs: Any) -> tuple[Any, Any]:
        if self.learned:
            self._check_fitted()
        h = self.handler
        unknown = sorted(set(inputs) - set(h.batch_inputs) - set(h.sample_inputs))
        if unknown:
            takes = sorted(h.sample_inputs)
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {unknown}; its children "
                f"({h.name}) take {', '.join(takes) if takes else 'only x (and y)'}"
            )
        self._check_y(x, y)
        inputs = h.check_sample_inputs(x, inputs, self)  # once, for the whole batch
        self.generator(h.device(x))  # seed the children first
        active = self._active_mask(h.length(x), h.device(x))
        state, idx = split_active(active)
        if state == "all":
            return self._route(x, y, inputs)
        if state == "none":  # no sample drawn (always at p=0): the children see nothing
            return x, y
        with _share(idx):
            part, ypart = self._route(h.take(x, idx), take_labels(y, idx), take_inputs(inputs, idx, h.length(x), h.batch_inputs))
        x = h.merge(x, idx, part)
        return x, (merge_labels(y, idx, ypart) if y is not None else None)

    def _check_fit_resample_inputs(self, inputs: dict[str, Any]) -> None:
        for a in self.augmenters:  # a learned child refuses lengths its fit would not see, as it does alone
            a._check_fit_resample_inputs(inputs)

    def _route(self, x: Any, y: Any, inputs: dict) -> tuple[Any, Any]:
        raise NotImplementedError

    def _sample(self, x: Any) -> Params:
        raise NotImplementedError(
            f"{type(self).__name__} draws its children's parameters while applying them; call it directly"
        )



class Sequential(Composition):
    """Apply every augmenter in order."""

    routes_subsets = False

    def _route(self, x: Any, y: Any, inputs: dict) -> tuple[Any, Any]:
        for a in self.augmenters:
            x, y = a._forward(x, y, **inputs)
        return x, y


class OneOf(Composition):
    """Apply exactly one augmenter to each sample, chosen per sample (``weights`` optional)."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), weights: Sequence[float] | None = None, **kwargs: Any):
        self.weights = weights
        super().__init__(augmenters, **kwargs)

    _parameter_constraints = {
        "weights": [None, SequenceOf(Interval(Real, 0, None), min_len=1, positive_sum=True)],
    }

    def _check_extra(self) -> None:
        if self.weights is not None and len(self.weights) != len(self.augmenters):
            raise ValueError(
                f"OneOf: weights must be {len(self.augmenters)} non-negative numbers with a positive sum (one per "
                f"augmenter), got {self.weights!r}"
            )

    def _route(self, x: Any, y: Any, inputs: dict) -> tuple[Any, Any]:
        h = self.handler
        n, dev = h.length(x), h.device(x)
        k = len(self.augmenters)
        w = torch.ones(k, dtype=torch.float32) if self.weights is None else torch.tensor([float(v) for v in self.weights], dtype=torch.float32)
        choice = torch.multinomial(w.to(dev).expand(n, k), 1, replacement=True, generator=self.generator(dev)).flatten()
        for j, a in enumerate(self.augmenters):
            x, y = self._run_on(a, x, y, torch.nonzero(choice == j).flatten(), inputs)
        return x, y


class SomeOf(Composition):
    """Apply ``n`` distinct augmenters to each sample (chosen per sample), in the listed order.
    ``n`` may be an int or a ``(low, high)`` inclusive range drawn per sample."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), n: int | Sequence[int] = 1, **kwargs: Any):
        self.n = n
        super().__init__(augmenters, **kwargs)

    _parameter_constraints = {"n": [Interval(Integral, 0, None), Pair(Integral, 0, None)]}

    def _check_extra(self) -> None:
        k = len(self.augmenters)
        if (self.n if isinstance(self.n, (int, np.integer)) else self.n[1]) > k:
            raise ValueError(f"SomeOf: n must be an int or (low, high) with 0 <= low <= high <= {k}, got {self.n!r}")

    def _route(self, x: Any, y: Any, inputs: dict) -> tuple[Any, Any]:
        h = self.handler
        n, dev = h.length(x), h.device(x)
        k = len(self.augmenters)
        g = self.generator(dev)
        lo, hi = (self.n, self.n) if isinstance(self.n, (int, np.integer)) else self.n
        count = torch.randint(int(lo), int(hi) + 1, (n,), generator=g, device=dev)
        rank = torch.rand(n, k, generator=g, device=dev, dtype=torch.float32).argsort(dim=1).argsort(dim=1)
        chosen = rank < count[:, None]
        for j, a in enumerate(self.augmenters):
            x, y = self._run_on(a, x, y, torch.nonzero(chosen[:, j]).flatten(), inputs)
        return x, y


class Sometimes(Composition):
    """Apply ``augmenter`` to each sample with probability ``p`` (alias of setting ``p``)."""

    routes_subsets = False  # its share is its p's draw

    def __init__(self, augmenter: Augmenter | None = None, **kwargs: Any):
        self.augmenter = augmenter
        kwargs.setdefault("p", 0.5)
        super().__init__([augmenter] if augmenter is not None else [], **kwargs)

    _parameter_constraints = {"augmenter": [InstanceOf(Augmenter, "an Augmenter")]}

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return [n for n in super()._get_param_names() if n != "augmenters"]

    def _route(self, x: Any, y: Any, inputs: dict) -> tuple[Any, Any]:
        return self.augmenter._forward(x, y, **inputs)


class RandAugment(Composition):
    """RandAugment policy: for each sample apply ``n`` augmenters drawn uniformly (with replacement)
    from ``augmenters``, each with its strength set by the shared ``magnitude`` in [0, 1]. Every
    augmenter must declare ``magnitude_range`` (hyperparameter -> (value at 0, value at 1)), or be
    ``magnitude_free`` (no strength to set, e.g. time-series ``Reverse``: applied as it is)."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), n: int = 2, magnitude: float = 0.5, **kwargs: Any):
        self.n = n
        self.magnitude = magnitude
        super().__init__(augmenters, **kwargs)

    _parameter_constraints = {"n": [Interval(Integral, 1, None)], "magnitude": [Interval(Real, 0, 1)]}

    def _check_extra(self) -> None:
        for a in self.augmenters:
            if not a.magnitude_range and not a.magnitude_free:
                raise ValueError(
                    f"RandAugment: {type(a).__name__} declares no magnitude_range, so its strength cannot be set; "
                    "use augmenters that declare one (or that have no strength, magnitude_free, such as Reverse)"
                )

    def _scaled(self) -> list[Augmenter]:
        """Shallow copies of the children with their magnitude hyperparameters set from ``magnitude``;
        each copy shares its child's random stream (same generator objects)."""
        m = float(self.magnitude)
        scaled = []
        for a in self.augmenters:
            a.generator("cpu")  # make sure the child's generator dict exists, so the copy shares it
            vals = {}
            for name, (lo, hi) in a.magnitude_range.items():
                v = lo + m * (hi - lo)
                vals[name] = int(round(v)) if isinstance(lo, int) and isinstance(hi, int) else float(v)
            b = copy.copy(a)
            b.__dict__ = {**a.__dict__, **vals}
            scaled.append(b)
        return scaled

    def _route(self, x: Any, y: Any, inputs: dict) -> tuple[Any, Any]:
        h = self.handler
        n, dev = h.length(x), h.device(x)
        ops = self._scaled()
        frame = _FRAME.get()
        if frame is not None:  # the scaled copies report for the children
            frame["direct"].update(id(a) for a in ops)
        g = self.generator(dev)
        for _ in range(int(self.n)):
            choice = torch.randint(0, len(ops), (n,), generator=g, device=dev)
            for j, a in enumerate(ops):
                x, y = self._run_on(a, x, y, torch.nonzero(choice == j).flatten(), inputs)
        return x, y



def _register_compositions() -> None:
    from ..registry import register

    register("sequential")(Sequential)
    register("one_of")(OneOf)
    register("some_of")(SomeOf)
    register("sometimes")(Sometimes)
    register("rand_augment")(RandAugment)


_register_compositions()
