"""multiaug.preview: pictures per modality (checked for size and content), the text HTML diff, the
missing-matplotlib message, and preview_file on the repository's example files."""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import multiaug
from multiaug.preview import preview, preview_file, text_diff_html, word_opcodes

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

try:
    import matplotlib  # noqa: F401

    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False
needs_mpl = pytest.mark.skipif(not HAVE_MPL, reason="matplotlib not installed (pip install 'multiaug[plot]')")


def check_image(path: Path, min_w: int = 400, min_h: int = 250) -> np.ndarray:
    """Read a PNG back: big enough, not blank (some non-white pixels, more than a few colours)."""
    import matplotlib.image as mpimg

    img = mpimg.imread(str(path))
    assert img.ndim == 3 and img.shape[0] >= min_h and img.shape[1] >= min_w, img.shape
    rgb = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    non_white = (rgb < 245).any(axis=1).mean()
    assert non_white > 0.01, f"only {non_white:.3%} of the pixels are not white"
    assert len(np.unique(rgb, axis=0)) > 20
    return img


def coloured(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 40) -> int:
    """Number of pixels close to ``rgb``."""
    px = (img[..., :3] * 255).astype(int)
    return int((np.abs(px - np.array(rgb)).sum(axis=-1) < tol).sum())


# ---- text: HTML diff ------------------------------------------------------------------------------


def test_word_opcodes_on_a_known_edit():
    ops = word_opcodes("the quick brown fox jumps", "the slow brown fox really jumps")
    assert [(t, a, b) for t, a, b in ops if t != "equal"] == [("replace", ["quick"], ["slow"]), ("insert", [], ["really"])]
    ops = word_opcodes("a b c d", "a c d")
    assert [(t, a, b) for t, a, b in ops if t != "equal"] == [("delete", ["b"], [])]


def test_text_diff_html_marks_replaced_inserted_deleted_and_escapes():
    out = text_diff_html("the quick brown fox <script>alert(1)</script> runs far",
                         "the slow brown fox <script>alert(1)</script> runs very")
    assert re.search(r'class="ma-replaced-from"[^>]*>quick</span>', out)
    assert re.search(r'class="ma-replaced"[^>]*>slow</span>', out)
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    ins = text_diff_html("one two three", "one two new three")
    assert re.search(r'class="ma-inserted"[^>]*>new</span>', ins) and "ma-deleted" not in ins
    dele = text_diff_html("one two three", "one three")
    assert re.search(r'class="ma-deleted"[^>]*>two</span>', dele) and "ma-inserted" not in dele
    # inline CSS so the marks show without a stylesheet; unchanged text stays plain
    assert 'style="color:#14532d;background:#bbf7d0' in ins
    assert text_diff_html("same words", "same words") == "same words"
    # an inserted word that itself holds markup is escaped too
    esc = text_diff_html("a b", "a <b>x</b> b")
    assert "<b>" not in esc and html.escape("<b>x</b>") in esc


