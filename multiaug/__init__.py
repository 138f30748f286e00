"""multiaug: data augmentation for text, graphs, tables and time series behind one contract."""
from .core import (
    Augmenter,
    LabelConsistent,
    NotFittedError,
    OneOf,
    RandAugment,
    Sequential,
    SomeOf,
    Sometimes,
)
from .core.sklearn import sklearn_expected_failed_checks
from .registry import create, get, names, register

__version__ = "0.1.0"


def load(path):
    """Load an augmenter saved with ``Augmenter.save`` (config + safetensors)."""
    return Augmenter.load(path)


def from_config(config):
    """Build an augmenter (or a whole composition) from a config dict or a .json/.yaml file."""
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
