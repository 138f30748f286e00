"""The result of :func:`multiaug.evaluation.evaluate`: per-split scores and their paired statistics."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CI_METHODS = ("corrected", "t", "bootstrap")


def check_interval(ci: Any, level: Any, who: str = "evaluate", level_name: str = "level") -> None:
    """Refuse a bad interval method or level before any fit runs."""
    if ci not in CI_METHODS:
        raise ValueError(f"{who}: ci expected one of {list(CI_METHODS)}, got {ci!r}")
    check_level(level, who, level_name)


def check_level(level: Any, who: str = "evaluate", level_name: str = "level") -> None:
    """Refuse a confidence level outside (0, 1) before any fit runs."""
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < float(level) < 1:
        raise ValueError(f"{who}: {level_name} expected a confidence level strictly between 0 and 1 (e.g. 0.95), "
                         f"got {level!r}")


#: differences within ``ROUNDING * max(1, scale of the scores)`` of each other are equal, and within it
#: of 0 are 0 (float rounding: the same fold scores summed in another order), as the search's ties are
ROUNDING = 1e-12


def paired_stats(diff: np.ndarray, test_train_ratio: float, ci: str = "corrected", level: float = 0.95, *,
                 scale: float | None = None) -> dict:
    """Mean of the paired differences ``diff`` (one per split) with a ``level`` confidence interval and a
    two-sided p-value.

    ``ci="corrected"`` (default): Nadeau & Bengio's corrected resampled t-test. The splits of repeated
    k-fold share training rows, so their differences are correlated and the plain t-interval is too
    narrow; the variance of the mean is inflated to ``(1/J + n_test/n_train) * s^2`` (``J`` splits),
    with ``J - 1`` degrees of freedom. ``ci="t"``: the plain t-interval ``s^2/J`` (optimistic, shown for
    comparison). ``ci="bootstrap"``: percentile bootstrap of the mean over splits (10,000 resamples,
    seeded; as optimistic as ``"t"`` because it also ignores the correlation).

    **Every difference equal** (``s = 0``, which discrete scores such as accuracy often give: the same
    number of test rows gained in every fold), whatever ``ci``: the t statistic is undefined (``c/0``)
    and a bootstrap has nothing to resample, so the exact sign-flip permutation test is used: under "no
    difference" each of the ``2^J`` sign patterns of the ``J`` differences is equally likely, and only
    the two uniform ones reach ``|mean| = |c|``. So ``p = 1`` when every difference is 0, and
    ``p = 2 / 2^J`` when every difference is ``c != 0``. The interval is that test inverted: ``[c, c]``
    when ``2 / 2^J <= 1 - level`` (``J >= 6`` splits at 95%), else ``(-inf, inf)``: with fewer splits no
    shift of the differences can be ruled out at that level. (Like ``"t"``, the sign-flip test treats
    the splits as exchangeable, without the correction for their shared training rows.) Differences
    within ``1e-12 * max(1, scale)`` of each other count as equal, and within it of 0 as 0 (float
    rounding); ``scale``: the magnitude of the scores they come from (default: of the differences)."""
    from scipy import stats

    d = np.asarray(diff, dtype=float)
    j = len(d)
    mean = float(d.mean()) if j else math.nan
    if j < 2:
        return {"diff": mean, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    if ci not in CI_METHODS:
        raise ValueError(f"ci: expected {', '.join(map(repr, CI_METHODS[:-1]))} or {CI_METHODS[-1]!r}, got {ci!r}")
    if np.isfinite(d).all():
        tol = ROUNDING * max(1.0, float(np.abs(d).max()) if scale is None else abs(float(scale)))
        if float(d.max() - d.min()) <= tol:  # every difference equal: the exact sign-flip test
            c = 0.0 if abs(mean) <= tol else mean
            p = 1.0 if c == 0.0 else 2.0 ** (1 - j)
            lo, hi = (c, c) if 2.0 ** (1 - j) <= 1 - level else (-math.inf, math.inf)
            return {"diff": c, "ci_low": lo, "ci_high": hi, "p_value": p}
    s2 = float(d.var(ddof=1))
    if ci == "bootstrap":
        rng = np.random.default_rng(0)
        means = d[rng.integers(0, j, (10_000, j))].mean(axis=1)
        lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
        p = float(min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean())))
        return {"diff": mean, "ci_low": float(lo), "ci_high": float(hi), "p_value": p}
    var = (1.0 / j + test_train_ratio) * s2 if ci == "corrected" else s2 / j
    se = math.sqrt(var)
    tq = float(stats.t.ppf((1 + level) / 2, j - 1))
    p = float(2 * stats.t.sf(abs(mean) / se, j - 1))
    return {"diff": mean, "ci_low": mean - tq * se, "ci_high": mean + tq * se, "p_value": p}


def _scale(*scores: np.ndarray) -> float:
    """The magnitude of the scores a difference comes from (what float rounding is relative to)."""
    vals = np.abs(np.concatenate([np.asarray(v, dtype=float) for v in scores]))
    vals = vals[np.isfinite(vals)]
    return float(vals.max()) if len(vals) else 1.0


@dataclass
class EvaluationResult:
    """Scores of each candidate on the same splits (``scores[name]``: one value per split, in split
    order), with fit/augment times, and the paired comparison against the baseline ``"none"``."""

    names: list[str]
    scores: dict[str, np.ndarray]
    fit_time: dict[str, np.ndarray]
    augment_time: dict[str, np.ndarray]
    configs: dict[str, Any]
    scoring: str
    modality: str
    task: str
    n_splits: int
    repeats: int
    test_train_ratio: float
    ci: str = "corrected"
    level: float = 0.95
    baseline: str = "none"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> list[dict]:
        """One row per candidate: mean, std, paired difference to the baseline with its interval and
        p-value, wins/ties/losses over the splits, mean fit and augment seconds per split."""
        base = self.scores.get(self.baseline)
        rows = []
        for name in self.names:
            s = self.scores[name]
            row = {"candidate": name, "mean": float(np.mean(s)) if len(s) else math.nan,
                   "std": float(np.std(s, ddof=1)) if len(s) > 1 else math.nan, "splits": int(len(s))}
            if base is not None and name != self.baseline:
                m = min(len(s), len(base))
                d = s[:m] - base[:m]
                row.update(paired_stats(d, self.test_train_ratio, self.ci, self.level, scale=_scale(s[:m], base[:m])))
                row.update(wins=int((d > 0).sum()), ties=int((d == 0).sum()), losses=int((d < 0).sum()))
            else:
                row.update(diff=0.0 if name == self.baseline else math.nan, ci_low=math.nan, ci_high=math.nan,
                           p_value=math.nan, wins=0, ties=0, losses=0)
            row["fit_time_s"] = float(np.mean(self.fit_time[name])) if len(self.fit_time[name]) else math.nan
            row["augment_time_s"] = float(np.mean(self.augment_time[name])) if len(self.augment_time[name]) else math.nan
            rows.append(row)
        return rows

    @property
    def best(self) -> str:
        """The candidate with the highest mean score (the baseline included; means equal but for float
        rounding are ties, which the earlier candidate, the baseline first, wins)."""
        rows = self.summary()
        return max(rows, key=lambda r: -math.inf if math.isnan(r["mean"]) else round(r["mean"], 12))["candidate"]

    def to_frame(self):
        """A pandas DataFrame of :meth:`summary`, indexed by candidate."""
        import pandas as pd

        return pd.DataFrame(self.summary()).set_index("candidate")

    def to_markdown(self, digits: int = 4) -> str:
        """A Markdown table (no extra dependency) followed by how the interval was computed."""
        lvl = int(round(self.level * 100))
        head = ["candidate", f"mean {self.scoring}", "std", f"diff vs {self.baseline} [{lvl}% CI]", "p", "wins/ties/losses",
                "fit s", "augment s"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]

        def f(v: float) -> str:
            return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"

        for r in self.summary():
            if r["candidate"] == self.baseline:
                diff, p, wtl = "(baseline)", "", ""
            else:
                diff = f"{r['diff']:+.{digits}f} [{f(r['ci_low'])}, {f(r['ci_high'])}]"
                p, wtl = f(r["p_value"]), f"{r['wins']}/{r['ties']}/{r['losses']}"
            lines.append("| " + " | ".join([r["candidate"], f(r["mean"]), f(r["std"]), diff, p, wtl,
                                             f"{r['fit_time_s']:.3f}", f"{r['augment_time_s']:.3f}"]) + " |")
        how = {"corrected": "Nadeau-Bengio corrected resampled t", "t": "plain t over splits (optimistic)",
               "bootstrap": "percentile bootstrap over splits (optimistic)"}[self.ci]
        n = len(self.scores[self.names[0]]) if self.names else 0
        lines.append("")
        lines.append(f"{self.modality} ({self.task}), {n} splits ({self.n_splits}-fold x {self.repeats}); "
                     f"interval: {how}.")
        lines.extend(self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        def clean(v: Any) -> Any:  # NaN (undefined) and an unbounded side (inf) are null: strict JSON
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v

        return {
            "scoring": self.scoring, "modality": self.modality, "task": self.task, "n_splits": self.n_splits,
            "repeats": self.repeats, "ci": self.ci, "level": self.level, "baseline": self.baseline,
            "summary": [{k: clean(v) for k, v in r.items()} for r in self.summary()],
            "scores": {k: [clean(float(x)) for x in v] for k, v in self.scores.items()},  # NaN: null (strict JSON)
            "configs": self.configs, "notes": self.notes,
        }

    def to_json(self, path: Any = None, indent: int = 2) -> str:
        """JSON text of the summary, per-split scores and candidate configs (written to ``path`` if given)."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            from ..io import write_text_atomic

            write_text_atomic(path, text + "\n")  # a crash never leaves half a report
        return text

    def plot(self, ax: Any = None):
        """Paired difference to the baseline with its interval, one row per candidate (matplotlib)."""
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError("EvaluationResult.plot needs matplotlib: pip install 'multiaug[plot]'") from None
        rows = [r for r in self.summary() if r["candidate"] != self.baseline]
        if ax is None:  # a Figure without pyplot: no global figure registry, no backend switch
            fig = Figure(figsize=(6.4, 0.5 * max(len(rows), 2) + 1.2))
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        ys = np.arange(len(rows))
        d = np.array([r["diff"] for r in rows], dtype=float)
        lo = np.array([r["ci_low"] for r in rows], dtype=float)
        hi = np.array([r["ci_high"] for r in rows], dtype=float)
        # an undefined (NaN) interval is drawn without a bar; an unbounded side (inf: too few splits, see
        # paired_stats) as an arrow to the edge of the plot
        err = np.vstack([np.where(np.isfinite(d - lo), d - lo, 0.0), np.where(np.isfinite(hi - d), hi - d, 0.0)])
        colors = ["tab:green" if a > 0 else "tab:red" if b < 0 else "tab:gray" for a, b in zip(lo, hi)]
        for i in range(len(rows)):
            ax.errorbar(d[i], ys[i], xerr=err[:, i:i + 1], fmt="none", ecolor=colors[i], capsize=4)
        ax.scatter(d, ys, c=colors, zorder=3)
        ax.axvline(0, color="black", lw=0.8)
        left, right = ax.get_xlim()
        for i in range(len(rows)):
            for bound, edge in ((lo[i], left), (hi[i], right)):
                if np.isinf(bound) and np.isfinite(d[i]):
                    ax.annotate("", xy=(edge, ys[i]), xytext=(d[i], ys[i]),
                                arrowprops={"arrowstyle": "->", "color": colors[i]})
        ax.set_xlim(left, right)
        ax.set_yticks(ys, [r["candidate"] for r in rows])
        ax.invert_yaxis()
        ax.set_xlabel(f"{self.scoring}: candidate - {self.baseline} ({int(self.level * 100)}% CI)")
        ax.set_title(f"{self.modality}: does augmentation help?")
        fig.tight_layout()
        return fig

    def to_html(self) -> str:
        """A standalone HTML report: the table, and the plot embedded as PNG when matplotlib is present."""
        import base64
        import html
        import io

        rows = self.summary()
        cols = ["candidate", "mean", "std", "diff", "ci_low", "ci_high", "p_value", "wins", "ties", "losses",
                "fit_time_s", "augment_time_s"]

        def cell(v: Any) -> str:
            if isinstance(v, float):
                return "" if math.isnan(v) else f"{v:.4f}"
            return html.escape(str(v))

        body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
        table = "<table border=1 cellspacing=0 cellpadding=4><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>" + body + "</table>"
        img = ""
        try:
            fig = self.plot()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=100)
            img = f'<p><img alt="paired differences" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}"></p>'
        except ImportError:
            img = "<p>(install matplotlib for the plot: pip install 'multiaug[plot]')</p>"
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.to_markdown().split("\n\n", 1)[1].splitlines() if n)
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>multiaug evaluation</title></head><body>"
                f"<h1>multiaug evaluation ({html.escape(self.scoring)})</h1>{table}{img}{notes}</body></html>\n")

    def write(self, path: Any) -> None:
        """Write the report; the type follows the suffix: .md, .json or .html (atomically: a temporary
        file renamed when complete, :func:`multiaug.io.atomic_output`)."""
        from pathlib import Path

        from ..io import write_text_atomic

        p = Path(path)
        suf = p.suffix.lower()
        if suf == ".json":
            self.to_json(p)
        elif suf in (".md", ".markdown", ".txt"):
            write_text_atomic(p, self.to_markdown() + "\n")
        elif suf in (".html", ".htm"):
            write_text_atomic(p, self.to_html())
        else:
            raise ValueError(f"report {str(path)!r}: expected a .md, .json or .html file")

