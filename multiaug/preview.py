"""Preview what an augmenter does: originals next to augmented samples, one picture per modality.

``preview(aug, x)`` returns a matplotlib ``Figure`` (series, graphs, tables) or an HTML string (text,
tagged sentences);
``preview(aug, x, path="p.png")`` also writes it (``.png``, ``.svg`` or ``.html`` by suffix) atomically.
``preview_file(aug, "data.csv", "p.html")`` reads the first rows of a file with :mod:`multiaug.io`, fits
a learned augmenter that is not fitted yet, and writes the preview.

=============  =================================================================================
modality       picture
=============  =================================================================================
time series    one panel per series (the first ``n``): each channel's original (wide, faded) and
               augmented (thin) line overlaid; mixing augmenters name the partner series
graph          the first ``n`` graphs drawn before/after with the same node positions: removed
               edges dashed red, added edges green, dropped nodes hollow red; feature-only
               augmenters colour nodes by the norm of their feature change
table          a scatter of two columns (``columns=(a, b)``, default the two of largest variance):
               every row of ``x`` faint, the first ``n`` originals and their augmented copies, a line
               from each copy to its source row and, for mixing augmenters, a dotted line to its
               partner row
text           an HTML table, one row per sample, with a word-level diff: replaced words (old struck
               through, new highlighted), inserted and deleted words marked (``.png``: the same as
               marked-up text)
tagged         an HTML table, one row per sentence: the original and the augmented sentence with
               each mention boxed and labelled with its type (one colour per type), replaced and
               inserted tokens highlighted, and per sentence the tokens replaced / inserted /
               deleted and the mentions before and after (``.png``: marked-up text, mentions as
               ``[TYPE tokens]``)
=============  =================================================================================

The whole of ``x`` is augmented once for series and tables (so mixing partners come from all of
``x``), only the first ``n`` samples for text, tagged sentences and graphs. With ``seed`` the augmenter is copied and
its copy restarted from ``seed`` (the augmenter passed in is left as it is); without it the
augmenter's own stream advances, as for any call.

matplotlib (and networkx for graph layouts) are optional: ``pip install 'multiaug[plot]'``. Text
previews as HTML need neither. Figures are built without pyplot (no display, no global figure state).
"""
from __future__ import annotations

import base64
import copy
import difflib
import html
import io as _io
import os
import textwrap
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = ["preview", "preview_file", "text_diff_html", "word_opcodes"]

FORMATS = ("png", "svg", "html", "figure")
_MPL_MESSAGE = "multiaug preview needs matplotlib: pip install 'multiaug[plot]'"
_NX_MESSAGE = "multiaug preview of graphs needs networkx: pip install 'multiaug[plot]'"
_NODE_ID = "preview_node_id"  # node attribute added to track nodes through graph augmenters
_MAX_DRAWN_NODES = 200
_PARTNER_KEYS = ("partner", "perm")  # params naming each sample's mixing partner (tables, series)


# --------------------------------------------------------------------------------------------------
# optional dependencies
# --------------------------------------------------------------------------------------------------


def _figure(width: float, height: float):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(_MPL_MESSAGE) from None
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _networkx():
    try:
        import networkx
    except ImportError:
        raise ImportError(_NX_MESSAGE) from None
    return networkx


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _name(aug: Any) -> str:
    return getattr(aug, "registry_name", None) or type(aug).__name__


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"preview: n must be an integer >= 1, got {n!r}")
    return int(n)


def _prepared(aug: Any, seed: int | None) -> Any:
    from .core import Augmenter

    if not isinstance(aug, Augmenter):
        raise TypeError(f"preview: aug must be a multiaug Augmenter, got {type(aug).__name__}")
    if seed is None:
        return aug
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"preview: seed must be an int or None, got {type(seed).__name__}")
    a = copy.deepcopy(aug)
    a.reseed(int(seed))
    return a


def _check_fitted(aug: Any) -> None:
    if getattr(aug, "learned", False):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(aug)


def _as_numpy(t: Any) -> np.ndarray:
    import torch

    if isinstance(t, torch.Tensor):
        return t.detach().to("cpu", torch.float64).numpy()
    return np.asarray(t, dtype=np.float64)


def _partners(params: Any, n: int) -> np.ndarray | None:
    """Per sample, the index of the partner it was mixed with (-1: none), from sampled params."""
    if not isinstance(params, dict):
        return None
    out = np.full(n, -1, dtype=np.int64)
    key = next((k for k in _PARTNER_KEYS if k in params), None)
    if key is not None:
        p = _as_numpy(params[key]).astype(np.int64).reshape(-1)
        if p.shape[0] != n:
            return None
        out[:] = p
        active = params.get("active")
        if active is not None:
            out[~_as_numpy(active).astype(bool).reshape(-1)] = -1
    else:
        return None
    out[out == np.arange(n)] = -1
    return out


def _run(aug: Any, x: Any, **sample_kw: Any) -> tuple[Any, Any, np.ndarray | None]:
    """``(x_internal, out_internal, partners)``: one augmentation of the whole batch via the two phases
    (so mixing partners can be read from the params); compositions (LabelConsistent too), which draw
    while applying, are called directly and give no partners."""
    from .core.compose import Composition

    _check_fitted(aug)
    h = aug.handler
    xi, ctx = h.check(x, aug)
    if isinstance(aug, Composition):
        return xi, h.check(aug(x, **sample_kw), aug)[0], None
    params = aug.sample(xi, **sample_kw)
    return xi, aug.apply(xi, params), _partners(params, h.length(xi))


