"""The shared Augmenter contract, split by job:

* :mod:`.handlers` -- modality handlers (``ModalityHandler``, ``register_modality``, ``get_modality``);
* :mod:`.labels` -- label helpers (take/merge/concat, one-hot upgrade, ``resample_labels``);
* :mod:`.seeding` -- seeds and per-instance random streams (``fresh_seed``, ``mix_seeds``, ``worker_seed``);
* :mod:`.base` -- the :class:`Augmenter` base class (closed ``sample``/``apply``/``__call__`` template);
* :mod:`.persistence` -- configs and fitted state (``read_config``, ``write_config``, save/load);
* :mod:`.compose` -- ``Sequential``, ``OneOf``, ``SomeOf``, ``Sometimes``, ``RandAugment``;
* :mod:`.report` -- ``AugmentReport`` and message helpers;
* :mod:`.consistency` -- ``LabelConsistent`` (keep augmented samples a reference model still labels as their source);
* :mod:`.balance` -- class balancing (``sampling_strategy``) for ``augment``/``fit_resample``.

Everything importable from ``multiaug.core`` before the split is re-exported here.
"""
from .base import Augmenter, NotFittedError, Params, device_unavailable
from .compose import Composition, OneOf, RandAugment, Sequential, SomeOf, Sometimes
from .consistency import LabelConsistent
from .handlers import _MODALITIES, ModalityHandler, TensorHandler, get_modality, register_modality
from .labels import (
    _n_columns,
    _one_hot,
    _pad_columns,
    concat_labels,
    label_length,
    merge_labels,
    resample_labels,
    take_labels,
)
from .persistence import Persistence, _param_from_config, _param_to_config, _yaml_error, read_config, write_config
from .report import AugmentReport, ensure_callable, warn_unchanged
from .seeding import _UNSEEDED_IN_WORKER, _UNSEEDED_SALT, RandomStreams, fresh_seed, mix_seeds, worker_seed
from .sklearn import _asked_by_imblearn  # noqa: F401 (kept importable from multiaug.core)

__all__ = [
    "Augmenter",
    "Composition",
    "Sequential",
    "OneOf",
    "SomeOf",
    "Sometimes",
    "RandAugment",
    "LabelConsistent",
    "ModalityHandler",
    "TensorHandler",
    "register_modality",
    "get_modality",
    "NotFittedError",
    "fresh_seed",
    "mix_seeds",
    "worker_seed",
    "AugmentReport",
    "Params",
    "label_length",
    "take_labels",
    "merge_labels",
    "concat_labels",
    "resample_labels",
    "read_config",
    "write_config",
    "warn_unchanged",
    "ensure_callable",
    "device_unavailable",
]
