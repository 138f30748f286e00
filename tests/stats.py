"""Statistical helpers shared by the distribution tests."""
from __future__ import annotations

import numpy as np
from scipy import stats

EDGE = 1e-3


def ks_beta(lam, a, b):
    """KS p-value of ``lam`` against Beta(a, b) on [EDGE, 1 - EDGE] (float32 rounds the draws within
    ~6e-8 of 0 or 1 to exactly 0 or 1, ties that a KS test on [0, 1] would count against the law); the
    mass outside is checked against the law within 4 sigma (0.0 when it is off)."""
    law = stats.beta(a, b)
    lam = np.asarray(lam, dtype=np.float64)
    inside = (lam >= EDGE) & (lam <= 1 - EDGE)
    lo, hi = law.cdf(EDGE), law.cdf(1 - EDGE)
    q = 1 - (hi - lo)
    if abs((~inside).sum() - q * len(lam)) > 4 * np.sqrt(len(lam) * q * (1 - q)) + 1:
        return 0.0
    return stats.kstest(lam[inside], lambda v: (law.cdf(v) - lo) / (hi - lo)).pvalue