def _fig_to_bytes(fig: Any, fmt: str) -> bytes:
    """The figure's bytes; the same figure gives the same bytes (an SVG without its creation date, its
    element ids from a fixed salt instead of a random one)."""
    import matplotlib

    buf = _io.BytesIO()
    if fmt == "svg":
        with matplotlib.rc_context({"svg.hashsalt": "multiaug"}):
            fig.savefig(buf, format=fmt, dpi=100, facecolor="white", metadata={"Date": None})
    else:
        fig.savefig(buf, format=fmt, dpi=100, facecolor="white")
    return buf.getvalue()


def _html_page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head>\n"
        "<body style=\"font-family:sans-serif;margin:1.5em\">\n"
        f"<h2>{html.escape(title)}</h2>\n{body}\n</body></html>\n"
    )


def _fmt_for(path: str | os.PathLike | None, fmt: str | None, modality: str) -> str:
    if fmt is not None:
        f = str(fmt).lower().lstrip(".")
        if f not in FORMATS:
            raise ValueError(f"preview: fmt must be one of {FORMATS}, got {fmt!r}")
    else:
        f = None
    if path is not None:
        suffix = Path(path).suffix.lower().lstrip(".")
        if suffix not in ("png", "svg", "html"):
            raise ValueError(f"preview: path {str(path)!r} must end in .png, .svg or .html, got {('.' + suffix) if suffix else '(no suffix)'!r}")
        if f is not None and f != suffix:
            raise ValueError(f"preview: fmt {fmt!r} does not match path {str(path)!r}; give one or make them agree")
        f = suffix
    if f is None:
        f = "html" if modality in ("text", "tagged") else "figure"
    return f


def _write(path: str | os.PathLike, data: bytes | str) -> None:
    from .io import atomic_output, write_text_atomic

    if isinstance(data, str):
        write_text_atomic(path, data)
        return
    with atomic_output(path) as tmp:
        Path(tmp).write_bytes(data)


# --------------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------------

_STYLES = {
    "equal": "",
    "replaced-from": "color:#9b1c1c;text-decoration:line-through;background:#fde2e2;border-radius:3px;padding:0 2px",
    "replaced": "color:#713f12;background:#fde68a;border-radius:3px;padding:0 2px",
    "inserted": "color:#14532d;background:#bbf7d0;border-radius:3px;padding:0 2px",
    "deleted": "color:#9b1c1c;text-decoration:line-through;background:#fecaca;border-radius:3px;padding:0 2px",
}


def word_opcodes(original: str, augmented: str) -> list[tuple[str, list[str], list[str]]]:
    """Word-level diff: ``[(tag, original_words, augmented_words), ...]`` with tag one of ``equal``,
    ``replace``, ``insert``, ``delete`` (difflib opcodes over whitespace-separated words)."""
    a, b = original.split(), augmented.split()
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(tag, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in sm.get_opcodes()]


def _span(cls: str, words: list[str], title: str | None = None) -> str:
    t = f' title="{html.escape(title)}"' if title else ""
    return f'<span class="ma-{cls}" style="{_STYLES[cls]}"{t}>{html.escape(" ".join(words))}</span>'


def text_diff_html(original: str, augmented: str) -> str:
    """The augmented text as HTML with replaced (old struck through, new highlighted), inserted and
    deleted words marked by ``<span class="ma-...">`` with inline CSS; all text escaped."""
    parts = []
    for tag, a, b in word_opcodes(original, augmented):
        if tag == "equal":
            parts.append(html.escape(" ".join(a)))
        elif tag == "replace":
            parts.append(_span("replaced-from", a) + " " + _span("replaced", b, "replaces: " + " ".join(a)))
        elif tag == "insert":
            parts.append(_span("inserted", b))
        else:
            parts.append(_span("deleted", a))
    return " ".join(p for p in parts if p)


def _text_counts(original: str, augmented: str) -> dict[str, int]:
    c = {"replaced": 0, "inserted": 0, "deleted": 0}
    for tag, a, b in word_opcodes(original, augmented):
        if tag == "replace":
            c["replaced"] += max(len(a), len(b))
        elif tag == "insert":
            c["inserted"] += len(b)
        elif tag == "delete":
            c["deleted"] += len(a)
    return c


def _text_samples(aug: Any, x: Any, n: int) -> tuple[list[str], list[str]]:
    texts, _ = aug.handler.check(x, aug)
    texts = list(texts)[:n]
    _check_fitted(aug)
    out = aug(texts)
    return texts, list(out)


def _diff_row(i: int, original_html: str, augmented_html: str, summary: str) -> str:
    """One row of a text/tagged preview table (cells already HTML; the summary is escaped here)."""
    return (f"<tr><td style=\"vertical-align:top;color:#666\">{i}</td>"
            f"<td style=\"vertical-align:top\">{original_html}</td>"
            f"<td style=\"vertical-align:top\">{augmented_html}</td>"
            f"<td style=\"vertical-align:top;color:#666;white-space:nowrap\">{html.escape(summary)}</td></tr>")