def test_text_preview_html_needs_no_matplotlib(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    texts = ["the battery lasts all day", "<script>x</script> shipping was slow and bad"]
    aug = multiaug.create("random_deletion", alpha=0.4, seed=0)
    page = preview(aug, texts, path=tmp_path / "p.html")
    assert page == (tmp_path / "p.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<tr>") == 1 + len(texts)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "ma-deleted" in page  # random deletion deletes at least one word of a sentence of two or more


def test_missing_matplotlib_gives_a_clear_import_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    x = np.zeros((2, 1, 16), dtype="float32")
    with pytest.raises(ImportError, match=r"needs matplotlib: pip install 'multiaug\[plot\]'"):
        preview(multiaug.create("jitter", seed=0), x)
    with pytest.raises(ImportError, match="needs matplotlib"):
        preview(multiaug.create("eda", seed=0), ["a b c"], fmt="png")
    assert not list(tmp_path.iterdir())


# ---- pictures per modality ------------------------------------------------------------------------


@needs_mpl
def test_series_preview_png(tmp_path):
    x = np.cumsum(np.random.default_rng(0).normal(size=(10, 2, 64)), axis=-1).astype("float32")
    fig = preview(multiaug.create("jitter", sigma=0.3, seed=0), x, n=6, path=tmp_path / "s.png")
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 6
    check_image(tmp_path / "s.png")
    # 2-D (N, T) input works too, and svg
    preview(multiaug.create("scaling", seed=0), x[:, 0], n=3, path=tmp_path / "s.svg")
    assert (tmp_path / "s.svg").read_text().lstrip().startswith("<?xml")


@needs_mpl
def test_series_mixing_names_partner():
    x = np.random.default_rng(1).normal(size=(6, 1, 32)).astype("float32")
    fig = preview(multiaug.create("ts_mixup", seed=0), x, np.arange(6) % 2, n=6)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert any("mixed with" in t for t in titles), titles


@needs_mpl
@pytest.mark.parametrize("config", ["time_warp", "sequential"])
def test_series_preview_of_an_npz_with_lengths_draws_each_valid_part(tmp_path, config):
    # an .npz's lengths were ignored by preview: the padding was warped into the series drawn
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2, 30)).cumsum(-1).astype("float32")
    lengths = np.array([30, 10, 20, 5])
    for i, k in enumerate(lengths):
        x[i, :, k:] = 1000.0
    np.savez(tmp_path / "in.npz", x=x, y=np.arange(4) % 2, lengths=lengths)
    aug = (multiaug.Sequential([multiaug.create("time_warp"), multiaug.create("jitter")]) if config == "sequential"
           else multiaug.create("time_warp"))
    fig = preview_file(aug, tmp_path / "in.npz", tmp_path / "p.png", n=4, seed=0)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    for ax, k in zip(axes, lengths):
        for line in ax.get_lines():
            assert len(line.get_xdata()) == k and np.all(np.abs(line.get_ydata()) < 500), ax.get_title()
    assert "10 of 30 steps" in axes[1].get_title()
    # lengths given to preview directly; only time series take them
    fig = preview(multiaug.create("window_warp", seed=0), x, lengths=lengths)
    assert all(np.all(np.abs(line.get_ydata()) < 500) for ax in fig.axes for line in ax.get_lines())
    with pytest.raises(ValueError, match="preview: lengths is for time series; gaussian_noise is a tabular augmenter"):
        preview(multiaug.create("gaussian_noise"), np.zeros((4, 3)), lengths=[1, 1, 1, 1])


@needs_mpl
def test_graph_preview_marks_removed_added_and_dropped(tmp_path):
    from torch_geometric.data import Data

    ring = torch.arange(10)
    ei = torch.stack([torch.cat([ring, (ring + 1) % 10]), torch.cat([(ring + 1) % 10, ring])])
    g = Data(x=torch.randn(10, 3), edge_index=ei)
    fig = preview(multiaug.create("node_drop", rate=0.3, seed=0), [g, g.clone()], n=2, path=tmp_path / "g.png")
    img = check_image(tmp_path / "g.png")
    assert "dropped" in " ".join(ax.get_title() for ax in fig.axes)
    assert coloured(img, (214, 39, 40)) > 50  # C3 red: removed edges / dropped nodes are drawn
    preview(multiaug.create("edge_add", rate=0.5, seed=0), g, path=tmp_path / "a.png")
    assert coloured(check_image(tmp_path / "a.png"), (44, 160, 44)) > 50  # C2 green: added edges
    fig = preview(multiaug.create("feature_noise", sigma=0.5, seed=0), g, path=tmp_path / "f.png")
    check_image(tmp_path / "f.png")
    assert any("|x' - x|" in ax.get_title() for ax in fig.axes)


