"""scikit-learn and imbalanced-learn plumbing of every augmenter (mixed into :class:`~multiaug.Augmenter`).

* **Hyperparameters**: ``get_params``/``set_params``/``clone`` see every keyword of every ``__init__``
  along the class hierarchy (subclasses forward ``**kwargs``).
* **Tags** (``__sklearn_tags__``, read by ``sklearn.utils.get_tags``): a transformer (and an imblearn
  sampler), input tags from the modality (tables: 2-D arrays and DataFrames with categorical columns,
  NaN allowed only with ``nan_policy="keep"``), ``requires_fit`` for learned augmenters only, and
  ``non_deterministic``: ``transform`` draws new random numbers at every call, seeded or not (the seed
  fixes the *sequence* of draws, not one output), so checks that compare two outputs of the same
  input do not apply.
* **Two faces, one object.** ``transform``/``fit_transform`` augment one copy (scikit-learn
  transformer); ``fit_resample`` returns the originals plus ``n_aug`` copies (imblearn sampler).
  ``imblearn.pipeline.Pipeline`` decides what a step is by ``hasattr`` alone: a step with ``transform``
  is a transformer (applied at predict time too) and a step with both is refused. Which face an
  augmenter shows is therefore explicit, set by :meth:`SklearnMixin.set_sklearn_api` (kept by
  ``clone``):

  - ``"sampler"``: only ``fit_resample`` (``transform``/``fit_transform`` are absent);
  - ``"transformer"``: only ``transform``/``fit_transform`` (``fit_resample`` is absent);
  - ``"auto"`` (default): both, except that the attribute lookups made *by imblearn's Pipeline
    code itself* (the function that calls ``hasattr``, not any frame further up) see a sampler; so
    ``imblearn.pipeline.Pipeline([("aug", GaussianNoise(n_aug=2)), ("model", Ridge())])`` augments
    at fit time only, and ``GaussianNoise().fit_transform(X)`` works everywhere else.
  - A mixing augmenter's ``fit_transform(X, y)`` cannot return the mixed labels: as a step of a
    scikit-learn ``Pipeline``/``ColumnTransformer``/``FeatureUnion`` (or an imblearn Pipeline step set to
    ``"transformer"``) it raises ``ValueError``; called directly it warns (:meth:`SklearnMixin.fit_transform`).

* :func:`sklearn_expected_failed_checks`: the estimator checks of scikit-learn and imblearn that do
  not apply to an augmenter, each with the reason, in the form ``parametrize_with_checks`` and
  ``check_estimator`` take as ``expected_failed_checks``.
"""
from __future__ import annotations

import inspect
import sys
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.utils._available_if import available_if

from .balance import mixer_of
from .labels import concat_labels, label_length, resample_labels
from .report import warn_user

__all__ = ["SklearnMixin", "SKLEARN_APIS", "sklearn_expected_failed_checks"]

#: the values of :meth:`SklearnMixin.set_sklearn_api`
SKLEARN_APIS = ("auto", "transformer", "sampler")

#: modules whose code calls a step's ``fit_transform(X, y)`` and hands the labels on unchanged
#: (scikit-learn's Pipeline, ColumnTransformer and FeatureUnion share sklearn.pipeline's helpers)
_PIPELINE_MODULES = frozenset({"sklearn.pipeline", "imblearn.pipeline"})

#: modules whose frames sit between an attribute lookup and the availability check below
_LOOKUP_MACHINERY = frozenset({__name__, "sklearn.utils._available_if"})


