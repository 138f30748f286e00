"""Benchmark: batched EDA against nlpaug's word flow, and against a bare split+join floor.

Data: real English prose, the licence texts of /usr/share/common-licenses, then (to reach --n
sentences of distinct text) /usr/share/doc/*/copyright, split into sentences of >= 4 words.

Rows (same sentences, one process, median of --repeats runs, single-threaded by default):

* ``split+join``: ``[" ".join(s.split()) for s in sents]``, the floor of any whitespace tokeniser;
* ``nlpaug flow``: ``naf.Sequential([SynonymAug(wordnet, aug_p=0.1), RandomWordAug(swap, aug_p=0.1),
  RandomWordAug(delete, aug_p=0.1)])`` over the list. NLTK's WordNet is read from Debian's
  WordNet 3.0 files (see ``_wordnet_nltk.py``; no download). nlpaug would POS-tag with NLTK's
  perceptron tagger, whose data is a download: the tagger is replaced by one returning no tag, so
  nlpaug looks synonyms up in every part of speech (this only makes nlpaug *faster*);
* ``multiaug EDA``: ``EDA(alpha_sr=0.1, alpha_ri=0, alpha_rs=0.1, p_rd=0.1, mode="all")``, the same
  three operations on every sentence; ``(cold)`` is its first call in the process (lexicon cache
  empty; the WordNet table is loaded before timing), the median is over warm calls;
* ``multiaug EDA n_aug=4``: ``EDA().augment(sents, n_aug=4)`` (one operation per copy, the paper's
  setting), throughput counted in *output* sentences;
* ``multiaug EDA ... paragraphs``: the same rows on the sentences joined four at a time into texts of
  two paragraphs (``"s1 s2\n\ns3\ns4"``), whose line breaks EDA keeps (the layout path); throughput in
  sentences (four per text) so that the rows compare;
* on a CUDA machine, the EDA rows again with ``device="cuda"``.

Run: ``python benchmarks/text_eda.py [--n 10000] [--repeats 5] [--threads 1]``.
"""
from __future__ import annotations

import argparse
import glob
import platform
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def load_sentences(n: int) -> tuple[list[str], int]:
    files = sorted(glob.glob("/usr/share/common-licenses/*")) + sorted(glob.glob("/usr/share/doc/*/copyright"))
    seen: dict[str, None] = {}
    for f in files:
        try:
            text = Path(f).read_text(encoding="utf-8", errors="replace")
        except (IsADirectoryError, PermissionError):
            continue
        for para in re.split(r"\n\s*\n", text):  # paragraphs, then sentences
            for s in re.split(r"(?<=[.!?;])\s+(?=[A-Z\"'(])", re.sub(r"\s+", " ", para)):
                s = s.strip()
                if len(s.split()) >= 4 and sum(c.isalpha() for c in s) > 0.6 * len(s):
                    seen.setdefault(s, None)
        if len(seen) >= n:
            break
    sents = list(seen)[:n]
    unique = len(sents)
    while len(sents) < n:  # only if the machine has too little prose
        sents += sents[: n - len(sents)]
    return sents, unique


