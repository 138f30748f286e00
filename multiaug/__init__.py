"""multiaug: data augmentation for text, graphs, tables and time series behind one contract.

The names below are imported on first use (PEP 562), so that ``import multiaug`` and the ``multiaug``
command's ``--help`` do not pay for PyTorch and scikit-learn before they are needed."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .registry import create, get, names, register

__version__ = "0.1.0"

#: public names defined in multiaug.core
_CORE_NAMES = ("Augmenter", "LabelConsistent", "NotFittedError", "OneOf", "RandAugment", "Sequential", "SomeOf",
               "Sometimes")
#: subpackages and modules reachable as attributes (``multiaug.graph.EdgeAdd``) without importing them first
_SUBMODULES = ("cli", "core", "engines", "evaluation", "graph", "io", "preview", "tabular", "text", "timeseries")

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .core import Augmenter, LabelConsistent, NotFittedError, OneOf, RandAugment, Sequential, SomeOf, Sometimes
    from .core.sklearn import sklearn_expected_failed_checks


def __getattr__(name: str) -> Any:
    if name in _CORE_NAMES:
        value = getattr(importlib.import_module(".core", __name__), name)
    elif name == "sklearn_expected_failed_checks":
        value = importlib.import_module(".core.sklearn", __name__).sklearn_expected_failed_checks
    elif name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))


def load(path):
    """Load an augmenter saved with ``Augmenter.save`` (config + safetensors)."""
    from .core import Augmenter

    return Augmenter.load(path)


def from_config(config):
    """Build an augmenter (or a whole composition) from a config dict or a .json/.yaml file."""
    from .core import Augmenter

    return Augmenter.from_config(config)


__all__ = [
    "Augmenter",
    "LabelConsistent",
    "NotFittedError",
    "OneOf",
    "RandAugment",
    "Sequential",
    "SomeOf",
    "Sometimes",
    "create",
    "from_config",
    "get",
    "load",
    "names",
    "register",
    "sklearn_expected_failed_checks",
    "__version__",
]
