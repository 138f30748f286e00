"""The shared Augmenter contract, split by job:

* :mod:`.handlers` -- modality handlers (``ModalityHandler``, ``register_modality``, ``get_modality``);
* :mod:`.labels` -- label helpers (take/merge/concat, one-hot upgrade, ``resample_labels``);
* :mod:`.seeding` -- seeds and per-instance random streams (``fresh_seed``, ``mix_seeds``, ``worker_seed``);
* :mod:`.base` -- the :class:`Augmenter` base class (closed ``sample``/``apply``/``__call__`` template);
* :mod:`.persistence` -- configs and fitted state (``read_config``, ``write_config``, save/load);
* :mod:`.compose` -- ``Sequential``, ``OneOf``, ``SomeOf``, ``Sometimes``, ``RandAugment``;
* :mod:`.report` -- ``AugmentReport`` and message helpers;
* :mod:`.consistency` -- ``LabelConsistent`` (keep augmented samples a reference model still labels as their source);
* :mod:`.balance` -- class balancing (``sampling_strategy``) for ``augment``/``fit_resample``;
* :mod:`.hostreads` -- where a GPU run waits for the device: the read policy (``host_reads_cheap``),
  the ``p`` masks (``all_true``, ``split_active``) and ``count_host_reads`` (see docs/gpu.md).

The public names are re-exported here; private helpers are imported from their module.
"""
from .base import Augmenter, NotFittedError, Params, device_unavailable
from .compose import Composition, OneOf, RandAugment, Sequential, SomeOf, Sometimes
from .consistency import LabelConsistent
from .handlers import ModalityHandler, TensorHandler, get_modality, register_modality
from .labels import concat_labels, label_length, merge_labels, resample_labels, take_labels
from .persistence import Persistence, read_config, write_config
from .report import AugmentReport, UnchangedWarning, ensure_callable, warn_unchanged
from .seeding import RandomStreams, fresh_seed, mix_seeds, worker_seed

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
    "UnchangedWarning",
    "warn_unchanged",
    "ensure_callable",
    "device_unavailable",
    "Persistence",
    "RandomStreams",
]
