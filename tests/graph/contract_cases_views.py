"""Contract-test cases for the structural and Schur views (defaults suit the default graph batch;
these entries exercise the per-graph ranges instead of fixed rates)."""
from __future__ import annotations

CASES = {
    "schur_view": dict(params={"fraction": (0.3, 0.6)}),
    "edge_drop": dict(params={"rate": (0.1, 0.4)}),
    "node_drop": dict(params={"rate": (0.1, 0.4)}),
}