def _asked_by_imblearn() -> bool:
    """True when the attribute lookup being answered was made by imblearn's Pipeline code.

    The availability check runs inside scikit-learn's ``available_if`` descriptor; the first frame
    outside that machinery is the code that called ``hasattr``/``getattr``. Only that frame is looked
    at: it asks for a sampler when it is a function of ``imblearn.pipeline`` (``_validate_steps``,
    ``_fit``, ``_iter``...) or a method of an ``imblearn.pipeline.Pipeline`` subclass."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in _LOOKUP_MACHINERY:
        frame = frame.f_back
    if frame is None:
        return False
    if frame.f_globals.get("__name__") == "imblearn.pipeline":
        return True
    owner = frame.f_locals.get("self")
    imb = sys.modules.get("imblearn.pipeline")
    return imb is not None and isinstance(owner, imb.Pipeline)


class _FitResampleRequest:
    """``set_fit_resample_request`` of every augmenter, as imblearn's samplers have it: which of
    ``fit``'s extra parameters (``RegMix``'s ``X_val``/``y_val``) and of the modality's call inputs
    (time series' ``lengths``, tables' ``hard``: :meth:`fit_resample` hands them to the augmentation)
    a Pipeline routes to ``fit_resample`` under scikit-learn's metadata routing (imblearn's Pipeline
    routes its ``fit`` to a sampler step's ``fit_resample``). scikit-learn makes these setters when a
    class is created, for the methods it routes then, from their signatures (``fit_resample`` takes
    ``**fit_params``: none); ``fit_resample`` joins them when imblearn is imported, which multiaug does
    not do at import time (about a second), so the setter is made on first use."""

    def __get__(self, instance: Any, owner: type) -> Any:
        import imblearn.base  # noqa: F401  (adds fit_resample to scikit-learn's routed methods)
        from sklearn.utils._metadata_requests import RequestMethod

        fit_keys = sorted(_keyword_names(owner.fit, ("self", "X", "y")))
        # as fit_resample routes them (a wrapper's child's lengths too)
        call_keys = _call_input_names(_member_types(instance) if instance is not None else [owner])
        keys = sorted(set(fit_keys) | call_keys)
        resample = RequestMethod("fit_resample", keys).__get__(instance, owner)

        def set_fit_resample_request(*args: Any, **requests: Any) -> Any:
            est = resample(*args, **requests)
            # fit_resample hands fit's parameters to fit, and imblearn's Pipeline routes its fit to both:
            # one answer (the call inputs are not fit's: fit refuses lengths)
            to_fit = {k: v for k, v in requests.items() if k in fit_keys}
            if to_fit:
                RequestMethod("fit", fit_keys).__get__(est, owner)(**to_fit)
            return est

        set_fit_resample_request.__doc__ = resample.__doc__
        return set_fit_resample_request


def _params_imblearn_dropped(est: Any) -> list[str]:
    """Step parameters given to an imblearn ``Pipeline.fit`` for ``est`` that imblearn, without
    scikit-learn's metadata routing, hands to the step's ``fit`` only: a sampler step is never
    fitted that way, so they would be lost. Found in the frame of the Pipeline's ``_fit`` that is
    fitting ``est`` (empty when there is none, or when the frame is not as expected)."""
    frame = sys._getframe(1)
    for _ in range(8):
        frame = frame.f_back
        if frame is None:
            return []
        if frame.f_globals.get("__name__") == "imblearn.pipeline" and frame.f_code.co_name == "_fit":
            try:
                if frame.f_locals.get("cloned_transformer") is not est:
                    return []
                step = frame.f_locals["routed_params"][frame.f_locals["name"]]
                return sorted(set(step.get("fit", {})) - set(step.get("fit_resample", {})))
            except (KeyError, TypeError, AttributeError):
                return []
    return []


def _api(est: Any) -> str:
    return est.__dict__.get("_sklearn_api", "auto")


def _shows_transform(est: Any) -> bool:
    api = _api(est)
    if api == "auto":
        return not _asked_by_imblearn()
    return api == "transformer"


def _shows_fit_resample(est: Any) -> bool:
    return _api(est) != "transformer"


class SklearnMixin:
    """scikit-learn/imblearn plumbing of :class:`~multiaug.Augmenter` (see the module docstring)."""

    # ---- hyperparameters -------------------------------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """Hyperparameters of every ``__init__`` along the MRO (subclasses may forward ``**kwargs``)."""
        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is not None and klass not in (BaseEstimator, object):
                for prm in inspect.signature(init).parameters.values():
                    if prm.name == "self" or prm.kind in (prm.VAR_KEYWORD, prm.VAR_POSITIONAL):
                        continue
                    if prm.name not in names:
                        names.append(prm.name)
            if SklearnMixin in klass.__bases__:  # the Augmenter base: its parents take no hyperparameter
                break
        return sorted(names)

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Hyperparameter -> default value (``inspect.Parameter.empty`` when required)."""
        out: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            init = klass.__dict__.get("__init__")
            if init is None or not issubclass(klass, SklearnMixin) or klass is SklearnMixin:
                continue
            for prm in inspect.signature(init).parameters.values():
                if prm.name == "self" or prm.kind in (prm.VAR_KEYWORD, prm.VAR_POSITIONAL):
                    continue
                out[prm.name] = prm.default
        return {k: out[k] for k in cls._get_param_names() if k in out}

    set_fit_resample_request = _FitResampleRequest()

    # ---- which face the augmenter shows -------------------------------------------------------------

    def set_sklearn_api(self, api: str) -> "SklearnMixin":
        """Choose the scikit-learn face: ``"sampler"`` (``fit_resample`` only), ``"transformer"``
        (``transform``/``fit_transform`` only) or ``"auto"`` (both; a sampler to imblearn's Pipeline).
        Returns ``self``; ``clone`` keeps the choice (it is not a hyperparameter, like ``set_output``)."""
        if api not in SKLEARN_APIS:
            raise ValueError(f"{type(self).__name__}.set_sklearn_api: api must be one of {SKLEARN_APIS}, got {api!r}")
        self.__dict__["_sklearn_api"] = api
        return self

    def __sklearn_clone__(self) -> Any:
        new = _clone_params(self)
        for key in ("_sklearn_api", "_sklearn_output_config"):
            if key in self.__dict__:
                new.__dict__[key] = dict(self.__dict__[key]) if isinstance(self.__dict__[key], dict) else self.__dict__[key]
        return new

    # ---- output container (scikit-learn's set_output API) --------------------------------------------

    def set_output(self, *, transform: str | None = None) -> "SklearnMixin":
        """scikit-learn's output API, so that ``make_pipeline(..., aug, ...).set_output(transform="pandas")``
        and a ``ColumnTransformer`` holding an augmenter work: ``"pandas"`` (or ``"polars"``) gives a
        table's ``transform``/``fit_transform`` output as a DataFrame named by
        :meth:`get_feature_names_out` (a DataFrame input comes back as one anyway); ``"default"`` gives
        the container of the input; None leaves the setting as it is. Only tables are converted: text,
        series and graphs come back in their own containers. Kept by ``clone``. Returns ``self``."""
        if transform is None:
            return self
        if transform not in ("default", "pandas", "polars"):
            raise ValueError(f"{type(self).__name__}.set_output: transform must be 'default', 'pandas', 'polars' or "
                             f"None, got {transform!r}")
        self.__dict__["_sklearn_output_config"] = {"transform": transform}
        return self

    @available_if(lambda self: self.modality == "tabular")
    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Output column names of a table (augmentation keeps the columns): the names seen in ``fit``
        (``feature_names_in_``), else ``input_features``, else ``x0, x1, ...`` for the width seen last.
        Tables only (absent for the other modalities)."""
        import numpy as np

        fitted = self.__dict__.get("feature_names_in_")
        width = len(fitted) if fitted is not None else self.__dict__.get("_n_columns_seen")
        if input_features is not None:
            names = [str(c) for c in input_features]
            if width is not None and len(names) != width:
                raise ValueError(f"input_features should have length equal to number of features ({width}), got "
                                 f"{len(names)}")
            if fitted is not None and names != [str(c) for c in fitted]:
                raise ValueError(f"input_features is not equal to feature_names_in_ ({list(fitted)}), got {names}")
            return np.asarray(names, dtype=object)
        if fitted is not None:
            return np.asarray([str(c) for c in fitted], dtype=object)
        if width is None:
            raise ValueError(f"{type(self).__name__}.get_feature_names_out: no columns seen yet; fit or transform a "
                             "table first, or pass input_features")
        return np.asarray([f"x{i}" for i in range(width)], dtype=object)

    def _wrap_output(self, out: Any, X: Any) -> Any:
        """``transform``'s output in the container :meth:`set_output` asked for (tables only)."""
        import numpy as np

        cfg = self.__dict__.get("_sklearn_output_config", {}).get("transform", "default")
        if self.modality != "tabular" or getattr(out, "ndim", 0) != 2:
            return out
        self.__dict__["_n_columns_seen"] = int(out.shape[1])
        if cfg == "default" or hasattr(out, "columns"):
            return out
        values = out.detach().cpu().numpy() if hasattr(out, "detach") else np.asarray(out)
        names = self.get_feature_names_out()
        if cfg == "polars":
            import polars as pl

            return pl.DataFrame(values, schema=list(names), orient="row")
        import pandas as pd

        index = X.index if hasattr(X, "index") and len(getattr(X, "index", ())) == len(values) else None
        return pd.DataFrame(values, columns=names, index=index)

    # ---- tags ------------------------------------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        if not self.learned:
            return True
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def _more_tags(self) -> dict:  # scikit-learn < 1.6
        return {"stateless": not self.learned, "requires_y": False, "non_deterministic": True,
                "allow_nan": self._allows_nan(), "requires_fit": bool(self.learned)}

    def _allows_nan(self) -> bool:
        from .base import input_settings

        policies = input_settings(self, "nan_policy")  # a composition: every augmenter inside keeps NaN
        return bool(policies) and all(v == "keep" for _, v in policies)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        api = _api(self)
        tags.requires_fit = bool(self.learned)
        tags.non_deterministic = True
        tags.target_tags.required = api == "sampler"
        if api != "sampler":
            tags.transformer_tags = TransformerTags(preserves_dtype=["float64", "float32"])
        it = tags.input_tags
        it.allow_nan = self._allows_nan()
        modality = self.modality
        it.two_d_array = modality in ("tabular", "timeseries")
        it.three_d_array = modality == "timeseries" or bool(getattr(self, "accepts_tokens", False))
        it.categorical = modality == "tabular"
        it.string = modality == "text"
        it.sparse = False
        if api != "transformer":
            tags = _with_sampler_tags(tags)
        return tags

    # ---- transformer face --------------------------------------------------------------------------

    @available_if(_shows_transform)
    def transform(self, X: Any) -> Any:
        """Augment ``X`` (scikit-learn transformer API; one copy, the size of ``X``; meant for the
        training side). Absent when the augmenter is used as a sampler (see :meth:`set_sklearn_api`);
        a table comes back as a DataFrame after ``set_output(transform="pandas")``."""
        return self._wrap_output(self(X), X)

    @available_if(_shows_transform)
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """``fit(X, y)`` then ``transform(X)``.

        An augmenter that mixes samples (``Mixup``, ``CutMix``, ``FeatMix``, ``RegMix``, the time-series
        mixers, or a composition holding one) mixes their labels too, which ``transform`` cannot return:
        given ``y`` by a scikit-learn ``Pipeline``, ``ColumnTransformer`` or ``FeatureUnion`` (whose next
        step would be fitted on mixed rows with unmixed labels, and whose ``transform`` would mix the
        rows to predict with each other) it raises ``ValueError``; called directly with ``y`` it warns
        that the labels are not mixed (``aug(X, y)``, ``augment`` and ``fit_resample`` return them)."""
        mixer = mixer_of(self) if y is not None else None
        if mixer is not None:
            caller = sys._getframe(1).f_globals.get("__name__")
            what = (f"{type(self).__name__}.fit_transform: {type(mixer).__name__} mixes samples and their labels, "
                    "and fit_transform returns the samples only")
            if caller in _PIPELINE_MODULES:
                raise ValueError(
                    f"{what}, so the next step would be fitted on mixed samples with unmixed labels (and transform "
                    "would mix the samples to predict with each other); use imblearn.pipeline.Pipeline, where the "
                    "augmenter runs as a sampler (fit_resample) at fit time only"
                )
            warn_user(f"{what}: the y given is used to fit and is not mixed; aug(X, y), augment(X, y) or "
                      "fit_resample(X, y) return the mixed labels")
        return self.fit(X, y, **fit_params).transform(X)

    # ---- sampler face --------------------------------------------------------------------------------

    @available_if(_shows_fit_resample)
    def fit_resample(self, X: Any, y: Any, **fit_params: Any) -> tuple[Any, Any]:
        """imblearn sampler API: fit, then return the originals followed by ``n_aug`` augmented
        copies. Works for classification and regression targets; inside an
        ``imblearn.pipeline.Pipeline`` it only runs at fit time.

        Keywords: those :meth:`fit` names go to it (``RegMix``'s ``X_val``/``y_val``, ``AutoTCL``'s
        ``callback``); the modality's call inputs go to :meth:`augment`, as in ``aug(X, lengths=...)``
        (time series' ``lengths``: variable-length series padded at the end, whose copies keep each
        source row's padding; tables' ``hard``); both when both take one. Any other keyword raises
        ``TypeError`` naming it and what the augmenter takes. Through a Pipeline
        (``pipe.fit(X, y, aug__X_val=...)``) fit parameters arrive only with scikit-learn's metadata
        routing on: ``sklearn.set_config(enable_metadata_routing=True)`` and
        ``aug.set_fit_resample_request(X_val=True, y_val=True)``; without it imblearn passes step
        parameters to ``fit`` only, which a sampler step never calls."""
        if y is None:
            raise ValueError(f"{type(self).__name__}.fit_resample needs y (labels or regression targets); got None")
        dropped = [] if fit_params else _params_imblearn_dropped(self)
        if dropped:
            raise ValueError(
                f"{type(self).__name__}.fit_resample: Pipeline.fit was given {', '.join(dropped)} for this step, which "
                "imblearn passes to a sampler only with scikit-learn's metadata routing: call "
                "sklearn.set_config(enable_metadata_routing=True) and "
                f"step.set_fit_resample_request({', '.join(f'{d}=True' for d in dropped)}), then "
                f"pipe.fit(X, y, {', '.join(f'{d}=...' for d in dropped)})"
            )
        fit_kw, call_kw = _route_fit_resample_params(self, fit_params)
        self._check_fit_resample_inputs(call_kw)
        # fit first: an augmenter fitted earlier reads X as its *new* fit does (other columns, other
        # categories), as imblearn's fit_resample refits; fits that take y check its length themselves
        self.fit(X, y, **fit_kw)
        xi, ctx = self._to_internal(X)
        n = self.handler.length(xi)
        if label_length(y) != n:
            raise ValueError(
                f"{type(self).__name__}.fit_resample: X has {n} samples but y has {label_length(y)}; "
                "expected one target per sample"
            )
        X_aug, y_aug, _ = self.augment(X, y, **call_kw)
        y_aug = self.resample_labels(y, y_aug)
        # a sample given alone (a series (T,) or (T, C)) is the first row of a batch, as its copies are
        X_orig = self.handler.restore(xi, self.handler.many_ctx(ctx))
        return self.handler.concat([X_orig, X_aug]), concat_labels([y, y_aug])

    def _check_fit_resample_inputs(self, inputs: dict[str, Any]) -> None:
        """Hook of :meth:`fit_resample`: refuse call inputs (``lengths``...) that its ``fit`` would
        not see although the fitted state depends on them (default: none refused)."""

    def resample_labels(self, y: Any, y_aug: Any) -> Any:
        """Labels given to estimators by ``fit_resample`` for the augmented copies ``y_aug`` of ``y``:
        soft targets (N, K) from mixing become the dominant class when ``y`` holds hard labels, because
        scikit-learn classifiers need them (the engines call this too). Subclasses adapt it through
        the ``_resample_labels`` hook."""
        return self._resample_labels(y, y_aug)

    def _resample_labels(self, y: Any, y_aug: Any) -> Any:
        return resample_labels(y, y_aug)


