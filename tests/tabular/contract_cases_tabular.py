"""Contract-suite entries for the tabular augmenters (see tests/test_contract.py)."""
import torch


def _table():
    g = torch.Generator().manual_seed(99)
    return torch.randn(32, 5, generator=g)


def _regression_target():
    x = _table()
    return torch.sin(2 * x[:, 0]) + x[:, 1] ** 2 + 0.1 * x[:, 2]


def _class_labels():
    return torch.arange(32) % 3


def _tokens():
    g = torch.Generator().manual_seed(7)
    return torch.randn(16, 5, 4, generator=g)


CASES = {
    "mixup": dict(x=_table, y=_class_labels),
    "cutmix": dict(x=_table, y=_regression_target),
    "feat_mix": dict(x=_table, y=_regression_target, fit=True),
    "hid_mix": dict(x=_tokens, y=lambda: torch.arange(16) % 2),
    "regmix": dict(
        params={"n_iter": 3, "episodes": 2, "n_random_features": 16, "k_candidates": [1, 4, 8]},
        x=_table,
        y=_regression_target,
        fit=True,
    ),
}
