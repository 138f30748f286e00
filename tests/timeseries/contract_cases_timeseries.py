"""Contract-suite cases for the time-series augmenters whose defaults do not suit the default batch."""
from __future__ import annotations

# AutoTCL: a tiny network and a few iterations so that fitting takes well under a second.
TINY_AUTOTCL = dict(
    n_iters=3,
    batch_size=4,
    depth=1,
    hidden_dims=8,
    output_dims=16,
    aug_depth=1,
    aug_hidden_dims=8,
    aug_dims=4,
    local_segments=4,
)

CASES = {
    "autotcl": dict(params=TINY_AUTOTCL, fit=True),
}