def _keyword_names(fn: Any, skip: tuple[str, ...]) -> set[str]:
    """The parameters ``fn`` names (not ``*args``/``**kwargs``), less ``skip``."""
    return {p.name for p in inspect.signature(fn).parameters.values()
            if p.name not in skip and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def _member_types(est: Any) -> list[type]:
    """The classes of ``est`` and of every augmenter inside it (those ``fit_resample`` hands keywords to)."""
    return [type(a) for a in est._descendants()] if hasattr(est, "_descendants") else [type(est)]


def _call_input_names(types: list[type]) -> set[str]:
    """The modality's call inputs (``lengths``, ``hard``...) the ``_extra_inputs`` of ``types`` name."""
    names: set[str] = set()
    for t in types:
        extra = getattr(t, "_extra_inputs", None)
        if extra is not None:
            names |= _keyword_names(extra, ("self", "x", "y"))
    return names


def _route_fit_resample_params(est: Any, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``fit_resample``'s keywords as ``(to fit, to augment)``: those a ``fit`` of ``est`` or of an
    augmenter inside it names go to ``fit`` (a composition forwards them), the modality's call inputs
    (those an ``_extra_inputs`` names: ``lengths``, ``hard``...) to ``augment``; ``TypeError`` naming
    any other (a misspelt ``lenghts`` was handed to ``fit``, which ignored it)."""
    if not params:
        return {}, {}
    types = _member_types(est)
    fit_names: set[str] = set()
    for t in types:
        fit_names |= _keyword_names(t.fit, ("self", "X", "y"))
    call_names = _call_input_names(types)
    unknown = sorted(set(params) - fit_names - call_names)
    if unknown:
        takes = [f"fit's {', '.join(sorted(fit_names))}" if fit_names else "",
                 f"the call's {', '.join(sorted(call_names))}" if call_names else ""]
        takes = " and ".join(t for t in takes if t) or "no keyword argument"
        raise TypeError(
            f"{type(est).__name__}.fit_resample: unexpected keyword argument(s) {unknown}; it takes {takes}"
        )
    fit_kw = {k: v for k, v in params.items() if k in fit_names}
    call_kw = {k: v for k, v in params.items() if k in call_names}
    return fit_kw, call_kw


def _clone_params(est: Any) -> Any:
    """scikit-learn's default clone (a new instance from ``get_params(deep=False)``, cloned)."""
    from sklearn.base import _clone_parametrized

    return _clone_parametrized(est)


def _with_sampler_tags(tags: Any) -> Any:
    """``tags`` as imblearn's ``Tags`` with ``sampler_tags`` (what imblearn's checks read), when
    imblearn is installed; unchanged otherwise."""
    try:
        from imblearn.utils._tags import InputTags, SamplerTags, Tags
    except ImportError:
        return tags
    import dataclasses

    def fields(obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}

    out = fields(tags)
    out["input_tags"] = InputTags(**fields(tags.input_tags), dataframe=tags.input_tags.categorical)
    out["sampler_tags"] = SamplerTags(sample_indices=False)
    return Tags(**out)


# ---- the estimator checks that do not apply ----------------------------------------------------------------

_RANDOM = "augmentation draws new random numbers at every call, so two outputs for the same input differ"
_BALANCE = "imblearn's class-balancing expectation; an augmenter adds n_aug copies of every sample, whatever the classes"

#: checks of ``imblearn.utils.estimator_checks`` (run on the sampler face)
_SAMPLER_CHECKS: dict[str, str] = {
    "check_target_type": "regression targets are accepted on purpose (augmentation is not class balancing)",
    "check_samplers_one_label": _BALANCE + " (one class is fine)",
    "check_samplers_fit": _BALANCE + " (no sampling_strategy_)",
    "check_samplers_multiclass_ova": _RANDOM + " (compares two fit_resample results)",
    "check_samplers_list": _RANDOM + " (compares two fit_resample results)",
    "check_samplers_pandas": _RANDOM + " (compares fit_resample results for DataFrame and array input)",
    "check_samplers_pandas_sparse": "sparse input is refused (augmenters work on dense tensors)",
}

#: checks of ``sklearn.utils.estimator_checks`` (run on the transformer face)
_TRANSFORMER_CHECKS: dict[str, str] = {
    "check_do_not_raise_errors_in_init_or_set_params": (
        "subclasses forward **kwargs to the base __init__, and the check passes a keyword literally named 'kwargs'"
    ),
    "check_n_features_in": "an augmenter transforms any width at each call: it records no n_features_in_",
    "check_n_features_in_after_fitting": "an augmenter transforms any width at each call: it records no n_features_in_",
    "check_dict_unchanged": (
        "transform draws from the augmenter's own random stream (created on first use, then advancing), "
        "which lives on the instance by contract"
    ),
    "check_estimators_pickle": _RANDOM + " (compares transform before and after pickling)",
    "check_fit_idempotent": _RANDOM + " (compares transform after two fits)",
    "check_transformer_data_not_an_array": "mixing augmenters read y with len(), which the check's array wrapper lacks",
    "check_dtype_object": "object arrays of numbers are converted, but the refusal of strings is worded differently",
    "check_fit2d_1sample": (
        "a single row is refused with 'needs at least 2 rows ... got 1' (noise.py/mixup.py wording) "
        "instead of sklearn's '1 sample'"
    ),
}


def sklearn_expected_failed_checks(estimator: Any) -> dict[str, str]:
    """The checks of ``sklearn.utils.estimator_checks`` and ``imblearn.utils.estimator_checks`` that
    ``estimator`` (an augmenter) is expected to fail, as ``{check name: reason}``: pass it as
    ``expected_failed_checks`` to ``parametrize_with_checks``/``check_estimator`` to rerun the checks
    multiaug's test suite runs. Every other check passes (or is skipped by scikit-learn itself from the
    augmenter's tags, e.g. ``non_deterministic``)."""
    out: dict[str, str] = {}
    api = _api(estimator)
    if api != "sampler":
        out.update(_TRANSFORMER_CHECKS)
        if getattr(estimator, "learned", False):
            # learned augmenters record n_features_in_ in fit and check it at use
            out.pop("check_n_features_in")
        if not getattr(estimator, "mixes_samples", False):
            # per-row noise: the generator state travels with the pickle and fit does not touch it
            out.pop("check_estimators_pickle")
            out.pop("check_fit_idempotent")
    if api != "transformer":
        out.update(_SAMPLER_CHECKS)
        if getattr(estimator, "task", None) == "regression":
            out["check_samplers_preserve_dtype"] = "regression targets are mixed, so integer targets come back as floats"
    return out
