"""Paired statistics of the evaluation (multiaug/evaluation/results.py)."""
import json
import math

import numpy as np
import pytest

from multiaug.evaluation import EvaluationResult, paired_stats

CIS = ("corrected", "t", "bootstrap")


@pytest.mark.parametrize("ci", CIS)
def test_every_difference_equal_and_nonzero_uses_the_exact_sign_flip_test(ci):
    # zero variance gave p=0 (t = c/0) and a zero-width interval, on 5 splits as on 100
    for c in (0.02, -0.0125):
        st = paired_stats(np.full(10, c), 0.25, ci)
        assert st["p_value"] == pytest.approx(2 / 2**10) and st["diff"] == pytest.approx(c)
        assert st["ci_low"] == st["ci_high"] == pytest.approx(c)  # every other shift rejected at p = 2/2^10
        st = paired_stats(np.full(5, c), 0.25, ci)
        assert st["p_value"] == pytest.approx(2 / 2**5)
        assert (st["ci_low"], st["ci_high"]) == (-math.inf, math.inf)  # 2/32 > 0.05: nothing ruled out
        assert paired_stats(np.full(5, c), 0.25, ci, level=0.9)["ci_low"] == pytest.approx(c)  # 2/32 <= 0.1


@pytest.mark.parametrize("ci", CIS)
def test_every_difference_zero_gives_p_one(ci):
    st = paired_stats(np.zeros(10), 0.25, ci)
    assert st == {"diff": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0}
    st = paired_stats(np.zeros(3), 0.25, ci)
    assert st["p_value"] == 1.0 and (st["ci_low"], st["ci_high"]) == (-math.inf, math.inf)


def test_differences_equal_but_for_float_rounding_are_equal():
    # 0.1 + 0.2 - 0.3 is 5.6e-17: as a difference of two equal scores summed in another order it is 0, and
    # the same gain computed from folds of different sizes differs in the last bits: the t-test gave p ~ 1e-140
    st = paired_stats(np.array([0.1 + 0.2 - 0.3] * 4 + [0.0] * 6), 0.25)
    assert st["p_value"] == 1.0 and st["diff"] == 0.0
    d = np.array([0.3 - 0.28] * 5 + [0.02] * 5)
    assert d.var() > 0
    assert paired_stats(d, 0.25)["p_value"] == pytest.approx(2 / 2**10)
    # the scale of the scores sets what rounding is: the differences of scores near 1e6 differ by 1e-10
    big = np.array([1e6 + 1e-10 * k for k in range(10)]) - 1e6
    assert paired_stats(big, 0.25, scale=1e6)["p_value"] == 1.0
    assert paired_stats(np.array([0.0, 1e-9] * 5), 0.25)["p_value"] < 1  # not rounding: the t-test


def test_summary_and_reports_carry_the_exact_test_and_unbounded_intervals(tmp_path):
    n = 5
    base = np.full(n, 0.8)
    res = EvaluationResult(names=["none", "up", "same"], scores={"none": base, "up": base + 0.05, "same": base.copy()},
                           fit_time={k: np.zeros(n) for k in ("none", "up", "same")},
                           augment_time={k: np.zeros(n) for k in ("none", "up", "same")}, configs={}, scoring="accuracy",
                           modality="tabular", task="classification", n_splits=5, repeats=1, test_train_ratio=0.25)
    rows = {r["candidate"]: r for r in res.summary()}
    assert rows["up"]["p_value"] == pytest.approx(2 / 2**5) and rows["up"]["ci_low"] == -math.inf
    assert rows["same"]["p_value"] == 1.0
    assert "[-inf, inf]" in res.to_markdown()
    data = json.loads(res.to_json())  # strict JSON: an unbounded side is null
    up = next(r for r in data["summary"] if r["candidate"] == "up")
    assert up["ci_low"] is None and up["ci_high"] is None and up["p_value"] == pytest.approx(1 / 16)
    pytest.importorskip("matplotlib")
    fig = res.plot()
    lo, hi = fig.axes[0].get_xlim()
    assert math.isfinite(lo) and math.isfinite(hi)