def _diff_table(augmented_header: str, rows: list[str]) -> str:
    return ("<table style=\"border-collapse:collapse\" cellpadding=\"6\" border=\"1\">\n"
            f"<tr><th>#</th><th>original</th><th>{augmented_header}</th><th>changes</th></tr>\n"
            + "\n".join(rows) + "\n</table>")


def _text_html(aug: Any, originals: list[str], augmented: list[str]) -> str:
    legend = " ".join([
        _span("equal", ["unchanged"]), _span("replaced-from", ["replaced (old)"]), _span("replaced", ["replaced (new)"]),
        _span("inserted", ["inserted"]), _span("deleted", ["deleted"]),
    ])
    rows = []
    for i, (o, a) in enumerate(zip(originals, augmented)):
        c = _text_counts(o, a)
        summary = ", ".join(f"{v} {k}" for k, v in c.items() if v) or "unchanged"
        rows.append(_diff_row(i, html.escape(o), text_diff_html(o, a), summary))
    body = f"<p>Legend: {legend}</p>\n" + _diff_table("augmented (word diff)", rows)
    return _html_page(f"multiaug preview: {_name(aug)} on {len(originals)} texts", body)


def _text_figure(aug: Any, originals: list[str], augmented: list[str], what: str = "texts"):
    """The same diff as marked-up text: [old -> new] replaced, {+new+} inserted, [-old-] deleted."""
    blocks = []
    for i, (o, a) in enumerate(zip(originals, augmented)):
        parts = []
        for tag, wa, wb in word_opcodes(o, a):
            if tag == "equal":
                parts.append(" ".join(wa))
            elif tag == "replace":
                parts.append(f"[{' '.join(wa)} -> {' '.join(wb)}]")
            elif tag == "insert":
                parts.append("{+" + " ".join(wb) + "+}")
            else:
                parts.append("[-" + " ".join(wa) + "-]")
        blocks.append((textwrap.wrap(f"#{i} original:  {o}", 110) or [f"#{i} original:"],
                       textwrap.wrap(f"#{i} augmented: {' '.join(parts)}", 110) or [f"#{i} augmented:"]))
    n_lines = sum(len(b[0]) + len(b[1]) + 1 for b in blocks) + 2
    fig = _figure(11, max(2.0, 0.2 * n_lines + 0.8))
    ax = fig.add_subplot()
    ax.set_axis_off()
    fig.suptitle(f"{_name(aug)} on {len(originals)} {what}   ([old -> new] replaced, {{+new+}} inserted, [-old-] deleted)",
                 fontsize=10)
    yy, step = 1.0, 1.0 / max(n_lines, 1)
    for orig_lines, aug_lines in blocks:
        for line in orig_lines:
            ax.text(0, yy, line, family="monospace", fontsize=8, color="#333333", va="top", transform=ax.transAxes)
            yy -= step
        for line in aug_lines:
            ax.text(0, yy, line, family="monospace", fontsize=8, color="#1d4ed8", va="top", transform=ax.transAxes)
            yy -= step
        yy -= step
    return fig


# --------------------------------------------------------------------------------------------------
# tagged sentences (token-level labels)
# --------------------------------------------------------------------------------------------------

# one colour per mention type, in order of first appearance on the page (cycled past the end)
_TYPE_COLOURS = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f",
                 "#92400e", "#475569")


def _tagged_samples(aug: Any, x: Any, n: int) -> tuple[Any, Any]:
    """The first ``n`` sentences of ``x`` and one augmentation of each, both as TaggedBatch."""
    batch, _ = aug.handler.check(x, aug)
    batch = batch.take(range(min(n, len(batch))))
    _check_fitted(aug)
    out = aug(batch)
    if len(out) != len(batch):
        raise RuntimeError(f"preview: {_name(aug)} gave {len(out)} sentences for {len(batch)}")
    return batch, out


def _token_marks(orig: list[str], new: list[str]) -> tuple[list[str], list[int], dict[str, Any]]:
    """Per token of ``new``: "equal", "replaced" or "inserted" (difflib over the token lists); per token
    of ``new`` the index of the equal token of ``orig`` it is (-1 for others); and the counts (replaced
    / inserted / deleted tokens, the deleted tokens themselves)."""
    sm = difflib.SequenceMatcher(a=orig, b=new, autojunk=False)
    marks = ["equal"] * len(new)
    src = [-1] * len(new)
    c: dict[str, Any] = {"replaced": 0, "inserted": 0, "deleted": 0, "deleted_tokens": []}
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            src[j1:j2] = range(i1, i2)
        elif tag == "replace":
            marks[j1:j2] = ["replaced"] * (j2 - j1)
            c["replaced"] += max(i2 - i1, j2 - j1)
        elif tag == "insert":
            marks[j1:j2] = ["inserted"] * (j2 - j1)
            c["inserted"] += j2 - j1
        else:
            c["deleted"] += i2 - i1
            c["deleted_tokens"].extend(orig[i1:i2])
    return marks, src, c


def _colour(typ: str, colours: dict[str, str]) -> str:
    if typ not in colours:
        colours[typ] = _TYPE_COLOURS[len(colours) % len(_TYPE_COLOURS)]
    return colours[typ]


