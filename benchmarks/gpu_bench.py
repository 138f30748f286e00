"""The GPU path, side by side with the same machine's CPU, in one run (issue 18). Not a test.

Rows (medians of ``--repeats`` timed runs after one warm-up call; ``torch.cuda.synchronize`` around
every timed call on CUDA; CPU rows use ``--threads`` PyTorch threads, default all cores):

* time series: ``Sequential([TimeWarp(), Drift(max_drift=0.5, n_drift_points=3), Jitter(sigma=0.01)])``
  on N=2000, C=3, T=512 float32 random walks, CPU vs device, against the device's floor
  ``torch.randn_like(x)`` + ``x.clone()`` (goal: pipeline within 3x of it) and against tsaug's
  ``TimeWarp() + Drift(...) + AddNoise(scale=0.01)`` on the CPU when tsaug is importable; then every
  registered time-series kernel alone, CPU vs device; the pipeline's per-call cost (one short series)
  and, on a device, a 10x batch (launch overhead vs memory traffic);
* text: EDA (SR+RS+RD on every sentence, as in ``text_eda.py``) and KeyboardTypo on 100k sentences,
  sentences/s, CPU vs device, and the share of the device run spent in the CPU tokenizer
  (``vocab.tokenize``) and in ``vocab.detokenize`` (timed in a separate, instrumented run);
* graphs: SchurView(fraction=0.5) on a random graph of 1M edge entries (goal: <= 50 ms on the
  device), EdgeDrop vs PyG ``dropout_edge`` (both on the device, and both on the CPU), and the
  LA-GNN CVAE fit (``LocalAugmentation()`` defaults: 10 epochs over Cora's edges) CPU vs device;
* tables: kNN (k=32) + partner draw + mixing on 100k x 50, multiaug on the device vs scikit-learn's
  ``NearestNeighbors(algorithm="brute")`` + the same mixing in NumPy on the CPU (goal: >= 20x), also
  multiaug on the CPU; a whole RegMix call, Mixup, FeatMix and HidMix on the same table;
* host-device syncs: ``torch.profiler`` over one call of each hot path on the device, counting
  ``aten::item``, ``aten::_local_scalar_dense``, ``aten::nonzero`` (a hidden sync on CUDA) and, on
  CUDA, device-to-host copies (``Memcpy DtoH``) and ``cudaStreamSynchronize``/``cudaDeviceSynchronize``
  calls. Text paths must copy their result to the host once (strings are built there). Under the
  table, the call sites of those reads (``multiaug.core.hostreads.count_host_reads``);
* paraphrase (section ``paraphrase``, last): batched generation with a model of SmolLM2-135M's
  architecture and random weights, 128 prompts x 32 tokens, generations/s CPU vs device (goal: >= 20x).

The report is rewritten after every section, so a timeout keeps the sections already measured.

Writes ``gpu_bench.md`` and ``gpu_bench.json`` to ``--out`` and prints the tables. ``--quick`` runs
every row at a reduced size (seconds on a laptop CPU; use it with ``--device cpu`` to check the
script). Cora: ``--cora DIR`` holding Planetoid's raw ``ind.cora.*`` files (default: the first of
``.gpudata/Cora/raw`` and ``../shared/data/planetoid/Cora/raw`` that exists).

    python benchmarks/gpu_bench.py --device cuda --out benchmarks/results/gpu/
    python benchmarks/gpu_bench.py --device cpu --quick --out /tmp/gpu_bench
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOALS = {
    "ts_pipeline_vs_floor": 3.0,  # device pipeline / device (randn_like + clone) <= 3
    "schur_1m_ms": 50.0,  # device SchurView at 1M edge entries <= 50 ms
    "knn_vs_sklearn": 20.0,  # sklearn CPU / multiaug device >= 20
    "paraphrase_vs_cpu": 20.0,
    "lagnn_fit_s": 10.0,  # the default LA-GNN CVAE fit on Cora on the device <= 10 s  # batched generations/s, device / the same machine's CPU >= 20
}



# ---- timing ---------------------------------------------------------------------------------------


def sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def timed(fn: Callable[[], Any], dev: torch.device, repeats: int, warmup: int = 1) -> float:
    """Median seconds of ``repeats`` calls after ``warmup`` calls, synchronised on CUDA."""
    for _ in range(warmup):
        fn()
    sync(dev)
    ts = []
    for _ in range(max(1, repeats)):
        sync(dev)
        t = time.perf_counter()
        fn()
        sync(dev)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


class Report:
    def __init__(self, args, dev: torch.device):
        self.rows: list[dict] = []
        self.syncs: list[dict] = []
        self.errors: list[dict] = []
        self.meta = {
            "device": str(dev),
            "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "cpu_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "quick": bool(args.quick),
            "repeats": args.repeats,
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        }

    def row(self, section: str, name: str, size: str, cpu_s: float | None, dev_s: float | None, unit: str = "s",
            ref: str = "", ref_s: float | None = None, goal: str = "", met: bool | None = None, note: str = "") -> None:
        r = dict(section=section, name=name, size=size, cpu_s=cpu_s, dev_s=dev_s, ref=ref, ref_s=ref_s,
                 speedup=(cpu_s / dev_s) if cpu_s and dev_s else None, goal=goal, goal_met=met, note=note)
        self.rows.append(r)
        fmt = lambda v: "-" if v is None else f"{v * 1e3:9.2f}"  # noqa: E731
        print(f"  {name:<44} {size:<22} cpu {fmt(cpu_s)} ms  dev {fmt(dev_s)} ms"
              + (f"  x{r['speedup']:.1f}" if r["speedup"] else "")
              + (f"  [{goal}: {'met' if met else 'NOT met'}]" if goal and met is not None else "")
              + (f"  {note}" if note else ""), flush=True)

    def section(self, name: str, fn: Callable[[], None]) -> None:
        print(f"\n## {name}", flush=True)
        t = time.perf_counter()
        try:
            fn()
        except Exception as e:  # one failing section must not lose the others' figures
            traceback.print_exc()
            self.errors.append(dict(section=name, error=f"{type(e).__name__}: {e}"))
        print(f"  ({name}: {time.perf_counter() - t:.1f} s)", flush=True)

    def write(self, out: Path, quiet: bool = False) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        (out / "gpu_bench.json").write_text(json.dumps(dict(meta=self.meta, rows=self.rows, syncs=self.syncs, errors=self.errors), indent=1))
        (out / "gpu_bench.md").write_text(self.markdown())
        if not quiet:
            print(f"\nwrote {out / 'gpu_bench.md'} and {out / 'gpu_bench.json'}")

    def markdown(self) -> str:
        m = self.meta
        ms = lambda v: "-" if v is None else f"{v * 1e3:.2f}"  # noqa: E731
        lines = [
            f"# GPU bench: {m['device']} ({m['device_name']}), torch {m['torch']}, python {m['python']}",
            f"CPU rows: {m['cpu_threads']} torch threads of {m['cpu_count']} cores; medians of {m['repeats']} runs"
            + (" (--quick sizes)" if m["quick"] else "") + f"; {m['started']} .. {m.get('finished', '')}",
            "",
            "| section | what | size | CPU ms | device ms | CPU/device | reference | ref ms | goal | met | note |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            met = "" if r["goal_met"] is None else ("yes" if r["goal_met"] else "**no**")
            sp = "" if r["speedup"] is None else f"{r['speedup']:.1f}x"
            lines.append(f"| {r['section']} | {r['name']} | {r['size']} | {ms(r['cpu_s'])} | {ms(r['dev_s'])} | {sp} | "
                         f"{r['ref']} | {ms(r['ref_s'])} | {r['goal']} | {met} | {r['note']} |")
        lines += ["", "## Host-device synchronisations per call (torch.profiler, one call on the device)", "",
                  "| path | aten::item | aten::_local_scalar_dense | aten::nonzero | Memcpy DtoH | stream/device syncs | note |",
                  "|---|---|---|---|---|---|---|"]
        for s in self.syncs:
            lines.append(f"| {s['path']} | {s['item']} | {s['local_scalar_dense']} | {s['nonzero']} | {s['memcpy_dtoh']} | {s['sync_calls']} | {s['note']} |")
        lines += ["", "## Where the reads of device tensors come from (multiaug.core.hostreads.count_host_reads)", ""]
        for sy in self.syncs:
            if sy.get("sites"):
                lines.append(f"- **{sy['path']}**: " + "; ".join(f"`{x}`" for x in sy["sites"][:12])
                             + (f" (+{len(sy['sites']) - 12} more)" if len(sy["sites"]) > 12 else ""))
        if self.errors:
            lines += ["", "## Errors", ""] + [f"- {e['section']}: {e['error']}" for e in self.errors]
        return "\n".join(lines) + "\n"


def count_syncs(rep: Report, path: str, fn: Callable[[], Any], dev: torch.device, note: str = "") -> None:
    from torch.profiler import ProfilerActivity, profile

    fn()  # warm-up: lazy loads, caches and allocator growth are not per-call costs
    sync(dev)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == "cuda" else [])
    try:
        with profile(activities=acts) as prof:
            fn()
            sync(dev)
        names = [e.name for e in prof.events()]
    except Exception as e:  # profiler trouble must not cost the timings
        rep.syncs.append(dict(path=path, item="?", local_scalar_dense="?", nonzero="?", memcpy_dtoh="?", sync_calls="?", note=f"profiler failed: {e}"))
        return
    try:  # where they come from: multiaug's own counter, reads of device tensors only (exact on CUDA)
        from multiaug.core.hostreads import assume_costly_host_reads, count_host_reads

        # on the CPU (the script's own check) the device code path is taken and its reads listed
        costly = assume_costly_host_reads() if dev.type == "cpu" else contextlib.nullcontext()
        with costly, count_host_reads() as reads:
            fn()
        sync(dev)
        sites = [f"{n} x {kind} @ {site}" for (kind, site), n in reads.counts.most_common()]
    except Exception as e:  # the attribution is extra: keep the counts
        sites = [f"attribution failed: {type(e).__name__}: {e}"]
    n_sync_call = sum(n in ("cudaStreamSynchronize", "cudaDeviceSynchronize") for n in names)
    n_sync_call -= 1 if dev.type == "cuda" else 0  # our own synchronize after the call
    s = dict(
        path=path,
        item=sum(n == "aten::item" for n in names),
        local_scalar_dense=sum(n == "aten::_local_scalar_dense" for n in names),
        nonzero=sum(n == "aten::nonzero" for n in names),
        memcpy_dtoh=sum("Memcpy DtoH" in n for n in names) if dev.type == "cuda" else "-",
        sync_calls=max(n_sync_call, 0) if dev.type == "cuda" else "-",
        note=note,
        sites=sites,
    )
    rep.syncs.append(s)
    print(f"  syncs {path:<40} item {s['item']:>4}  _local_scalar_dense {s['local_scalar_dense']:>4}  nonzero {s['nonzero']:>4}  "
          f"DtoH {s['memcpy_dtoh']:>4}  sync calls {s['sync_calls']:>4}  {note}", flush=True)


# ---- data -----------------------------------------------------------------------------------------


def walks(n: int, c: int, t: int, seed: int = 0) -> torch.Tensor:
    return torch.cumsum(torch.randn(n, c, t, generator=torch.Generator().manual_seed(seed)), dim=-1)


def sentences(n: int) -> tuple[list[str], int]:
    """``n`` distinct English sentences, offline: the prose loader of text_eda.py (licence and
    copyright texts), topped up with word-shuffled variants of them when the machine has too little
    prose (a repeated sentence would flatter the lexicon cache)."""
    from benchmarks.text_eda import load_sentences

    base, unique = load_sentences(min(n, 200_000))
    base = list(dict.fromkeys(base))
    if not base:
        base = ["Data augmentation makes small training sets go a long way."]
    out, seen = list(base[:n]), set(base[:n])
    rng = np.random.default_rng(0)
    i = 0
    while len(out) < n and i < 50 * n:
        words = base[i % len(base)].split()
        rng.shuffle(words)
        s = " ".join(words)
        if s not in seen:
            seen.add(s)
            out.append(s)
        i += 1
    while len(out) < n:  # sentences of one or two words have few permutations
        out.append(out[len(out) % len(base)])
    return out, unique


def random_graph(num_entries: int, avg_degree: int, seed: int):
    """Random undirected graph with about ``num_entries`` edge_index columns (both directions)."""
    from torch_geometric.data import Data

    n = max(2, num_entries // avg_degree)
    g = torch.Generator().manual_seed(seed)
    m = num_entries // 2
    a = torch.randint(0, n, (m,), generator=g)
    b = torch.randint(0, n, (m,), generator=g)
    ok = a != b
    key = torch.unique(torch.minimum(a[ok], b[ok]) * n + torch.maximum(a[ok], b[ok]))
    lo, hi = key // n, key % n
    w = torch.rand(key.numel(), generator=g) + 0.5
    return Data(edge_index=torch.stack([torch.cat([lo, hi]), torch.cat([hi, lo])]), edge_weight=torch.cat([w, w]), num_nodes=n)


def find_cora(arg: str | None) -> Path | None:
    cands = [Path(arg)] if arg else [ROOT / ".gpudata" / "Cora" / "raw", ROOT.parent / "shared" / "data" / "planetoid" / "Cora" / "raw"]
    for c in cands:
        if (c / "ind.cora.x").exists():
            return c
    return None


def load_cora(raw: Path):
    import torch_geometric.transforms as T
    from torch_geometric.datasets import Planetoid

    root = Path(tempfile.mkdtemp(prefix="cora_"))
    shutil.copytree(raw, root / "Cora" / "raw")
    try:
        return Planetoid(str(root), "Cora", split="public", transform=T.NormalizeFeatures())[0]
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---- sections -------------------------------------------------------------------------------------


def bench_timeseries(rep: Report, dev: torch.device, args) -> None:
    from multiaug import Sequential, registry
    from multiaug.timeseries import Drift, Jitter, TimeWarp

    n, c, t = (200, 3, 256) if args.quick else (2000, 3, 512)
    size = f"N={n} C={c} T={t}"
    x = walks(n, c, t)
    xd = x.to(dev)

    def pipe():
        return Sequential([TimeWarp(), Drift(max_drift=0.5, n_drift_points=3), Jitter(sigma=0.01)], seed=0)

    p_cpu, p_dev = pipe(), pipe()
    t_cpu = timed(lambda: p_cpu(x), CPU, args.repeats)
    t_dev = timed(lambda: p_dev(xd), dev, args.repeats * 3)
    t_floor = timed(lambda: (torch.randn_like(xd), xd.clone()), dev, args.repeats * 3)
    ratio = t_dev / t_floor
    rep.row("timeseries", "warp+drift+noise pipeline", size, t_cpu, t_dev, ref="device randn_like+clone", ref_s=t_floor,
            goal=f"<= {GOALS['ts_pipeline_vs_floor']:.0f}x floor", met=(ratio <= GOALS["ts_pipeline_vs_floor"]) if not args.quick else None,
            note=f"{ratio:.2f}x floor")
    # is the gap launch overhead or memory traffic? the same pipeline on one tiny series (only the
    # per-call cost: Python, dispatch, kernel launches) and on a 10x larger batch (device only)
    tiny = walks(1, c, 64).to(dev)
    t_tiny = timed(lambda: p_dev(tiny), dev, args.repeats * 3)
    t_tiny_floor = timed(lambda: (torch.randn_like(tiny), tiny.clone()), dev, args.repeats * 3)
    rep.row("timeseries", "pipeline per-call cost (1 series, T=64)", f"N=1 C={c} T=64", None, t_tiny, ref="device randn_like+clone",
            ref_s=t_tiny_floor, note=f"{t_tiny / t_tiny_floor:.1f}x the 2-op floor: the fixed cost of a call")
    if dev.type != "cpu":
        big = walks(10 * n, c, t).to(dev)
        t_big = timed(lambda: p_dev(big), dev, args.repeats * 2)
        t_big_floor = timed(lambda: (torch.randn_like(big), big.clone()), dev, args.repeats * 2)
        rep.row("timeseries", "warp+drift+noise pipeline, 10x batch", f"N={10 * n} C={c} T={t}", None, t_big,
                ref="device randn_like+clone", ref_s=t_big_floor, note=f"{t_big / t_big_floor:.2f}x floor")
        del big
    try:
        import tsaug
    except ImportError:
        rep.row("timeseries", "tsaug TimeWarp+Drift+AddNoise (CPU)", size, None, None, note="tsaug not importable: skipped")
    else:
        xn = x.transpose(1, 2).contiguous().numpy()  # tsaug wants (N, T, C)
        ts = tsaug.TimeWarp() + tsaug.Drift(max_drift=0.5, n_drift_points=3) + tsaug.AddNoise(scale=0.01)
        t_ts = timed(lambda: ts.augment(xn), CPU, max(1, args.repeats // 2))
        rep.row("timeseries", "pipeline vs tsaug (CPU, NumPy)", size, t_cpu, t_dev, ref=f"tsaug {tsaug.__version__}", ref_s=t_ts,
                note=f"device {t_ts / t_dev:.0f}x faster than tsaug, CPU {t_ts / t_cpu:.1f}x")
    count_syncs(rep, "timeseries pipeline", lambda: p_dev(xd), dev)

    y = torch.arange(n) % 4
    yd = y.to(dev)
    for name, cls in registry.items():
        if registry.modality_of(cls) != "timeseries" or getattr(cls, "learned", False):
            continue
        a_cpu, a_dev = cls(seed=0), cls(seed=0)
        tc = timed(lambda a_cpu=a_cpu: a_cpu(x, y), CPU, args.repeats)
        td = timed(lambda a_dev=a_dev: a_dev(xd, yd), dev, args.repeats * 3)
        rep.row("timeseries", name, size, tc, td, ref="device randn_like+clone", ref_s=t_floor, note=f"{td / t_floor:.2f}x floor")
        count_syncs(rep, f"timeseries {name}", lambda a_dev=a_dev: a_dev(xd, yd), dev)

    from multiaug.timeseries import AutoTCL

    tiny = dict(n_iters=10 if args.quick else 50, batch_size=16, depth=3, hidden_dims=32, output_dims=64, aug_depth=2,
                aug_hidden_dims=32, aug_dims=8, local_segments=4)
    xs = walks(64 if args.quick else 512, 3, 128)
    t_fc = timed(lambda: AutoTCL(seed=0, **tiny).fit(xs), CPU, 1, warmup=0)
    t_fd = timed(lambda: AutoTCL(seed=0, device=dev, **tiny).fit(xs), dev, 1, warmup=1)
    rep.row("timeseries", f"AutoTCL fit ({tiny['n_iters']} iters, depth 3)", f"N={len(xs)} C=3 T=128", t_fc, t_fd)
    fitted = AutoTCL(seed=0, device=dev, **tiny).fit(xs)
    count_syncs(rep, "timeseries autotcl call", lambda: fitted(xs.to(dev)), dev)


def bench_text(rep: Report, dev: torch.device, args) -> None:
    from multiaug.text import EDA, KeyboardTypo
    from multiaug.text import eda as eda_mod

    n = 2_000 if args.quick else 100_000
    sents, unique = sentences(n)
    n_words = sum(len(s.split()) for s in sents)
    size = f"{n} sents, {n_words / n:.1f} w/s"
    warnings.simplefilter("ignore")

    def eda(d):
        return EDA(alpha_sr=0.1, alpha_ri=0.0, alpha_rs=0.1, p_rd=0.1, mode="all", device=d, seed=0)

    e_cpu, e_dev = eda(CPU), eda(dev)
    e_cpu(sents[:100]), e_dev(sents[:100])  # WordNet table loaded before timing
    t_cpu = timed(lambda: e_cpu(sents), CPU, args.repeats)
    t_dev = timed(lambda: e_dev(sents), dev, args.repeats)
    rep.row("text", "EDA SR+RS+RD (mode=all)", size, t_cpu, t_dev,
            note=f"{n / t_cpu:,.0f} sent/s CPU, {n / t_dev:,.0f} sent/s device; {unique} distinct prose sentences")

    # where the device run's time goes: the CPU tokenizer and detokenizer, timed in their own run
    spent = {"tokenize": 0.0, "detokenize": 0.0}
    orig = {k: getattr(eda_mod, k) for k in spent}

    def wrap(k):
        def f(*a, **kw):
            sync(dev)
            t = time.perf_counter()
            r = orig[k](*a, **kw)
            sync(dev)
            spent[k] += time.perf_counter() - t
            return r
        return f

    try:
        for k in spent:
            setattr(eda_mod, k, wrap(k))
        sync(dev)
        t0 = time.perf_counter()
        e_dev(sents)
        sync(dev)
        total = time.perf_counter() - t0
    finally:
        for k, f in orig.items():
            setattr(eda_mod, k, f)
    share_tok, share_detok = spent["tokenize"] / total, spent["detokenize"] / total
    rep.row("text", "EDA device run: CPU tokenizer share", size, None, total, ref="tokenize (CPU + H2D)", ref_s=spent["tokenize"],
            note=f"tokenize {share_tok:.0%}, detokenize {share_detok:.0%}, device work + rest {1 - share_tok - share_detok:.0%}")
    count_syncs(rep, "text EDA (1000 sentences)", lambda: e_dev(sents[:1000]), dev, note="one D2H of the result is inherent")

    nk = n // 5  # character noise is slower per sentence: a fifth of the sentences
    k_cpu, k_dev = KeyboardTypo(device=CPU, seed=0), KeyboardTypo(device=dev, seed=0)
    t_cpu = timed(lambda: k_cpu(sents[:nk]), CPU, max(1, args.repeats // 2))
    t_dev = timed(lambda: k_dev(sents[:nk]), dev, max(1, args.repeats // 2))
    rep.row("text", "KeyboardTypo", f"{nk} sents", t_cpu, t_dev, note=f"{nk / t_cpu:,.0f} sent/s CPU, {nk / t_dev:,.0f} sent/s device")
    count_syncs(rep, "text KeyboardTypo (1000 sentences)", lambda: k_dev(sents[:1000]), dev, note="one D2H of the result is inherent")

    # model-based text paths on the tiny random test models (no download): syncs only
    try:
        from multiaug.text import ContextualSubstitution, Paraphrase
        from tests.text.contract_cases_llm import PARAPHRASE_TEST_PARAMS, tiny_causal_lm, tiny_masked_lm

        para = Paraphrase(model=tiny_causal_lm(), backend="hf", device=str(dev), seed=0, on_unchanged="keep", **PARAPHRASE_TEST_PARAMS)
        short = [s for s in sents if len(s.split()) <= 20][:16]
        t_p = timed(lambda: para(short), dev, max(1, args.repeats // 2))
        rep.row("text", "Paraphrase, tiny random Llama (16 prompts, 8 new tokens)", "batch 8", None, t_p, note="launch-bound; not a model figure")
        count_syncs(rep, "text Paraphrase (tiny model, 16 prompts)", lambda: para(short), dev, note="per-token syncs come from HF generate")
        # max_length=128: the tiny BERT has 128 positions (the default 512 is not clamped to the model's)
        ctx = ContextualSubstitution(model=tiny_masked_lm(), device=str(dev), seed=0, on_unchanged="keep", max_length=128)
        count_syncs(rep, "text ContextualSubstitution (tiny BERT, 64)", lambda: ctx(sents[:64]), dev)
    except Exception as e:  # transformers/tokenizers trouble: keep the other rows
        rep.errors.append(dict(section="text models", error=f"{type(e).__name__}: {e}"))
        print(f"  model-based text paths skipped: {type(e).__name__}: {e}")


def bench_paraphrase(rep: Report, dev: torch.device, args) -> None:
    from benchmarks.text_paraphrase import generation_requests
    from multiaug.text.backends import get_hf_backend

    n, new_tokens = (8, 4) if args.quick else (args.lm_prompts, args.lm_tokens)
    from tests.text.contract_cases_llm import smollm2_like

    # SmolLM2-135M's architecture with random weights (its real weights exceed what a device run can
    # carry; generation cost per token is the architecture's); --quick: 2 of its 30 layers
    t0 = time.perf_counter()
    path = smollm2_like(2 if args.quick else None, root=Path(tempfile.gettempdir()) / "multiaug_smollm2_like")
    print(f"  model built in {time.perf_counter() - t0:.1f} s: {path}", flush=True)
    sents, _ = sentences(n)
    reqs, settings = generation_requests(path, sents, new_tokens, seed=0)
    times = {}
    for d in (CPU, dev):
        be = get_hf_backend(path, device=str(d), batch_size=n).load()
        be.generate(reqs[: min(4, n)], settings)  # warm-up (kernels, allocator)
        times[d.type] = timed(lambda be=be: be.generate(reqs, settings), d, 1 if d.type == "cpu" else 3, warmup=0)
    t_cpu, t_dev = times["cpu"], times[dev.type]
    ratio = t_cpu / t_dev
    goal = GOALS["paraphrase_vs_cpu"]
    arch = "2-layer SmolLM2 dims (--quick)" if args.quick else "SmolLM2-135M architecture, random weights"
    rep.row("text", f"Paraphrase batched generation ({arch})", f"{n} prompts x {new_tokens} tokens, batch {n}", t_cpu, t_dev,
            goal=f">= {goal:.0f}x CPU", met=(ratio >= goal) if not args.quick else None,
            note=f"{n / t_cpu:.1f} gen/s CPU (float32), {n / t_dev:.1f} gen/s device (bfloat16 on CUDA); {ratio:.1f}x")


def bench_graphs(rep: Report, dev: torch.device, args) -> None:
    from torch_geometric.data import Batch
    from torch_geometric.utils import dropout_edge

    from multiaug import registry
    from multiaug.graph import EdgeDrop, LocalAugmentation, SchurView

    entries = 100_000 if args.quick else 1_000_000
    g = random_graph(entries, 10, 0)
    gd = g.to(dev)
    size = f"{g.edge_index.shape[1]} edges, {g.num_nodes} nodes"
    s_cpu, s_dev = SchurView(fraction=0.5, seed=0), SchurView(fraction=0.5, seed=0)
    t_cpu = timed(lambda: s_cpu(g), CPU, max(1, args.repeats // 2))
    t_dev = timed(lambda: s_dev(gd), dev, args.repeats * 2)
    goal = GOALS["schur_1m_ms"]
    rep.row("graph", "SchurView fraction 0.5", size, t_cpu, t_dev, goal=f"<= {goal:.0f} ms at 1M",
            met=(t_dev * 1e3 <= goal) if not args.quick else None)
    count_syncs(rep, "graph SchurView", lambda: s_dev(gd), dev)

    e_cpu, e_dev = EdgeDrop(rate=0.2, seed=0), EdgeDrop(rate=0.2, seed=0)
    plain_cpu = g.__class__(edge_index=g.edge_index, num_nodes=g.num_nodes)
    plain_dev = plain_cpu.to(dev)
    t_cpu = timed(lambda: e_cpu(plain_cpu), CPU, args.repeats)
    t_dev = timed(lambda: e_dev(plain_dev), dev, args.repeats * 3)
    p_cpu = timed(lambda: dropout_edge(plain_cpu.edge_index, p=0.2, force_undirected=True), CPU, args.repeats)
    p_dev = timed(lambda: dropout_edge(plain_dev.edge_index, p=0.2, force_undirected=True), dev, args.repeats * 3)
    rep.row("graph", "EdgeDrop 0.2 (undirected kept)", size, t_cpu, t_dev, ref="PyG dropout_edge(force_undirected) on device",
            ref_s=p_dev, note=f"device {t_dev / p_dev:.2f}x PyG; CPU {t_cpu / p_cpu:.2f}x PyG ({p_cpu * 1e3:.2f} ms)")
    count_syncs(rep, "graph EdgeDrop", lambda: e_dev(plain_dev), dev)
    count_syncs(rep, "graph PyG dropout_edge (reference)", lambda: dropout_edge(plain_dev.edge_index, p=0.2, force_undirected=True), dev)

    # every structural view on a Batch of small graphs
    from tests.conftest import small_graph

    n_graphs = 64 if args.quick else 512
    batch = Batch.from_data_list([small_graph(20 + i % 30, i, features=16) for i in range(n_graphs)])
    bd = batch.to(dev)
    for name in ("edge_drop", "edge_add", "node_drop", "feature_mask", "feature_noise", "random_walk_subgraph", "diffusion_view", "schur_view"):
        cls = registry.get(name)
        a_cpu, a_dev = cls(seed=0), cls(seed=0)
        tc = timed(lambda a_cpu=a_cpu: a_cpu(batch), CPU, args.repeats)
        td = timed(lambda a_dev=a_dev: a_dev(bd), dev, args.repeats)
        rep.row("graph", f"{name} on a Batch", f"{n_graphs} graphs, {batch.edge_index.shape[1]} edges", tc, td)
        count_syncs(rep, f"graph {name} (Batch)", lambda a_dev=a_dev: a_dev(bd), dev)

    raw = find_cora(args.cora)
    if raw is None:
        rep.row("graph", "LA-GNN CVAE fit on Cora", "-", None, None, note="Cora raw files not found (--cora): skipped")
        return
    cora = load_cora(raw)
    cd = cora.to(dev)
    csize = f"{cora.num_nodes} nodes, {cora.edge_index.shape[1]} edges"
    steps = 30 if args.quick else 300  # the same number of Adam steps on both sides
    t_cpu = timed(lambda: LocalAugmentation(seed=0, max_steps=steps).fit(cora), CPU, 1, warmup=0)
    LocalAugmentation(seed=0, max_steps=20).fit(cd)  # warm-up (kernels, allocator)
    t_dev = timed(lambda: LocalAugmentation(seed=0, max_steps=steps).fit(cd), dev, 1, warmup=0)
    rep.row("graph", f"LA-GNN CVAE fit on Cora ({steps} steps)", csize, t_cpu, t_dev,
            note=f"{t_cpu / steps * 1e3:.2f} ms/step CPU, {t_dev / steps * 1e3:.2f} ms/step device")
    if not args.quick:  # the whole default fit (10 epochs, ~1650 steps) on the device only
        full = LocalAugmentation(seed=0)
        t_full = timed(lambda: full.fit(cd), dev, 1, warmup=0)
        n_steps = full.epochs * -(-cora.edge_index.shape[1] // full.batch_size)
        rep.row("graph", "LA-GNN CVAE fit on Cora (defaults: 10 epochs)", csize, None, t_full,
                goal=f"<= {GOALS['lagnn_fit_s']:.0f} s", met=t_full <= GOALS["lagnn_fit_s"],
                note=f"{n_steps} steps; CPU at the rate above: about {t_cpu / steps * n_steps:.1f} s")
    la = LocalAugmentation(seed=0, max_steps=50).fit(cd)
    t_gen = timed(lambda: la(cd), dev, args.repeats)
    t_gen_cpu = timed(lambda: la(cora), CPU, args.repeats)
    rep.row("graph", "LA-GNN generate (k=1)", f"{cora.num_nodes} x {cora.num_features}", t_gen_cpu, t_gen)
    count_syncs(rep, "graph LA-GNN generate", lambda: la(cd), dev)
    count_syncs(rep, "graph LA-GNN fit (20 steps)", lambda: LocalAugmentation(seed=0, max_steps=20).fit(cd), dev,
                note="per-step syncs multiply by ~1650 steps")


def bench_tables(rep: Report, dev: torch.device, args) -> None:
    from multiaug.tabular import FeatMix, HidMix, Mixup, RegMix
    from multiaug.tabular import functional as F

    rows, cols, k = (5_000, 50, 32) if args.quick else (100_000, 50, 32)
    size = f"{rows} x {cols}, k={k}"
    X = torch.randn(rows, cols, generator=torch.Generator().manual_seed(0))
    y = X[:, 0].sin() + 0.1 * torch.randn(rows, generator=torch.Generator().manual_seed(1))
    Xd, yd = X.to(dev), y.to(dev)

    def ours(x):
        d = x.device
        gen = torch.Generator(device=d).manual_seed(1)
        nbr = F.knn(x, k)[1]
        kk = torch.full((x.shape[0],), k, device=d)
        partner = F.draw_partners_among_neighbours(nbr, kk, torch.rand(x.shape[0], generator=gen, device=d))
        lam = F.sample_beta(1.0, 1.0, x.shape[0], gen, d)
        return F.mix_rows(x, partner, lam)

    def sklearn_side():
        from sklearn.neighbors import NearestNeighbors

        rng = np.random.default_rng(1)
        Xn = X.numpy()
        idx = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(Xn).kneighbors(Xn, return_distance=False)[:, 1:]
        partner = idx[np.arange(rows), rng.integers(0, k, rows)]
        lam = rng.beta(1.0, 1.0, rows).astype(np.float32)[:, None]
        return lam * Xn + (1 - lam) * Xn[partner]

    slow_reps = 1 if not args.quick else 2
    t_sk = timed(sklearn_side, CPU, slow_reps, warmup=0)
    t_cpu = timed(lambda: ours(X), CPU, slow_reps, warmup=0)
    t_dev = timed(lambda: ours(Xd), dev, args.repeats)
    ratio = t_sk / t_dev
    rep.row("tabular", "kNN + partner draw + mix", size, t_cpu, t_dev, ref="sklearn NearestNeighbors(brute)+mix, CPU", ref_s=t_sk,
            goal=f">= {GOALS['knn_vs_sklearn']:.0f}x sklearn", met=ratio >= GOALS["knn_vs_sklearn"] if not args.quick else None,
            note=f"device {ratio:.1f}x sklearn; CPU multiaug {t_sk / t_cpu:.1f}x sklearn")
    count_syncs(rep, "tabular kNN + mix", lambda: ours(Xd), dev)

    fit_rows = 1000 if args.quick else 2000
    rm = RegMix(k_candidates=[1, 2, 4, 8, 16, 32], n_iter=5, seed=0).fit(X[:fit_rows].numpy(), y[:fit_rows].numpy())
    t_cpu = timed(lambda: rm(X, y), CPU, slow_reps, warmup=0)
    t_dev = timed(lambda: rm(Xd, yd), dev, args.repeats)
    rep.row("tabular", "RegMix call (policy + kNN + mix)", f"{rows} x {cols}", t_cpu, t_dev, note=f"fitted on {fit_rows} rows (not timed)")
    count_syncs(rep, "tabular RegMix call", lambda: rm(Xd, yd), dev)
    t_fc = timed(lambda: RegMix(n_iter=5, seed=0).fit(X[:fit_rows], y[:fit_rows]), CPU, 1, warmup=0)
    t_fd = timed(lambda: RegMix(n_iter=5, seed=0, device=dev).fit(X[:fit_rows], y[:fit_rows]), dev, 1, warmup=1)
    rep.row("tabular", "RegMix fit (5 iterations)", f"{fit_rows} x {cols}", t_fc, t_fd)

    yc = (X[:, 0] > 0).long()
    ycd = yc.to(dev)
    for name, mk in (("Mixup", lambda: Mixup(seed=0)), ("FeatMix (uniform importance)", lambda: FeatMix(importance="uniform", seed=0).fit(X[:100], yc[:100]))):
        a_cpu, a_dev = mk(), mk()
        tc = timed(lambda a_cpu=a_cpu: a_cpu(X, yc), CPU, args.repeats)
        td = timed(lambda a_dev=a_dev: a_dev(Xd, ycd), dev, args.repeats * 3)
        rep.row("tabular", name, f"{rows} x {cols}", tc, td)
        count_syncs(rep, f"tabular {name}", lambda a_dev=a_dev: a_dev(Xd, ycd), dev)
    tok = torch.randn(rows // 4, cols, 16, generator=torch.Generator().manual_seed(2))
    tokd, yt, ytd = tok.to(dev), yc[: rows // 4], ycd[: rows // 4]
    h_cpu, h_dev = HidMix(seed=0, num_classes=2), HidMix(seed=0, num_classes=2)
    tc = timed(lambda: h_cpu(tok, yt), CPU, args.repeats)
    td = timed(lambda: h_dev(tokd, ytd), dev, args.repeats * 3)
    rep.row("tabular", "HidMix on tokens", f"{rows // 4} x {cols} x 16", tc, td)
    count_syncs(rep, "tabular HidMix", lambda: h_dev(tokd, ytd), dev)


CPU = torch.device("cpu")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu"))
    ap.add_argument("--quick", action="store_true", help="reduced sizes (checks the script; figures are not the issue's)")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per row (default 5, 3 with --quick)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads for the CPU rows (default: all cores)")
    ap.add_argument("--cora", default=None, help="folder with Planetoid's raw ind.cora.* files")
    # paraphrase last: the largest CPU share (a 135M-parameter model on the CPU), so a timeout costs only it
    ap.add_argument("--sections", default="timeseries,text,graph,tabular,paraphrase", help="comma-separated subset to run")
    ap.add_argument("--lm-prompts", type=int, default=128, help="paraphrase row: prompts in one batch")
    ap.add_argument("--lm-tokens", type=int, default=32, help="paraphrase row: new tokens per prompt")
    args = ap.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 5)
    dev = torch.device(args.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        print("--device cuda: PyTorch sees no CUDA device", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    warnings.simplefilter("ignore")
    rep = Report(args, dev)
    print(f"# gpu_bench  device={dev} ({rep.meta['device_name']})  torch {torch.__version__}  cpu threads {torch.get_num_threads()}"
          + ("  --quick" if args.quick else ""), flush=True)
    sections = {"timeseries": bench_timeseries, "text": bench_text, "paraphrase": bench_paraphrase, "graph": bench_graphs,
                "tabular": bench_tables}
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = [s for s in wanted if s not in sections]
    if bad:
        print(f"--sections: unknown {bad}; expected a subset of {sorted(sections)}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    for s in wanted:
        rep.section(s, lambda s=s: sections[s](rep, dev, args))
        rep.meta["wall_s"] = round(time.perf_counter() - t0, 1)
        rep.write(Path(args.out), quiet=True)  # after each section: a timeout later keeps what was measured
    rep.write(Path(args.out))
    print("\n" + rep.markdown())
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