def timeit(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and median process CPU seconds (CPU time is the steadier figure on a shared
    machine; for these single-threaded runs it is what the wall clock shows on an idle one)."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--nlpaug-repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (nlpaug is single-threaded)")
    ap.add_argument("--per-call", type=int, default=500, help="sentences for the one-sentence-per-call rows")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")

    sents, unique = load_sentences(args.n)
    n_tok = sum(len(s.split()) for s in sents)
    print(f"# text_eda benchmark  python {platform.python_version()}  torch {torch.__version__}  threads={args.threads}")
    print(f"# {len(sents)} sentences ({unique} distinct), {n_tok} words, mean {n_tok / len(sents):.1f} words/sentence")

    rows: list[tuple[str, tuple[float, float], int, str]] = []  # name, (wall, cpu) medians, outputs, note

    floor = timeit(lambda: [" ".join(s.split()) for s in sents], args.repeats)
    rows.append(("split+join (floor)", floor, len(sents), ""))

    # ---- nlpaug ------------------------------------------------------------------------------------
    nlpaug_s = None
    try:
        import nlpaug.augmenter.word as naw
        import nlpaug.flow as naf
        import nltk
        from _wordnet_nltk import build_nltk_data

        nltk.data.path.insert(0, str(build_nltk_data()))
        syn = naw.SynonymAug(aug_src="wordnet", aug_p=0.1)
        syn.model.pos_tag = lambda toks: [(t, "") for t in toks]  # tagger data is a download: no tags
        flow = naf.Sequential([syn, naw.RandomWordAug(action="swap", aug_p=0.1), naw.RandomWordAug(action="delete", aug_p=0.1)])
        flow.augment(sents[:50])  # warm NLTK's lazy loading
        nlpaug_s = timeit(lambda: flow.augment(sents), args.nlpaug_repeats)
        rows.append(("nlpaug flow (SR->swap->delete)", nlpaug_s, len(sents), f"{args.nlpaug_repeats} runs"))
    except ImportError as err:
        print(f"# nlpaug flow skipped: {err} (pip install nlpaug nltk)")

    # ---- multiaug ----------------------------------------------------------------------------------
    from multiaug.text import EDA
    from multiaug.text.synonyms import wordnet

    wordnet()  # load the packaged table before timing

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
        eda = EDA(alpha_sr=0.1, alpha_ri=0.0, alpha_rs=0.1, p_rd=0.1, mode="all", seed=0, device=dev)

        def run_eda(eda=eda, sync=sync):
            eda(sents)
            sync()

        cold = timeit(run_eda, 1)
        rows.append((f"multiaug EDA SR+RS+RD [{dev}] (cold)", cold, len(sents), "first call"))
        med = timeit(run_eda, args.repeats)
        rows.append((f"multiaug EDA SR+RS+RD [{dev}]", med, len(sents), f"unchanged={eda.report_.n_unchanged}"))
        eda4 = EDA(seed=0, device=dev)

        def run_eda4(eda4=eda4, sync=sync):
            eda4.augment(sents, n_aug=4)
            sync()

        run_eda4()
        med4 = timeit(run_eda4, args.repeats)
        rows.append((f"multiaug EDA n_aug=4 [{dev}]", med4, eda4.report_.n_outputs, f"outputs; dropped={eda4.report_.n_dropped}"))

        # texts with paragraphs: EDA keeps their line breaks (vocab.Layout), at some cost
        paras = [f"{a} {b}\n\n{c}\n{d}" for a, b, c, d in zip(sents[0::4], sents[1::4], sents[2::4], sents[3::4])]

        def run_paras(eda=eda, sync=sync, paras=paras):
            eda(paras)
            sync()

        run_paras()
        rows.append((f"multiaug EDA SR+RS+RD [{dev}] paragraphs", timeit(run_paras, args.repeats), 4 * len(paras),
                     f"{len(paras)} texts of 4 sentences"))

        def run_paras4(eda4=eda4, sync=sync, paras=paras):
            eda4.augment(paras, n_aug=4)
            sync()

        run_paras4()
        rows.append((f"multiaug EDA n_aug=4 [{dev}] paragraphs", timeit(run_paras4, args.repeats), 4 * 4 * len(paras),
                     "sentences in the outputs"))

    # ---- one sentence per call (a Dataset's __getitem__) -------------------------------------------
    per_call = []
    k = min(args.per_call, len(sents))
    few = sents[:k]
    per_call.append(("split+join", timeit(lambda: [" ".join(s.split()) for s in few], args.repeats)))
    if nlpaug_s:
        per_call.append(("nlpaug flow", timeit(lambda: [flow.augment(s) for s in few], args.nlpaug_repeats)))
    one = EDA(alpha_sr=0.1, alpha_ri=0.0, alpha_rs=0.1, p_rd=0.1, mode="all", seed=0)
    per_call.append(("multiaug EDA", timeit(lambda: [one([s]) for s in few], args.repeats)))
    pairs = char_and_word_pairs() if nlpaug_s else []
    for name, ours, theirs in pairs:  # single operations, each against nlpaug's own
        ours(few[:20])
        per_call.append((f"{name} nlpaug", timeit(lambda t=theirs: [t.augment(s) for s in few], args.nlpaug_repeats)))
        per_call.append((f"{name} multiaug", timeit(lambda o=ours: [o([s]) for s in few], args.repeats)))

    # ---- table -------------------------------------------------------------------------------------
    print()
    print(f"| {'method':<38} | {'wall s':>8} | {'CPU s':>8} | {'sent/s (CPU)':>12} | {'x nlpaug':>8} | {'x floor':>7} | {'x nlpaug wall':>13} | {'x floor wall':>12} | note")
    print(f"|{'-' * 40}|{'-' * 10}|{'-' * 10}|{'-' * 14}|{'-' * 10}|{'-' * 9}|{'-' * 15}|{'-' * 14}|------")
    n = len(sents)
    for name, (wall, cpu), outs, note in rows:
        def ratios(k: int, wall=wall, cpu=cpu, outs=outs) -> tuple[str, str]:
            per = (wall, cpu)[k] / outs
            nl = f"{(nlpaug_s[k] / n) / per:.1f}" if nlpaug_s else "n/a"
            return nl, f"{per / (floor[k] / n):.2f}"
        nl_c, fl_c = ratios(1)
        nl_w, fl_w = ratios(0)
        print(f"| {name:<38} | {wall:8.3f} | {cpu:8.3f} | {outs / cpu:12,.0f} | {nl_c:>8} | {fl_c:>7} | {nl_w:>13} | {fl_w:>12} | {note}")
    print()
    print("x nlpaug: throughput relative to the nlpaug flow (higher is better); x floor: time per sentence")
    print("relative to split+join (lower is better). Targets: EDA >= 40x nlpaug, <= 5x the floor.")
    print()
    print(f"One sentence per call ({k} calls, as a Dataset's __getitem__ would; wall medians; x nlpaug: the")
    print("nlpaug row above each multiaug row is its reference):")
    timings = dict(per_call)
    for name, (wall, _) in per_call:
        ref = timings.get("nlpaug flow" if name in ("split+join", "multiaug EDA") else name.replace(" multiaug", " nlpaug"))
        vs = f"  {ref[0] / wall:.2f}x nlpaug" if ref else ""
        print(f"  {name:<24} {wall / k * 1e6:8.0f} us per call{vs}")
    if pairs:
        print()
        print(f"Single operations on the whole batch ({len(sents)} sentences, one call; wall medians):")
        for name, ours, theirs in pairs:
            t_ours = timeit(lambda o=ours: o(sents), args.repeats)[0]
            t_theirs = timeit(lambda t=theirs: t.augment(sents), 1)[0]
            print(f"  {name:<16} nlpaug {t_theirs:7.2f} s  multiaug {t_ours:7.3f} s  {t_theirs / t_ours:7.1f}x nlpaug")


def char_and_word_pairs() -> list[tuple[str, object, object]]:
    """(name, multiaug augmenter, nlpaug augmenter) with the same settings (nlpaug's defaults)."""
    import nlpaug.augmenter.char as nac
    import nlpaug.augmenter.word as naw

    from multiaug.text import CharNoise, KeyboardTypo, OCRNoise, RandomDeletion, RandomSwap

    return [
        ("keyboard typo", KeyboardTypo(seed=0), nac.KeyboardAug()),
        ("OCR noise", OCRNoise(seed=0), nac.OcrAug()),
        ("char substitute", CharNoise(action="substitute", seed=0), nac.RandomCharAug(action="substitute")),
        ("char insert", CharNoise(action="insert", seed=0), nac.RandomCharAug(action="insert")),
        ("word swap", RandomSwap(seed=0), naw.RandomWordAug(action="swap")),
        ("word delete", RandomDeletion(seed=0), naw.RandomWordAug(action="delete")),
    ]


if __name__ == "__main__":
    main()