def _tagged_sentence_html(tokens: list[str], spans: list[tuple[int, int, str]], marks: list[str] | None,
                          colours: dict[str, str]) -> str:
    def tok(j: int) -> str:
        m = "equal" if marks is None else marks[j]
        return html.escape(tokens[j]) if m == "equal" else _span(m, [tokens[j]])

    starts = {s: (e, t) for s, e, t in spans}
    parts, j = [], 0
    while j < len(tokens):
        if j in starts:
            e, t = starts[j]
            c = _colour(t, colours)
            inner = " ".join(tok(k) for k in range(j, e))
            parts.append(f'<span class="ma-mention" title="{html.escape(t)}" style="border:1.5px solid {c};'
                         f'border-radius:4px;padding:0 3px">{inner} <sub style="color:{c};font-weight:bold">'
                         f"{html.escape(t)}</sub></span>")
            j = e
        else:
            parts.append(tok(j))
            j += 1
    return " ".join(parts)


def _mention_text(tokens: list[str], spans: list[tuple[int, int, str]]) -> str:
    """Marked-up text: each mention as ``[TYPE tokens]``."""
    starts = {s: (e, t) for s, e, t in spans}
    parts, j = [], 0
    while j < len(tokens):
        if j in starts:
            e, t = starts[j]
            parts.append(f"[{t} " + " ".join(tokens[j:e]) + "]")
            j = e
        else:
            parts.append(tokens[j])
            j += 1
    return " ".join(parts)


def _tagged_html(aug: Any, originals: Any, augmented: Any) -> str:
    colours: dict[str, str] = {}
    rows = []
    for i in range(len(originals)):
        ot, og = originals.tokens[i], originals.tags[i]
        at, ag = augmented.tokens[i], augmented.tags[i]
        os_, as_ = _spans_of(og, originals.scheme), _spans_of(ag, augmented.scheme)
        marks, src, c = _token_marks(ot, at)
        # unchanged tokens whose mention type changed (e.g. a token moved into or out of a mention)
        retyped = sum(1 for j, i0 in enumerate(src) if i0 >= 0 and _type_of(og[i0]) != _type_of(ag[j]))
        bits = [f"{c[k]} {k}" for k in ("replaced", "inserted", "deleted") if c[k]]
        if retyped:
            bits.append(f"{retyped} retyped")
        summary = ", ".join(bits) or "unchanged"
        summary += f"; mentions {len(os_)} \u2192 {len(as_)}"
        gone = (f"<br><span style=\"color:#666\">deleted: {_span('deleted', c['deleted_tokens'])}</span>"
                if c["deleted_tokens"] else "")
        rows.append(_diff_row(i, _tagged_sentence_html(ot, os_, None, colours),
                              _tagged_sentence_html(at, as_, marks, colours) + gone, summary))
    types = " ".join(f'<span style="border:1.5px solid {c};border-radius:4px;padding:0 3px;color:{c}">'
                     f"{html.escape(t)}</span>" for t, c in colours.items()) or "(no mentions)"
    legend = " ".join([_span("replaced", ["replaced token"]), _span("inserted", ["inserted token"]),
                       _span("deleted", ["deleted token"])])
    body = (f"<p>Mention types: {types}</p>\n<p>Legend: {legend}; tag scheme {html.escape(originals.scheme)}</p>\n"
            + _diff_table("augmented", rows))
    return _html_page(f"multiaug preview: {_name(aug)} on {len(originals)} tagged sentences", body)


def _type_of(tag: str) -> str | None:
    from .text.tagged import split_tag

    return split_tag(tag)[1]


def _spans_of(tags: list[str], scheme: str) -> list[tuple[int, int, str]]:
    from .text.tagged import spans_from_tags

    return spans_from_tags(tags, scheme)


def _tagged_figure(aug: Any, originals: Any, augmented: Any):
    o = [_mention_text(t, _spans_of(g, originals.scheme)) for t, g in zip(originals.tokens, originals.tags)]
    a = [_mention_text(t, _spans_of(g, augmented.scheme)) for t, g in zip(augmented.tokens, augmented.tags)]
    return _text_figure(aug, o, a, what="tagged sentences, mentions as [TYPE tokens]")


# --------------------------------------------------------------------------------------------------
# time series
# --------------------------------------------------------------------------------------------------