@needs_mpl
def test_table_preview_mixing_lines_and_columns(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40) * 5, "c": rng.normal(size=40) * 3})
    fig = preview(multiaug.create("mixup", seed=0), df, n=8, path=tmp_path / "t.png")
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("b", "c")  # largest variance by default
    labels = ax.get_legend_handles_labels()[1]
    assert "copy -> its mixing partner" in labels and "augmented copies" in labels
    check_image(tmp_path / "t.png")
    fig = preview(multiaug.create("gaussian_noise", seed=0), df.to_numpy(), columns=(0, 2), n=5)
    assert fig.axes[0].get_xlabel() == "column 0"
    assert "copy -> its mixing partner" not in fig.axes[0].get_legend_handles_labels()[1]
    with pytest.raises(ValueError, match="columns entry 'zz'"):
        preview(multiaug.create("mixup", seed=0), df, columns=("a", "zz"))


@needs_mpl
def test_text_png_and_html_for_other_modalities(tmp_path):
    preview(multiaug.create("eda", seed=0), ["the screen is bright and sharp"] * 3, path=tmp_path / "t.png")
    check_image(tmp_path / "t.png")
    x = np.random.default_rng(0).normal(size=(4, 1, 32)).astype("float32")
    page = preview(multiaug.create("jitter", seed=0), x, path=tmp_path / "s.html")
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page


@needs_mpl
def test_seed_replays_and_leaves_the_augmenter_alone():
    x = np.random.default_rng(0).normal(size=(3, 1, 16)).astype("float32")
    aug = multiaug.create("jitter", seed=5)
    before = aug(x)
    aug2 = multiaug.create("jitter", seed=5)
    f1 = preview(aug2, x, seed=3)
    f2 = preview(aug2, x, seed=3)
    y1 = [ln.get_ydata() for ln in f1.axes[0].lines]
    y2 = [ln.get_ydata() for ln in f2.axes[0].lines]
    assert all(np.array_equal(a, b) for a, b in zip(y1, y2))
    assert np.array_equal(aug2(x), before)  # preview with a seed did not advance aug2's own stream


def test_bad_arguments():
    aug = multiaug.create("jitter", seed=0)
    x = np.zeros((2, 1, 8), dtype="float32")
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        preview(aug, x, n=0)
    with pytest.raises(ValueError, match=r"must end in \.png, \.svg or \.html"):
        preview(aug, x, path="out.jpg")
    with pytest.raises(ValueError, match="columns is for tables"):
        preview(aug, x, columns=(0, 1))
    with pytest.raises(TypeError, match="must be a multiaug Augmenter"):
        preview(object(), x)
    with pytest.raises(ValueError, match="y has 3 labels but x has 2 samples"):
        preview(aug, x, y=[0, 1, 1])


# ---- files ----------------------------------------------------------------------------------------


def test_preview_file_text_html(tmp_path):
    out = tmp_path / "reviews.html"
    page = preview_file(multiaug.create("eda", seed=0), EXAMPLES / "reviews.csv", out, n=5)
    assert out.read_text(encoding="utf-8") == page and page.count("<tr>") == 6
    assert "battery" in page


