"""Registry: short name -> augmenter class, used by the CLI and by configuration files.

Augmenter modules register their classes with the :func:`register` decorator; :func:`load_all`
imports every modality package so the registry is complete (done lazily, because importing the graph
and text stacks costs time).
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, TypeVar

_REGISTRY: dict[str, type] = {}
_LOADED = False
_MODULES = (
    "multiaug.core",
    "multiaug.text",
    "multiaug.graph",
    "multiaug.tabular",
    "multiaug.timeseries",
)
T = TypeVar("T", bound=type)


def register(name: str) -> Callable[[T], T]:
    """Class decorator: ``@register("jitter")``. Names are lower-case and unique."""
    if not isinstance(name, str) or not name or name != name.lower() or " " in name:
        raise ValueError(f"registry name must be a non-empty lower-case string without spaces, got {name!r}")

    def deco(cls: T) -> T:
        other = _REGISTRY.get(name)
        if other is not None and (other.__module__, other.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"registry name {name!r} is taken by {other.__module__}.{other.__qualname__}")
        _REGISTRY[name] = cls
        cls.registry_name = name
        return cls

    return deco


def load_all() -> None:
    """Import every modality package (each registers its augmenters on import)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for mod in _MODULES:
        importlib.import_module(mod)


def names() -> list[str]:
    load_all()
    return sorted(_REGISTRY)


def items() -> list[tuple[str, type]]:
    load_all()
    return sorted(_REGISTRY.items())


def resolve(name: str) -> str:
    """The registered name of ``name`` as a user may spell it: any case, ``-`` or a space for ``_``
    (``Random-Swap`` -> ``random_swap``), or the class name (``EDA`` -> ``eda``, ``RandomSwap`` ->
    ``random_swap``). A name matching none of them is returned as given."""
    if not isinstance(name, str):
        return name
    if name not in _REGISTRY:
        load_all()
    if name in _REGISTRY:
        return name
    key = "".join(name.split()).lower().replace("-", "_")
    if key in _REGISTRY:
        return key
    flat = key.replace("_", "")
    by_class = {cls.__name__.lower(): n for n, cls in _REGISTRY.items()}
    by_flat = {n.replace("_", ""): n for n in _REGISTRY}
    return by_class.get(flat) or by_flat.get(flat) or name


def get(name: str) -> type:
    """The class registered as ``name``, spelt in any case, with ``-`` for ``_`` or as the class name
    (:func:`resolve`); a ``ValueError`` lists close matches otherwise."""
    name = resolve(name)
    if name not in _REGISTRY:
        import difflib

        key = str(name).lower().replace("-", "_")
        close = difflib.get_close_matches(key, list(_REGISTRY), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown augmenter {name!r}{hint} (see `multiaug list`)")
    return _REGISTRY[name]


def check_params(cls: type, params: Any, where: str = "parameter") -> None:
    """Raise a one-line ``ValueError`` when ``params`` (names, or a mapping) holds a name that is not a
    hyperparameter of augmenter class ``cls``: it names the augmenter, suggests close names and lists
    the parameters. ``step__param`` keys (scikit-learn's nested form) are checked by their first part."""
    import difflib

    known = list(cls._get_param_names()) if hasattr(cls, "_get_param_names") else list(inspect.signature(cls).parameters)
    label = getattr(cls, "registry_name", None) or cls.__name__
    for key in params:
        top = str(key).split("__", 1)[0]
        if top in known:
            continue
        close = difflib.get_close_matches(top, known, n=2, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        raise ValueError(
            f"augmenter {label!r} has no {where} {str(key)!r}{hint}; its parameters are {', '.join(known)} "
            f"(see `multiaug describe {label}`)"
        )


def create(name: str, **params: Any):
    """An instance of the augmenter registered as ``name``; unknown or missing parameters are a
    one-line ``ValueError`` that names the augmenter and lists its parameters."""
    name = resolve(name)
    cls = get(name)
    check_params(cls, params)
    missing = [k for k, d in cls.param_defaults().items() if d is inspect.Parameter.empty and k not in params]
    if missing:
        raise ValueError(
            f"augmenter {name!r} needs parameter(s) {', '.join(missing)} (give them as --param NAME=VALUE; "
            f"see `multiaug describe {name}`)"
        )
    return cls(**params)


def name_of(cls: type) -> str:
    n = getattr(cls, "registry_name", None)
    if n is None or _REGISTRY.get(n) is not cls:
        raise ValueError(f"{cls.__name__} is not registered; decorate it with @multiaug.registry.register(name)")
    return n


def summary(cls: type, width: int = 110) -> str:
    """The class docstring's first sentence (its own docstring, not an inherited one), shortened."""
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
    para = " ".join(doc.split("\n\n", 1)[0].split())
    if not para:
        return ""
    if len(para) > width:
        import re

        m = next((m for m in re.finditer(r"\.\s+(?=[A-Z`])", para) if 20 < m.start() < width), None)
        if m is not None:
            return para[: m.start() + 1]
    return para if len(para) <= width else para[: width - 1].rstrip() + "…"


def describe(name: str) -> str:
    name = resolve(name)
    cls = get(name)
    lines = [f"{name} ({cls.__module__}.{cls.__qualname__}), modality: {modality_of(cls)}", ""]
    doc = inspect.getdoc(cls) or ""
    if doc:
        lines += [doc, ""]
    lines.append("parameters:")
    for pname, default in cls.param_defaults().items():
        d = "(required)" if default is inspect.Parameter.empty else repr(default)
        lines.append(f"  {pname} = {d}")
    if getattr(cls, "magnitude_range", None):
        lines.append(f"magnitude_range: {cls.magnitude_range}")
    if getattr(cls, "learned", False) is True:
        lines.append("learned: call fit() first (the CLI fits on the input file unless --load is given)")
    return "\n".join(lines)


def modality_of(cls: type) -> str:
    """The modality a registered class declares ("text", "graph", "tabular", "timeseries"), or "any"
    (compositions, whose modality comes from their children)."""
    m = cls.__dict__.get("modality", getattr(cls, "modality", "any"))
    return m if isinstance(m, str) else "any"


_modality = modality_of  # the name the CLI used before it was public