def _series_figure(aug: Any, x: Any, y: Any, n: int, lengths: Any = None):
    xi, out, partners = _run(aug, x, **({} if lengths is None else {"lengths": lengths}))
    orig, new = _as_numpy(xi), _as_numpy(out)
    if orig.ndim != 3 or new.shape != orig.shape:
        raise ValueError(f"preview: {_name(aug)} turned series of shape {orig.shape} into {new.shape}; expected the same shape")
    k = min(n, orig.shape[0])
    C, T = orig.shape[1], orig.shape[2]
    # variable-length series (checked by the augmenter above): each drawn up to its valid length
    valid = np.full(orig.shape[0], T) if lengths is None else np.asarray(lengths.cpu() if hasattr(lengths, "cpu") else lengths)
    cols = min(k, 4)
    rows = -(-k // cols)
    fig = _figure(3.4 * cols + 0.6, 2.4 * rows + 0.9)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    colours = [f"C{c % 10}" for c in range(C)]
    labels = None if y is None else np.asarray(y)
    t = np.arange(T)
    for i in range(rows * cols):
        ax = axes[i // cols][i % cols]
        if i >= k:
            ax.set_visible(False)
            continue
        L = int(valid[i])
        for c in range(C):
            ax.plot(t[:L], orig[i, c, :L], color=colours[c], lw=3.0, alpha=0.3)
            ax.plot(t[:L], new[i, c, :L], color=colours[c], lw=1.0)
        title = f"series {i}" + (f", {L} of {T} steps" if L < T else "")
        if labels is not None and labels.ndim == 1 and i < len(labels):
            title += f" (y={labels[i]})"
        if partners is not None and partners[i] >= 0:
            title += f", mixed with {partners[i]}"
        ax.set_title(title, fontsize=9)
        if i // cols == rows - 1 or i + cols >= k:
            ax.set_xlabel("time step")
        if i % cols == 0:
            ax.set_ylabel("value")
        ax.tick_params(labelsize=7)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="0.4", lw=3.0, alpha=0.3), Line2D([], [], color="0.2", lw=1.0)]
    names = ["original (wide, faded)", "augmented (thin)"]
    if C > 1:
        handles += [Line2D([], [], color=colours[c], lw=2) for c in range(min(C, 10))]
        names += [f"channel {c}" for c in range(min(C, 10))]
    fig.legend(handles, names, loc="outside lower center", ncol=min(len(names), 6), fontsize=8)
    fig.suptitle(f"{_name(aug)}: first {k} of {orig.shape[0]} series ({C} channel{'s' if C != 1 else ''}, {T} steps)")
    return fig


# --------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------


def _column_names(x: Any, F: int) -> list[str]:
    cols = getattr(x, "columns", None)
    return [str(c) for c in cols] if cols is not None else [f"column {j}" for j in range(F)]


def _pick_columns(columns: Any, names: list[str], raw_names: list[Any], orig: np.ndarray) -> tuple[int, int]:
    F = orig.shape[1]
    if columns is None:
        if F < 2:
            raise ValueError(f"preview: the table has {F} column; a scatter needs at least 2")
        var = np.nan_to_num(np.nanvar(orig, axis=0), nan=-1.0)
        a, b = np.argsort(-var, kind="stable")[:2]
        return int(a), int(b)
    if isinstance(columns, str) or not isinstance(columns, Sequence) or len(columns) != 2:
        raise ValueError(f"preview: columns must be two column names or positions (a, b), got {columns!r}")
    out = []
    for c in columns:
        if c in raw_names:
            out.append(raw_names.index(c))
        elif isinstance(c, str) and c in names:
            out.append(names.index(c))
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool) and -F <= int(c) < F:
            out.append(int(c) % F)
        else:
            raise ValueError(f"preview: columns entry {c!r} is neither a column name nor a position of a table with {F} columns "
                             f"({', '.join(names[:12])}{', ...' if F > 12 else ''})")
    if out[0] == out[1]:
        raise ValueError(f"preview: columns must name two different columns, got {columns!r}")
    return out[0], out[1]