@needs_mpl
@pytest.mark.parametrize("name,file,kw", [
    ("mixup", "diabetes.csv", {"label_column": "target"}),
    ("regmix", "diabetes.csv", {"label_column": "target", "columns": ("bmi", "s5")}),
    ("window_warp", "series.npz", {}),
    ("ts_cutmix", "series.npz", {}),
    ("edge_drop", "graphs.pt", {}),
    ("local_augmentation", "graphs.pt", {}),  # learned: fitted (on a copy) on the file's graphs as one Batch
])
def test_preview_file_examples(tmp_path, name, file, kw):
    aug = multiaug.create(name, seed=0, **({"epochs": 1} if name == "local_augmentation" else {}))
    out = tmp_path / f"{name}.png"
    preview_file(aug, EXAMPLES / file, out, n=4, **kw)
    check_image(out)
    assert not aug.learned or not aug.__sklearn_is_fitted__()  # the caller's augmenter is not fitted in place
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_preview_file_errors(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("text,label\nhello world,1\n")
    aug = multiaug.create("eda", seed=0)
    with pytest.raises(ValueError, match="is the input file"):
        preview_file(aug, src, src.with_suffix(".csv"))
    with pytest.raises(ValueError, match="must end in"):
        preview_file(aug, src, tmp_path / "o.txt")
    with pytest.raises(ValueError, match="label_column 'nope' is not in"):
        preview_file(aug, src, tmp_path / "o.html", label_column="nope")
    with pytest.raises(ValueError, match="column 'body' is not in"):
        preview_file(aug, src, tmp_path / "o.html", column="body")
    with pytest.raises(ValueError, match="a timeseries augmenter"):
        preview_file(multiaug.create("jitter"), src, tmp_path / "o.html")
    with pytest.raises(ValueError, match="input_path"):
        preview_file(aug, tmp_path / "in.xlsx", tmp_path / "o.html")
    two = tmp_path / "two.csv"
    two.write_text("title,body\na b,c d\n")
    with pytest.raises(ValueError, match="column is required"):
        preview_file(aug, two, tmp_path / "o.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "two.csv"]


def test_augmenter_preview_method_and_partners_at_p_below_one():
    """``aug.preview(x)`` is the module function; with p < 1 the flat params layout still gives the
    partners of the active rows (inactive rows have none)."""
    pytest.importorskip("matplotlib")
    import numpy as np

    from multiaug.preview import _partners
    from multiaug.tabular import Mixup

    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    aug = Mixup(p=0.5, seed=0)
    fig = aug.preview(x, n=8)
    assert fig is not None and len(fig.axes) >= 1
    xi, _ = aug._to_internal(x)
    params = aug.sample(xi)
    part = _partners(params, 64)
    active = params["active"].numpy()
    assert part is not None and (part[~active] == -1).all() and (part[active] >= -1).all()
    assert (part[active] >= 0).sum() > 10


# ---- tagged sentences -------------------------------------------------------------------------------

TAGGED = [
    (["John", "Smith", "lives", "in", "New", "York", "."], ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O"]),
    (["Apple", "hired", "Mary", "Jones", "<b>"], ["B-ORG", "O", "B-PER", "I-PER", "O"]),
    (["Paris", "is", "big", "and", "old"], ["B-LOC", "O", "O", "O", "O"]),
]


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr><td.*?</tr>", page)


def _summaries(page: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'white-space:nowrap">([^<]*)</td></tr>', page)]


def test_tagged_preview_boxes_mentions_and_counts_the_changes(tmp_path):
    aug = multiaug.create("tagged_random_deletion", p=1.0, protect="entities", seed=0)
    page = preview(aug, TAGGED, n=2, path=tmp_path / "t.html")
    assert (tmp_path / "t.html").read_text(encoding="utf-8") == page
    assert len(_rows(page)) == 2  # the first n sentences only
    out = multiaug.create("tagged_random_deletion", p=1.0, protect="entities", seed=0)(
        [TAGGED[0], TAGGED[1]])
    for (tokens, _), (new, _), row, summary in zip(TAGGED, out, _rows(page), _summaries(page)):
        gone = len(tokens) - len(new)
        assert gone > 0 and summary.startswith(f"{gone} deleted") and "mentions 2 → 2" in summary
        # every mention of the original and of the output is boxed with its type
        assert row.count('class="ma-mention"') == 4
    # types get one colour each, listed in the legend; tokens are escaped
    assert all(f'title="{t}"' in page for t in ("PER", "LOC", "ORG"))
    assert "&lt;b&gt;" in page and "<b>" not in page[page.index("<table"):]


def test_tagged_preview_marks_replaced_mentions_and_retyped_tokens():
    mr = multiaug.create("mention_replacement", rate=1.0, seed=0).fit(TAGGED)
    page = mr.preview(TAGGED)  # html by default for tagged sentences
    assert "<html" in page[:200]
    assert len(_rows(page)) == 3
    out = multiaug.create("mention_replacement", rate=1.0, seed=0).fit(TAGGED)(TAGGED)
    for (tokens, _), (new, _), summary in zip(TAGGED, out, _summaries(page)):
        if tokens == new:
            assert summary.startswith("unchanged")
        else:
            assert "replaced" in summary or "inserted" in summary or "deleted" in summary
    # an unchanged token whose mention type changed is counted as retyped
    from multiaug.preview import _tagged_html
    from multiaug.text.tagged import TaggedBatch

    page = _tagged_html(mr, TaggedBatch([["New", "York", "is"]], [["B-LOC", "I-LOC", "O"]]),
                        TaggedBatch([["New", "York", "is"]], [["B-ORG", "I-ORG", "O"]]))
    assert _summaries(page) == ["2 retyped; mentions 1 → 1"]


@needs_mpl
def test_tagged_preview_png(tmp_path):
    preview(multiaug.create("segment_shuffle", rate=1.0, seed=0), TAGGED * 3, n=6, path=tmp_path / "t.png")
    check_image(tmp_path / "t.png")


def test_preview_file_tagged_conll_and_jsonl(tmp_path):
    from multiaug import io as mio

    conll = tmp_path / "train.conll"
    mio.write_conll(conll, [t for t, _ in TAGGED], [g for _, g in TAGGED])
    aug = multiaug.create("mention_replacement", rate=1.0, seed=0)
    page = preview_file(aug, conll, tmp_path / "c.html", n=3)
    assert len(_rows(page)) == 3 and 'title="PER"' in page
    assert not aug.__sklearn_is_fitted__()  # fitted on a copy
    jl = tmp_path / "train.jsonl"
    pd.DataFrame({"words": [t for t, _ in TAGGED], "ner": [g for _, g in TAGGED]}).to_json(jl, orient="records", lines=True)
    page = preview_file(multiaug.create("tagged_random_swap", seed=0), jl, tmp_path / "j.html",
                        tokens_column="words", tags_column="ner")
    assert len(_rows(page)) == 3
    with pytest.raises(ValueError, match="--tokens-column 'tokens' is not in"):
        preview_file(multiaug.create("tagged_random_swap", seed=0), jl, tmp_path / "j.html")
    with pytest.raises(ValueError, match=r"tagged \(CoNLL\) data, which a text augmenter"):
        preview_file(multiaug.create("eda", seed=0), conll, tmp_path / "e.html")
    with pytest.raises(ValueError, match="tokens_column and tags_column are for tagged augmenters"):
        preview_file(multiaug.create("eda", seed=0), jl, tmp_path / "e.html", tokens_column="words")
    with pytest.raises(ValueError, match="column is for text augmenters"):
        preview_file(multiaug.create("tagged_random_swap", seed=0), conll, tmp_path / "e.html", column="tokens")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.html", "j.html", "train.conll", "train.jsonl"]


def test_cli_preview_refuses_column_options_that_do_not_apply(tmp_path, capsys):
    """`multiaug preview`, as `augment`: --label-column on a .npz (no columns) and --column with a
    tabular augmenter are errors naming the option, never ignored or misread; nothing is written."""
    from tests.test_cli import run_inproc

    for args in (["series.npz", "-a", "jitter", "--label-column", "y"],
                 ["diabetes.csv", "-a", "gaussian_noise", "--column", "bmi"]):
        proc = run_inproc("preview", EXAMPLES / args[0], *args[1:], "-o", tmp_path / "p.png", capsys=capsys)
        assert proc.returncode == 2, proc.stderr
        assert f"{args[3]} {args[4]!r} is for" in proc.stderr and not (tmp_path / "p.png").exists()
    proc = run_inproc("preview", EXAMPLES / "reviews.csv", "-a", "eda", "--column", "text", "--label-column", "label",
                      "-p", "stopwords=[the, no, on]", "-o", tmp_path / "p.html", capsys=capsys)
    assert proc.returncode == 0, proc.stderr


def test_seeded_svg_preview_is_the_same_file_every_time(tmp_path):
    # `seed` promises the same picture every time: an .svg carried its creation date and random element
    # ids, so two runs gave different files
    x = np.cumsum(np.random.default_rng(3).normal(size=(4, 1, 24)), axis=-1).astype("float32")
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    preview(multiaug.create("jitter"), x, n=2, path=a, seed=1)
    preview(multiaug.create("jitter"), x, n=2, path=b, seed=1)
    assert a.read_bytes() == b.read_bytes()
