"""Scale: peak memory and throughput of `multiaug augment` on big csv files, local and Ray engines.

Data: English sentences from /usr/share/common-licenses (every licence text on the machine, split
into sentences), repeated until the file reaches the asked size; columns ``text`` and ``label``.
Each run is the real command in a fresh process::

    multiaug augment big.csv -o out.csv -a eda --column text --label-column label -n 1 --seed 0 \
        --batch-size 1024 --no-progress [--engine ray]

while this script samples, every 0.5 s, the resident memory (RSS) of the command's process tree:
the driver (the `multiaug` process) and, for Ray, every process it started (raylet, GCS, the
``ray::`` workers). RSS of Ray workers counts the shared object-store pages they touch, so the Ray
"tree" RSS over-states real use; "tree PSS" (proportional set size) counts each shared page once. Memory must stay flat as the file grows (compare the sizes);
rows/s = input rows / wall time (start-up included).

A run that goes past ``--time-limit`` seconds is stopped (its temporary output is removed by the
command, as after any crash); the table then shows how many rows it had done and its memory so far.

Run: ``python benchmarks/scale.py [--sizes-mb 100,1000] [--engines local,ray] [--time-limit 3000]``.
The big files go to ``--workdir`` (default a temporary folder) and are deleted at the end unless
``--keep``. The table is printed and written to benchmarks/results/scale.txt.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
LICENSES = Path("/usr/share/common-licenses")


def sentences() -> list[str]:
    text = " ".join(p.read_text(errors="ignore") for p in sorted(LICENSES.iterdir()) if p.is_file())
    out = [s.strip() for s in re.split(r"(?<=[.!?;])\s+", " ".join(text.split()))]
    return [s.replace('"', "'") for s in out if 3 <= len(s.split()) <= 60]


def make_csv(path: Path, size_mb: int) -> int:
    """Write a csv of about ``size_mb`` MB; returns its number of rows."""
    sents = sentences()
    target = size_mb * 1_000_000
    rows = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("text,label\n")
        written = 0
        block = []
        while written < target:
            for s in sents:
                line = f'"{s}",{rows % 2}\n'
                block.append(line)
                written += len(line)
                rows += 1
                if written >= target:
                    break
            fh.write("".join(block))
            block = []
    return rows


def _pss(p: psutil.Process) -> int:
    """Proportional set size: shared pages (Ray's object store) split among the processes mapping them,
    so a sum over processes counts each page once. RSS where the kernel does not report it."""
    try:
        return p.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return p.memory_info().rss


class Sampler(threading.Thread):
    """Peak RSS of a process (the driver) and of its whole process tree (RSS, and PSS, which counts
    shared pages once), sampled every ``dt`` s."""

    def __init__(self, pid: int, dt: float = 0.5):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.dt = dt
        self.peak_driver = 0
        self.peak_tree = 0
        self.peak_workers = 0
        self.peak_tree_pss = 0
        self.timeline: list[tuple[float, int, int]] = []
        self._halt = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                drv = self.proc.memory_info().rss
                tree = drv
                pss = _pss(self.proc)
                workers = 0
                for c in self.proc.children(recursive=True):
                    try:
                        r = c.memory_info().rss
                        pss += _pss(c)
                        tree += r
                        if c.name().startswith("ray::") or "default_worker" in " ".join(c.cmdline()[:3]):
                            workers += r
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.peak_driver = max(self.peak_driver, drv)
            self.peak_tree = max(self.peak_tree, tree)
            self.peak_workers = max(self.peak_workers, workers)
            self.peak_tree_pss = max(self.peak_tree_pss, pss)
            self.timeline.append((time.perf_counter() - self.t0, drv, tree))
            self._halt.wait(self.dt)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            n += chunk.count(b"\n")
    return n


def run_once(inp: Path, out: Path, engine: str, args) -> dict:
    exe = shutil.which("multiaug", path=os.path.dirname(sys.executable))
    cmd = [exe] if exe else [sys.executable, "-m", "multiaug.cli"]
    cmd += ["augment", str(inp), "-o", str(out), "-a", args.augmenter, "--column", "text", "--label-column", "label",
            "-n", "1", "--seed", "0", "--batch-size", str(args.batch_size), "--no-progress", "--overwrite"]
    if engine != "local":
        cmd += ["--engine", engine]
        if args.ray_cpus:
            cmd += ["--ray-num-cpus", str(args.ray_cpus)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    timed_out = False
    try:
        _, err = proc.communicate(timeout=args.time_limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        # rows done so far: the temporary output beside OUT (removed by the command on SIGINT)
        tmps = sorted(out.parent.glob(f".{out.name}.*"), key=lambda p: p.stat().st_mtime)
        done_out = 0
        for t in tmps:
            done_out += count_lines(t) if t.is_file() else sum(count_lines(f) for f in t.rglob("*") if f.is_file())
        os.killpg(proc.pid, signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop()
    res = {"engine": engine, "wall": wall, "peak_driver": sampler.peak_driver, "peak_tree": sampler.peak_tree,
           "peak_workers": sampler.peak_workers, "peak_tree_pss": sampler.peak_tree_pss, "timed_out": timed_out, "rc": proc.returncode, "timeline": sampler.timeline}
    if timed_out:
        res["rows_out"] = max(done_out - 1, 0)  # minus the header
        res["note"] = f"stopped after {args.time_limit:.0f} s; {res['rows_out']} output rows had been written"
    else:
        m = re.search(r"(\d+) input rows -> (\d+) output rows", err or "")
        res["rows_out"] = int(m.group(2)) if m else None
        res["note"] = "" if proc.returncode == 0 else f"failed rc={proc.returncode}: {(err or '').strip().splitlines()[-1:]}"
    return res


def quartile_rss(timeline: list[tuple[float, int, int]], col: int) -> str:
    if not timeline:
        return "-"
    n = len(timeline)
    return "/".join(f"{timeline[min(n - 1, int(q * n))][col] / 2**20:.0f}" for q in (0.25, 0.5, 0.75, 0.99))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes-mb", default="100,1000")
    ap.add_argument("--engines", default="local,ray")
    ap.add_argument("--augmenter", default="eda")
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--time-limit", type=float, default=3000.0, help="seconds per run before it is stopped")
    ap.add_argument("--ray-cpus", type=int, default=2, help="CPUs of the local Ray instance")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "scale.txt"))
    args = ap.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="multiaug_scale_"))
    work.mkdir(parents=True, exist_ok=True)
    lines = [f"multiaug scale benchmark: augmenter={args.augmenter} n_aug=1 batch_size={args.batch_size} "
             f"cpus={os.cpu_count()} ray_cpus={args.ray_cpus} time_limit={args.time_limit:.0f}s"]

    def emit(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    emit(lines[0])
    hdr = (f"{'file':>8} {'rows in':>9} {'engine':>6} {'wall s':>8} {'rows/s':>8} {'peak driver MB':>15} "
           f"{'peak workers MB':>16} {'peak tree MB':>13} {'tree PSS MB':>12} {'driver RSS q25/50/75/99 MB':>27}  note")
    try:
        results = []
        for size in [int(s) for s in args.sizes_mb.split(",") if s]:
            inp = work / f"sentences_{size}MB.csv"
            t0 = time.perf_counter()
            if not inp.exists():
                rows = make_csv(inp, size)
                emit(f"generated {inp.name}: {inp.stat().st_size / 1e6:.0f} MB, {rows} rows in {time.perf_counter() - t0:.1f} s")
            else:
                rows = count_lines(inp) - 1
            for engine in [e for e in args.engines.split(",") if e]:
                out = work / f"out_{size}MB_{engine}.csv"
                r = run_once(inp, out, engine, args)
                done_in = rows if not r["timed_out"] else None
                if r["timed_out"] and r["rows_out"] is not None:
                    done_in = r["rows_out"] // 2  # originals + one augmented copy per row (a few unchanged rows are left out)
                rps = (done_in / r["wall"]) if done_in else float("nan")
                row = (f"{size:>6}MB {rows:>9} {engine:>6} {r['wall']:>8.1f} {rps:>8.0f} {r['peak_driver'] / 2**20:>15.0f} "
                       f"{r['peak_workers'] / 2**20:>16.0f} {r['peak_tree'] / 2**20:>13.0f} {r['peak_tree_pss'] / 2**20:>12.0f} {quartile_rss(r['timeline'], 1):>27}  {r['note']}")
                results.append(row)
                emit(hdr)
                emit(row)
                if out.exists():
                    shutil.rmtree(out) if out.is_dir() else out.unlink()
        emit("")
        emit("summary")
        emit(hdr)
        for row in results:
            emit(row)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
        elif not args.keep:
            for f in work.glob("*"):
                shutil.rmtree(f) if f.is_dir() else f.unlink()
        Path(args.results).parent.mkdir(parents=True, exist_ok=True)
        Path(args.results).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