def _table_figure(aug: Any, x: Any, y: Any, n: int, columns: Any):
    xi, out, partners = _run(aug, x, y=y) if y is not None else _run(aug, x)
    orig, new = _as_numpy(xi), _as_numpy(out)
    if orig.ndim != 2:
        raise ValueError(f"preview: tables are previewed as (N, F); got shape {orig.shape}")
    if new.shape != orig.shape:
        raise ValueError(f"preview: {_name(aug)} turned a table of shape {orig.shape} into {new.shape}; expected the same shape")
    F = orig.shape[1]
    raw = list(getattr(x, "columns", range(F)))
    names = _column_names(x, F)
    a, b = _pick_columns(columns, names, raw, orig)
    k = min(n, orig.shape[0])
    fig = _figure(7.5, 6.0)
    ax = fig.add_subplot()
    ax.scatter(orig[:, a], orig[:, b], s=10, color="0.75", label=f"all {orig.shape[0]} rows (original)", zorder=1)
    mixed = partners is not None and bool((partners[:k] >= 0).any())
    for i in range(k):
        ax.plot([orig[i, a], new[i, a]], [orig[i, b], new[i, b]], color="0.35", lw=0.9, zorder=2,
                label="copy -> its source row" if i == 0 else None)
        if mixed and partners[i] >= 0:
            j = partners[i]
            ax.plot([new[i, a], orig[j, a]], [new[i, b], orig[j, b]], color="C3", lw=0.9, ls=":", zorder=2,
                    label="copy -> its mixing partner" if not any(partners[:i] >= 0) else None)
    if mixed:
        pj = np.unique(partners[:k][partners[:k] >= 0])
        ax.scatter(orig[pj, a], orig[pj, b], s=36, facecolors="none", edgecolors="C3", lw=1.2, zorder=3,
                   label="partner rows")
    ax.scatter(orig[:k, a], orig[:k, b], s=36, color="C0", zorder=4, label=f"first {k} rows (original)")
    ax.scatter(new[:k, a], new[:k, b], s=44, color="C1", marker="X", zorder=5, label="augmented copies")
    for i in range(k):
        ax.annotate(str(i), (orig[i, a], orig[i, b]), textcoords="offset points", xytext=(4, 4), fontsize=7, color="C0")
    ax.set_xlabel(names[a])
    ax.set_ylabel(names[b])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", framealpha=0.85)
    how = "default: the two of largest variance" if columns is None else "chosen columns"
    ax.set_title(f"{_name(aug)}: {names[a]} vs {names[b]} ({how})", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------------
# graphs
# --------------------------------------------------------------------------------------------------


def _plural(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _graph_list(x: Any) -> list:
    from torch_geometric.data import Batch, Data

    if isinstance(x, Batch):
        return x.to_data_list()
    if isinstance(x, Data):
        return [x]
    if isinstance(x, (list, tuple)) and x and all(isinstance(g, Data) for g in x):
        return list(x)
    raise TypeError(f"preview: graphs must be a PyG Data, Batch or a non-empty list of Data, got {type(x).__name__}")


def _edge_set(g: Any, ids: np.ndarray) -> set[tuple[int, int]]:
    ei = g.edge_index.detach().cpu().numpy()
    out = set()
    for s, t in zip(ids[ei[0]], ids[ei[1]]):
        if s != t:
            out.add((int(min(s, t)), int(max(s, t))))
    return out


def _graph_figure(aug: Any, x: Any, n: int, seed: int | None):
    import torch
    from torch_geometric.data import Batch

    nx = _networkx()
    graphs = _graph_list(x)[:n]
    tagged = []
    for g in graphs:
        g = g.clone()
        setattr(g, _NODE_ID, torch.arange(int(g.num_nodes), device=g.edge_index.device))
        tagged.append(g)
    _check_fitted(aug)
    if len(tagged) == 1:
        outs = [aug(tagged[0])]
        outs = outs[0].to_data_list() if isinstance(outs[0], Batch) else outs
    else:
        outs = aug(Batch.from_data_list(tagged)).to_data_list()
    k = len(graphs)
    pairs_per_row = 1 if k == 1 else 2
    rows = -(-k // pairs_per_row)
    big = max(int(g.num_nodes) for g in graphs) > 60
    side = 5.0 if big else 3.3
    fig = _figure(side * 2 * pairs_per_row, side * rows + 0.9)
    axes = fig.subplots(rows, 2 * pairs_per_row, squeeze=False)
    for i in range(rows * pairs_per_row):
        ax0, ax1 = axes[i // pairs_per_row][2 * (i % pairs_per_row)], axes[i // pairs_per_row][2 * (i % pairs_per_row) + 1]
        if i >= k:
            ax0.set_visible(False)
            ax1.set_visible(False)
            continue
        _draw_pair(nx, ax0, ax1, graphs[i], outs[i], i, 0 if seed is None else int(seed))
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="0.45", lw=1.2), Line2D([], [], color="C3", lw=1.2, ls="--"),
        Line2D([], [], color="C2", lw=2.0), Line2D([], [], marker="o", ls="", color="C0", ms=7),
        Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor="C3", ms=7),
    ]
    names = ["kept edge", "removed edge (dashed)", "added edge", "node", "dropped node (hollow)"]
    fig.legend(handles, names, loc="outside lower center", ncol=5, fontsize=8)
    fig.suptitle(f"{_name(aug)}: {k} graph{'s' if k != 1 else ''}, original (left) and augmented (right), same layout")
    return fig


def _draw_pair(nx: Any, ax0: Any, ax1: Any, g: Any, o: Any, i: int, seed: int) -> None:
    N = int(g.num_nodes)
    ids_o = np.arange(N)
    tracked = hasattr(o, _NODE_ID) and getattr(o, _NODE_ID) is not None and getattr(o, _NODE_ID).numel() == int(o.num_nodes)
    ids_a = getattr(o, _NODE_ID).detach().cpu().numpy().astype(np.int64) if tracked else np.arange(int(o.num_nodes))
    shown = N if N <= _MAX_DRAWN_NODES else _MAX_DRAWN_NODES
    e_o = {e for e in _edge_set(g, ids_o) if e[1] < shown}
    e_a = {e for e in _edge_set(o, ids_a) if e[1] < shown}
    kept_nodes = set(int(v) for v in ids_a if v < shown)
    G = nx.Graph()
    G.add_nodes_from(range(shown))
    G.add_edges_from(e_o)
    pos = nx.spring_layout(G, seed=seed, k=None if shown < 40 else 1.5 / np.sqrt(shown))
    ms = 90 if shown <= 30 else (40 if shown <= 80 else 12)
    where = f"graph {i}" + ("" if shown == N else f" (nodes 0-{shown - 1} of {N} shown)")
    nx.draw_networkx_edges(G, pos, edgelist=sorted(e_o), ax=ax0, edge_color="0.45", width=1.2)
    nx.draw_networkx_nodes(G, pos, ax=ax0, node_size=ms, node_color="C0")
    if shown <= 30:
        nx.draw_networkx_labels(G, pos, ax=ax0, font_size=7, font_color="white")
    ax0.set_title(f"{where}: original\n{_plural(N, 'node')}, {_plural(len(_edge_set(g, ids_o)), 'edge')}", fontsize=9)
    H = nx.Graph()
    H.add_nodes_from(range(shown))
    kept, removed, added = sorted(e_o & e_a), sorted(e_o - e_a), sorted(e_a - e_o)
    nx.draw_networkx_edges(H, pos, edgelist=kept, ax=ax1, edge_color="0.45", width=1.2)
    nx.draw_networkx_edges(H, pos, edgelist=removed, ax=ax1, edge_color="C3", width=1.2, style="--")
    nx.draw_networkx_edges(H, pos, edgelist=added, ax=ax1, edge_color="C2", width=2.0)
    dropped = [v for v in range(shown) if v not in kept_nodes] if tracked else []
    present = [v for v in range(shown) if v in kept_nodes]
    note = ""
    x0, x1 = getattr(g, "x", None), getattr(o, "x", None)
    if tracked and x0 is not None and x1 is not None and x1.shape[-1:] == x0.shape[-1:] and x0.dim() == 2:
        xa = x1.detach().cpu().double().numpy()
        xo = x0.detach().cpu().double().numpy()[ids_a]
        delta = np.linalg.norm(xa - xo, axis=1)
        change = {int(v): float(d) for v, d in zip(ids_a, delta)}
        if not removed and not added and not dropped and max(change.values(), default=0.0) > 0:
            vals = [change.get(v, 0.0) for v in present]
            coll = nx.draw_networkx_nodes(H, pos, nodelist=present, ax=ax1, node_size=ms, node_color=vals, cmap="viridis",
                                          vmin=0.0, vmax=max(vals) or 1.0)
            ax1.figure.colorbar(coll, ax=ax1, shrink=0.7, label="|x' - x| per node")
            note = f", mean |x' - x| = {np.mean(list(change.values())):.3g}"
            present = []
        elif max(change.values(), default=0.0) > 0:
            note = f", mean |x' - x| = {np.mean(list(change.values())):.3g}"
    if present:
        nx.draw_networkx_nodes(H, pos, nodelist=present, ax=ax1, node_size=ms, node_color="C0")
    if dropped:
        nx.draw_networkx_nodes(H, pos, nodelist=dropped, ax=ax1, node_size=ms, node_color="white", edgecolors="C3",
                               linewidths=1.2)
    if shown <= 30 and present:
        nx.draw_networkx_labels(H, pos, labels={v: str(v) for v in present}, ax=ax1, font_size=7, font_color="white")
    counts = f"{_plural(len(removed), 'edge')} removed, {len(added)} added" + (
        f", {_plural(len(dropped), 'node')} dropped" if dropped else "")
    if not tracked:
        counts += "\n(node correspondence unknown: node attributes not kept)"
    ax1.set_title(f"augmented: {_plural(int(o.num_nodes), 'node')}{note}\n{counts}", fontsize=9)
    for ax in (ax0, ax1):
        ax.set_axis_off()


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------


def preview(aug: Any, x: Any, y: Any = None, *, n: int = 8, path: str | os.PathLike | None = None,
            columns: Any = None, seed: int | None = None, fmt: str | None = None, lengths: Any = None) -> Any:
    """Draw originals next to augmented samples for ``aug``'s modality (see the module doc).

    Returns a matplotlib ``Figure`` for series, graphs and tables, and for text or tagged sentences with
    ``fmt="png"``; an HTML string for text and tagged sentences (the default) or whenever ``fmt``/``path``
    is ``html`` (other modalities embed the PNG). ``path`` (``.png``, ``.svg`` or ``.html``) also writes the result atomically.
    ``columns=(a, b)`` picks the table columns of the scatter. ``seed`` restarts a copy of ``aug``.
    ``lengths``: time series padded at the end, the valid length of each (as ``aug(x, lengths=...)``
    takes it): the series are augmented with it and drawn up to their valid length."""
    n = _check_n(n)
    a = _prepared(aug, seed)
    modality = a.modality
    f = _fmt_for(path, fmt, modality)
    if columns is not None and modality != "tabular":
        raise ValueError(f"preview: columns is for tables; {_name(a)} is a {modality} augmenter")
    if lengths is not None and modality != "timeseries":
        raise ValueError(f"preview: lengths is for time series; {_name(a)} is a {modality} augmenter")
    if y is not None and modality in ("timeseries", "tabular"):
        n_x = a.handler.length(a.handler.check(x, a)[0])
        if len(y) != n_x:
            raise ValueError(f"preview: y has {len(y)} labels but x has {n_x} samples; expected one label per sample")
    if modality == "text":
        originals, augmented = _text_samples(a, x, n)
        if f == "html":
            result = _text_html(a, originals, augmented)
        else:
            result = _text_figure(a, originals, augmented)
    elif modality == "tagged":
        originals, augmented = _tagged_samples(a, x, n)
        result = _tagged_html(a, originals, augmented) if f == "html" else _tagged_figure(a, originals, augmented)
    elif modality == "timeseries":
        result = _series_figure(a, x, y, n, lengths)
    elif modality == "tabular":
        result = _table_figure(a, x, y, n, columns)
    elif modality == "graph":
        result = _graph_figure(a, x, n, seed)
    else:
        raise ValueError(f"preview: {_name(a)} has modality {modality!r}; expected text, tagged, timeseries, tabular "
                         "or graph")
    if f == "html" and not isinstance(result, str):
        png = base64.b64encode(_fig_to_bytes(result, "png")).decode("ascii")
        result = _html_page(f"multiaug preview: {_name(a)}",
                            f'<img alt="preview of {html.escape(_name(a))}" src="data:image/png;base64,{png}">')
    if path is not None:
        _write(path, result if isinstance(result, str) else _fig_to_bytes(result, f))
    return result


def _numeric(col: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(col.dtype))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def preview_file(aug: Any, input_path: str | os.PathLike, output_path: str | os.PathLike, *, n: int = 8,
                 column: str | None = None, columns: Any = None, label_column: str | None = None,
                 seed: int | None = None, tokens_column: str | None = None, tags_column: str | None = None) -> Any:
    """Read the first rows of ``input_path`` (csv/jsonl/parquet text or table, tagged sentences in
    .conll/.bio/.iob or in jsonl/parquet list columns, npy/npz series, pt graphs) with
    :mod:`multiaug.io`, fit ``aug`` if it is learned and not fitted yet (on the rows read), and write
    ``preview(...)`` to ``output_path`` (.png, .svg or .html). Returns what :func:`preview` returns.
    ``column``: the text column (default: the only text column); ``label_column``: labels/targets
    (tables: left out of the features); ``columns``: the two table columns of the scatter;
    ``tokens_column``/``tags_column``: the token and tag list columns of tagged sentences (default
    "tokens" and "tags", the columns a CoNLL file is read into)."""
    from . import io as mio

    n = _check_n(n)
    src, dst = Path(input_path), Path(output_path)
    if _same_file(src, dst):
        raise ValueError(f"preview: output_path {str(dst)!r} is the input file; choose another output")
    _fmt_for(dst, None, "any")
    kind = mio.kind_of(src, "input_path")
    rows = max(n, 256)
    a = _prepared(aug, seed)
    modality = a.modality
    conll = src.suffix.lower() in mio.CONLL_SUFFIXES
    expected = {"table": ("text", "tabular", "tagged"), "array": ("timeseries",), "graph": ("graph",)}[kind]
    if conll:
        kind, expected = "tagged (CoNLL)", ("tagged",)
    if modality not in expected:
        raise ValueError(f"preview: input_path {str(src)!r} holds {kind} data, which a {modality} augmenter "
                         f"({_name(a)}) cannot take; expected a {' or '.join(expected)} augmenter")
    if modality != "tagged" and (tokens_column is not None or tags_column is not None):
        raise ValueError(f"preview: tokens_column and tags_column are for tagged augmenters; {_name(a)} is a "
                         f"{modality} augmenter")
    if modality == "tagged" and column is not None:
        raise ValueError("preview: column is for text augmenters; a tagged augmenter reads tokens_column and tags_column")
    y = lengths = None
    if modality == "tagged":
        df = next(mio.iter_table(src, batch_size=rows), None)
        if df is None or len(df) == 0:
            raise ValueError(f"preview: input_path {str(src)!r} holds no sentences")
        tokens, tags = mio.tagged_rows(df, tokens_column or mio.TOKENS_COLUMN, tags_column or mio.TAGS_COLUMN)
        data: Any = list(zip(tokens, tags))
    elif kind == "table":
        df = next(mio.iter_table(src, batch_size=rows, text_columns=[column] if column else None))
        if label_column is not None and label_column not in df.columns:
            raise ValueError(f"preview: label_column {label_column!r} is not in {str(src)!r}; columns are {list(df.columns)}")
        if label_column is not None:
            y = df[label_column].to_numpy()
        if modality == "text":
            if column is None:
                cands = [c for c in df.columns if c != label_column and not _numeric(df[c])]
                if "text" in cands:
                    cands = ["text"]
                if len(cands) != 1:
                    raise ValueError(f"preview: column is required (the text column of {str(src)!r}); columns are {list(df.columns)}")
                column = cands[0]
                # read again so that the text column keeps cells such as "NA" as text (multiaug.io)
                df = next(mio.iter_table(src, batch_size=rows, text_columns=[column]))
            if column not in df.columns:
                raise ValueError(f"preview: column {column!r} is not in {str(src)!r}; columns are {list(df.columns)}")
            data = [("" if v is None else str(v)) for v in df[column].tolist()]
            y = None
        else:
            data = df.drop(columns=[label_column]) if label_column is not None else df
    elif kind == "array":
        from .engines.local import file_lengths

        arr, ya, extras = mio.read_arrays(src)
        data = np.array(arr[:rows])
        y = None if ya is None else np.asarray(ya[:rows])
        lengths = file_lengths(src, extras, arr, a)  # an .npz's lengths: variable-length series
        if lengths is not None:
            lengths = lengths[:rows]
    else:
        data = mio.read_graphs(src)[:rows]
    if getattr(a, "learned", False) and not a.__sklearn_is_fitted__():
        if a is aug:
            a = copy.deepcopy(aug)
        if kind == "graph":  # a list of graphs: fitted as one Batch, as `augment` does
            from .graph.base import as_batch

            a.fit(as_batch(data), y)
        else:
            a.fit(data, y)
    return preview(a, data, y, n=n, path=dst, columns=columns, lengths=lengths)
