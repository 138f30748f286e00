"""ContextualSubstitution: tokenizer work per masked word, before and after remembering it, in one run.

Each masked word used to cost ~10 Python-level tokenizer calls: 6 ``convert_tokens_to_ids`` to ban the
word being replaced (as written and lower-cased, bare and with the ``Ġ`` / ``▁`` word-start marks), a
``convert_ids_to_tokens`` and a ``convert_tokens_to_string`` to read the pick, and the ``[CLS]``/
``[SEP]`` frame re-tokenised every batch; the eligibility of a word was also worked out again for
every occurrence. Now these answers are asked once per distinct word (or token id) and remembered
with the loaded model (``multiaug.text.contextual._Lookups``).

Rows (same sentences, same seeds, one process, median of ``--repeats`` runs, alternating order):

* ``ask each time``: the current code with a lookup table that asks the tokenizer on every use and
  an eligibility test without memo: the calls the previous code made;
* ``remembered``: the library as it is (tables warm after the first call, as in any run of more
  than one batch).

The outputs of both rows must be identical (checked). Models: a tiny random BERT with a WordPiece
vocabulary and a tiny random RoBERTa with a byte-level BPE vocabulary, both built from configs (no
download), so the forward pass is cheap and the Python-level work shows; with a real model the
forward pass dominates and the saving is the same number of milliseconds per masked word.

Run: ``python benchmarks/text_contextual.py [--n 2000] [--repeats 7] [--threads 1]``.
"""
from __future__ import annotations

import argparse
import collections
import platform
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import multiaug.text.contextual as ctx  # noqa: E402
from multiaug.text import ContextualSubstitution  # noqa: E402
from tests.text.contract_cases_llm import PUNCT, WORDS, tiny_masked_lm  # noqa: E402


class AskEachTime(ctx._Lookups):
    """The lookups of :class:`multiaug.text.contextual._Lookups`, asked of the tokenizer on every use."""

    frame = property(lambda self: ctx.ContextualSubstitution._special_frame(self.tok), lambda self, v: None)

    def banned(self, word: str) -> tuple[int, ...]:
        self._banned.clear()  # nothing remembered: the tokenizer is asked for every form, every time
        return super().banned(word)

    def words(self, ids: list[int]) -> list[str]:
        tok = self.tok
        return [tok.convert_tokens_to_string([tok.convert_ids_to_tokens(i)]).strip() for i in ids]


class BeforeSubstitution(ContextualSubstitution):
    """ContextualSubstitution with the eligibility of a word worked out at every occurrence."""

    def _eligible_fn(self):
        if self.action == "insert":
            return super()._eligible_fn()

        def eligible(words: list[str]) -> list[int]:
            stop = {w.lower() for w in (self.stopwords or ())}
            out = []
            for i, w in enumerate(words):
                core = ctx._WORD.match(w).group(2)
                if core and any(ch.isalpha() for ch in core) and core.lower() not in stop:
                    out.append(i)
            return out

        return eligible


def sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` sentences of 5-20 words of the tiny models' vocabulary, some capitalised or punctuated."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        w = [r.choice(WORDS) for _ in range(r.randint(5, 20))]
        if r.random() < 0.5:
            w[0] = w[0].capitalize()
        if r.random() < 0.3:
            w[r.randrange(len(w))] = r.choice(WORDS).upper()
        if r.random() < 0.4:
            w[r.randrange(len(w))] += r.choice(PUNCT)
        out.append(" ".join(w) + r.choice([".", "!", "", "?"]))
    return out


def bpe_model() -> str:
    from tests.text.test_contextual import _tiny_bpe_masked_lm

    path = Path(tempfile.gettempdir()) / "multiaug_bench_tiny_bpe_mlm"
    if not (path / "config.json").exists():
        path.mkdir(parents=True, exist_ok=True)
        _tiny_bpe_masked_lm(path)
    return str(path)


def count_calls(tok, aug, texts) -> collections.Counter:
    """Tokenizer calls made by ``aug(texts)``, by method."""
    import pytest

    from tests.text.test_contextual import _count_tokenizer_calls

    with pytest.MonkeyPatch.context() as mp:
        calls = _count_tokenizer_calls(mp, tok)
        aug(texts)
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    texts = sentences(args.n)
    print(f"ContextualSubstitution, {args.n} sentences, median of {args.repeats}, {args.threads} thread(s), "
          f"CPU, torch {torch.__version__}, Python {platform.python_version()}")
    cases = [("tiny BERT (WordPiece), substitute", tiny_masked_lm(), {}),
             ("tiny BERT (WordPiece), insert", tiny_masked_lm(), {"action": "insert", "aug_p": 0.2}),
             ("tiny RoBERTa (byte-level BPE), substitute", bpe_model(), {})]
    dev = torch.device("cpu")
    for title, model, kw in cases:
        kw = {"aug_p": 0.3, "batch_size": 64, "device": "cpu", "on_unchanged": "keep", **kw}
        tok, mlm, allowed, look = ctx._load(model, dev)
        key = (model, str(dev))
        rows = {"ask each time": (BeforeSubstitution, (tok, mlm, allowed, AskEachTime(tok))),
                "remembered": (ContextualSubstitution, (tok, mlm, allowed, look))}
        times: dict[str, list[float]] = {k: [] for k in rows}
        outs: dict[str, list] = {k: [] for k in rows}
        calls = {}
        for cls, entry in rows.values():  # warm-up (and the remembered tables filled)
            ctx._MLM[key] = entry
            cls(model=model, seed=0, **kw)(texts)
        for r in range(args.repeats):
            for name in (list(rows) if r % 2 == 0 else list(rows)[::-1]):
                cls, entry = rows[name]
                ctx._MLM[key] = entry
                a = cls(model=model, seed=100 + r, **kw)
                t0 = time.perf_counter()
                outs[name].append(a(texts))
                times[name].append(time.perf_counter() - t0)
        for name, (cls, entry) in rows.items():
            ctx._MLM[key] = entry
            calls[name] = count_calls(tok, cls(model=model, seed=7, **kw), texts)
        ctx._MLM[key] = (tok, mlm, allowed, look)
        same = outs["ask each time"] == outs["remembered"]
        first = outs["remembered"][0]
        if kw.get("action") == "insert":
            changed = sum(len(o.split()) - len(s.split()) for s, o in zip(texts, first))
        else:
            changed = sum(sum(a != b for a, b in zip(s.split(), o.split())) for s, o in zip(texts, first))
        base = statistics.median(times["ask each time"])
        print(f"\n{title}: ~{changed} words changed per call; outputs identical: {same}")
        for name in rows:
            med = statistics.median(times[name])
            n_calls = sum(calls[name].values())
            print(f"  {name:14s} {med * 1000:8.1f} ms  {args.n / med:8.0f} sentences/s  x{base / med:4.2f}  "
                  f"tokenizer calls {n_calls:6d} ({n_calls / max(changed, 1):.2f} per changed word)")
        if not same:
            raise SystemExit("outputs differ between the rows")


if __name__ == "__main__":
    main()
