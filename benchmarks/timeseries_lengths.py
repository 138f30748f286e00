"""Cost of ``lengths=`` (variable-length series) for the augmenters whose work depends on each series'
valid length, in one run.

Data: N=2000 random walks, C=3 channels, T=512 steps (float32), padded at the end. For each augmenter
the anchor is the same augmenter on the same batch without ``lengths`` (every series full length), timed
in turns with calls given 1, 4, 257 and 500 distinct valid lengths:

* FrequencyMask and FrequencyMix transform each series over its own valid steps: one rFFT (and one
  inverse) per distinct length, so the cost grows with the number of lengths, and a length that is a
  large prime costs an FFT of about twice its size. Within one call FrequencyMix's ``sample`` and
  ``apply`` share the spectra and the resampled partners (they were computed twice before; measured
  interleaved against that code on a shared 2-core machine, CPU time of one thread: 1.2x faster without
  lengths, 1.4-1.8x with 1 to 500 lengths). Many small groups of one length are read from the batch
  sorted by length once instead of one gather and one put per length.
* TSMixup and TSCutMix resample each partner's valid part to the series' own length: one vectorised
  pass over the whole batch, whatever the number of lengths.
* TimeWarp builds its position maps over each series' valid steps (vectorised too).

Run: ``python benchmarks/timeseries_lengths.py [--threads 1] [--repeats 9]``. Figures are medians of
the CPU time of this process (one PyTorch thread by default), which load from other processes on a
shared machine disturbs less than wall-clock time.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from multiaug.timeseries import FrequencyMask, FrequencyMix, TimeWarp, TSCutMix, TSMixup

N, C, T = 2000, 3, 512


def _interleaved(fns: dict, repeats: int) -> dict:
    """Median CPU time of each function, timed in turns (the order rotated every round)."""
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    keys = list(fns)
    for r in range(repeats):
        for k in keys[r % len(keys):] + keys[: r % len(keys)]:
            t0 = time.process_time()
            fns[k]()
            times[k].append(time.process_time() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, C, T, generator=g).cumsum(-1)
    cases = {
        "1 length": torch.full((N,), 400),
        "4 lengths": torch.tensor([512, 400, 300, 256])[torch.randint(0, 4, (N,), generator=g)],
        "257 lengths": torch.randint(256, T + 1, (N,), generator=g),
        "500 lengths": torch.arange(N) % 500 + 13,
    }
    print(f"N={N} C={C} T={T} float32, {args.threads} thread(s), median CPU ms of {args.repeats} calls timed in turns")
    print(f"{'augmenter':14s} {'no lengths':>11s} " + " ".join(f"{k:>12s}" for k in cases))
    for cls in (FrequencyMask, FrequencyMix, TSMixup, TSCutMix, TimeWarp):
        aug = cls(seed=0)
        fns = {"none": lambda aug=aug: aug(x)}
        fns.update({k: (lambda aug=aug, lengths=v: aug(x, lengths=lengths)) for k, v in cases.items()})
        med = _interleaved(fns, args.repeats)
        base = med["none"]
        print(f"{cls.__name__:14s} {1e3 * base:9.1f} ms " + " ".join(
            f"{1e3 * med[k]:7.1f} ({med[k] / base:3.1f}x)" for k in cases))


if __name__ == "__main__":
    main()
