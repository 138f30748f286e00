"""DataFrame conversion costs of the tabular augmenters (not a test).

1. **Numeric columns as one block vs column by column**: a ``GaussianNoise`` call (fitted, so a
   single row works) on DataFrames of NumPy float64/int64 columns, with the block conversion
   (``multiaug.tabular.base._block_columns``) and with it switched off (every column read and written
   on its own, as before), next to the same table as a NumPy array.
2. **Object columns**: coding a categorical ``object`` column and decoding it back, pandas'
   categories (``astype("category")`` + ``Categorical.from_codes(...).astype(object)``, what the
   conversion did before it kept each cell's type) vs multiaug's (``_object_categories`` by value and
   type + a take of the category objects), on plain strings, strings with ``None``, Python ints, and
   a column mixing ``1``/``True``/``1.0`` (where pandas merges them).

Each pair is timed interleaved (A, B, B, A, ...) in one process on one thread; medians of
``--repeats``. Run: ``python benchmarks/tabular_frames.py``.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _timed(fns: dict, repeats: int) -> dict:
    """Median seconds of each of ``fns`` (name -> callable), called interleaved."""
    names = list(fns)
    out = {k: [] for k in names}
    for r in range(repeats):
        for k in (names if r % 2 == 0 else names[::-1]):
            gc.collect()
            t0 = time.perf_counter()
            fns[k]()
            out[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in out.items()}


def _frame_case(rows: int, cols: int, repeats: int, rng: np.random.Generator) -> dict:
    import pandas as pd

    import multiaug.tabular.base as B
    from multiaug.tabular import GaussianNoise

    def make(n):
        return pd.DataFrame({f"c{i}": rng.normal(size=n) if i % 3 else rng.integers(0, 9, n) for i in range(cols)})

    df, fit = make(rows), make(64)
    arr = df.to_numpy()
    aug, aug_arr = GaussianNoise(seed=0).fit(fit), GaussianNoise(seed=0).fit(fit.to_numpy())
    block_columns = B._block_columns

    def without_block():
        B._block_columns = lambda *a: np.zeros(0, dtype=np.int64)  # every column on its own, as before
        try:
            aug(df)
        finally:
            B._block_columns = block_columns

    return _timed({"array": lambda: aug_arr(arr), "block": lambda: aug(df), "per_column": without_block}, repeats)


def numeric_frames(repeats: int) -> None:
    rng = np.random.default_rng(0)
    print("1. GaussianNoise call, ms (median); columns: 2/3 float64, 1/3 int64")
    print(f"{'rows x cols':>14} {'ndarray':>9} {'frame, block':>13} {'frame, per column':>18} {'speed-up':>9}")
    for rows, cols in ((1, 20), (1, 100), (256, 100), (50, 3000), (100_000, 10)):
        t = _frame_case(rows, cols, repeats if rows * cols < 10**6 else max(3, repeats // 3), rng)
        print(f"{f'{rows} x {cols}':>14} {t['array'] * 1e3:9.2f} {t['block'] * 1e3:13.2f} {t['per_column'] * 1e3:18.2f} "
              f"{t['per_column'] / t['block']:8.1f}x")


def _object_case(cells: list, repeats: int) -> tuple[dict, list]:
    import pandas as pd

    from multiaug.tabular.base import _object_categories

    col = pd.Series(cells, dtype=object)
    vals = col.to_numpy()

    def pandas_way():
        cat = col.astype("category")
        codes = cat.cat.codes.to_numpy()
        return pd.Categorical.from_codes(codes, categories=cat.cat.categories).astype(object)

    def multiaug_way():
        cats, codes, _ = _object_categories(vals)
        out = np.asarray(cats, dtype=object).take(np.where(codes >= 0, codes, 0))
        out[codes < 0] = None
        return out

    t = _timed({"pandas": pandas_way, "multiaug": multiaug_way}, repeats)
    kept = [all(type(a) is type(b) for a, b in zip(f(), cells) if b is not None) for f in (pandas_way, multiaug_way)]
    return t, kept


def object_columns(repeats: int, rows: int) -> None:
    rng = np.random.default_rng(0)
    columns = {
        "strings (50 values)": rng.choice([f"cat{i}" for i in range(50)], rows).tolist(),
        "strings + 10% None": np.where(rng.random(rows) < 0.1, None, rng.choice(["a", "b", "c"], rows)).tolist(),
        "Python ints": rng.integers(0, 20, rows).tolist(),
        "1 / True / 1.0 / 0 / False": [[1, True, 1.0, 0, False][k] for k in rng.integers(0, 5, rows)],
    }
    print(f"\n2. object column of {rows} rows, code + decode, ms (median)")
    print(f"{'column':>28} {'pandas categories':>18} {'multiaug':>9} {'ratio':>6}  types kept (pandas / multiaug)")
    for name, cells in columns.items():
        t, kept = _object_case(cells, repeats)
        print(f"{name:>28} {t['pandas'] * 1e3:18.2f} {t['multiaug'] * 1e3:9.2f} {t['multiaug'] / t['pandas']:6.2f}  {kept[0]} / {kept[1]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--rows", type=int, default=200_000, help="rows of the object columns (part 2)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    numeric_frames(args.repeats)
    object_columns(args.repeats, args.rows)


if __name__ == "__main__":
    main()
