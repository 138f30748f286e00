"""What one augmentation run of a file is asked to do: :class:`RunOptions`, shared by the local engine
(:func:`multiaug.engines.local.augment_file`), the Ray engine (:func:`multiaug.engines.ray.augment_path`,
:func:`~multiaug.engines.ray.augment_dataset`) and the ``multiaug augment`` command.

The engines take the options either as one object or as keywords that build it::

    from multiaug.engines import RunOptions
    from multiaug.engines.local import augment_file

    opts = RunOptions(n_aug=2, seed=0, column="text", batch_size=512)
    augment_file(aug, "in.csv", "out.csv", opts)
    augment_file(aug, "in.csv", "out.csv", n_aug=2, seed=0, column="text", batch_size=512)  # the same run

Giving both is a ``TypeError``. The options are checked once, when they are built (so a bad
``batch_size`` is refused before any file is opened); ``n_aug=None`` means the augmenter's own
``n_aug`` (:meth:`RunOptions.n_aug_for`). The object is frozen: use :func:`dataclasses.replace` to
derive a variant.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np


def _positive_int(name: str, value: Any, where: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _optional(name: str, value: Any, types: tuple[type, ...], expected: str) -> None:
    if value is not None and (isinstance(value, bool) and bool not in types or not isinstance(value, types)):
        raise TypeError(f"RunOptions: {name} must be {expected} or None, got {value!r}")


@dataclass(frozen=True)
class RunOptions:
    """Options of one run over a file (see the module doc).

    ``n_aug``: augmented copies per row (None: the augmenter's ``n_aug``); ``seed``: reseed every batch
    from ``(seed, first row of the batch)`` (None: the augmenter's own generator); ``column``: the
    text column (text augmenters); ``label_column``: labels/targets (tabular: left out of the
    features); ``feature_columns``: the tabular features (None: every other column);
    ``batch_size``: rows (series, graphs) per batch; ``exclude_original``: write only the augmented
    rows; ``overwrite``: replace an existing output (never the input); ``progress``: progress bar
    (None: when stderr is a terminal); ``tokens_column``/``tags_column``: the list columns of tagged
    sentences (tagged augmenters; None: ``tokens``/``tags``); ``balance``: a ``sampling_strategy`` (imblearn's) that sets the
    augmented copies per row from the class counts of the whole file instead of ``n_aug``."""

    n_aug: int | None = None
    seed: int | None = None
    column: str | None = None
    label_column: str | None = None
    feature_columns: list[str] | None = None
    batch_size: int = 1024
    exclude_original: bool = False
    overwrite: bool = False
    progress: bool | None = None
    tokens_column: str | None = None
    tags_column: str | None = None
    #: class balancing over the whole file (imblearn's sampling_strategy; see multiaug/core/balance.py)
    balance: Any = None

    def __post_init__(self) -> None:
        if self.n_aug is not None:
            object.__setattr__(self, "n_aug", _positive_int("n_aug", self.n_aug))
        object.__setattr__(self, "batch_size", _positive_int("batch_size", self.batch_size))
        _optional("seed", self.seed, (int, np.integer), "an integer")
        if self.seed is not None:
            object.__setattr__(self, "seed", int(self.seed))
        _optional("column", self.column, (str,), "a column name (str)")
        _optional("label_column", self.label_column, (str,), "a column name (str)")
        _optional("tokens_column", self.tokens_column, (str,), "a column name (str)")
        _optional("tags_column", self.tags_column, (str,), "a column name (str)")
        if self.feature_columns is not None:
            feats = self.feature_columns
            if isinstance(feats, str) or not all(isinstance(c, str) for c in feats):
                raise TypeError(f"RunOptions: feature_columns must be a list of column names (str) or None, got {feats!r}")
            object.__setattr__(self, "feature_columns", list(feats) or None)
        for name in ("exclude_original", "overwrite"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"RunOptions: {name} must be True or False, got {getattr(self, name)!r}")
            object.__setattr__(self, name, bool(getattr(self, name)))
        _optional("progress", self.progress, (bool, np.bool_), "True or False")
        if self.balance is not None:
            from ..core.balance import STRATEGY_DESC, valid_strategy

            if not valid_strategy(self.balance):
                raise ValueError(f"RunOptions: balance must be {STRATEGY_DESC}, got {self.balance!r}")

    def n_aug_for(self, aug: Any) -> int:
        """The copies per row for ``aug``: ``n_aug``, or the augmenter's own when it is None."""
        if self.n_aug is not None:
            return self.n_aug
        n = getattr(aug, "n_aug", 1)
        if n is None and callable(getattr(aug, "_check_n_aug", None)):  # a wrapper that takes its child's (LabelConsistent)
            n = aug._check_n_aug(None)
        return _positive_int("n_aug", n, f"{type(aug).__name__}: ")

    @classmethod
    def from_call(cls, options: "RunOptions | None", kwargs: Mapping[str, Any], where: str) -> "RunOptions":
        """The options of an engine call that takes ``options`` or the keywords that build them
        (``where``: the function's name, for the messages)."""
        if options is not None and kwargs:
            raise TypeError(f"{where}: pass either options or the keywords {sorted(kwargs)}, not both")
        if options is not None:
            if not isinstance(options, cls):
                raise TypeError(f"{where}: options must be a RunOptions, got {type(options).__name__}")
            return options
        unknown = sorted(set(kwargs) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise TypeError(f"{where}: unexpected keyword(s) {unknown}; expected some of {cls.keywords()}")
        return cls(**kwargs)

    @classmethod
    def keywords(cls) -> list[str]:
        """The option names (the keywords the engines accept in place of a ``RunOptions``)."""
        return [f.name for f in dataclasses.fields(cls)]
