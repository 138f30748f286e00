#!/usr/bin/env bash
# The main job on the bundled examples: augment one file per modality with the `multiaug` CLI.
# Run it through `make demo` (which installs everything first). Outputs go to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
OUT=${OUT_DIR:-out}
mkdir -p "$OUT"
PY=${PYTHON:-python}

echo "== registered augmenters"
multiaug list

echo; echo "== text: examples/reviews.csv -> $OUT/reviews_aug.csv"
multiaug augment examples/reviews.csv -o "$OUT/reviews_aug.csv" --overwrite --no-progress \
  --augmenter eda --column text --label-column label --n-aug 2 --seed 0
"$PY" - "$OUT/reviews_aug.csv" <<'PYEOF'
import sys, pandas as pd
df = pd.read_csv(sys.argv[1])
print(df[df.is_augmented].head(4).to_string(index=False, max_colwidth=70))
PYEOF

echo; echo "== tabular: examples/diabetes.csv -> $OUT/diabetes_aug.parquet (RegMix: fitted on the file, then kNN mixing)"
multiaug augment examples/diabetes.csv -o "$OUT/diabetes_aug.parquet" --overwrite --no-progress \
  --augmenter regmix --param n_iter=10 --label-column target --n-aug 3 --seed 0
"$PY" - "$OUT/diabetes_aug.parquet" <<'PYEOF'
import sys, pandas as pd
df = pd.read_parquet(sys.argv[1])
print(df.groupby("is_augmented").size().to_string())
PYEOF

echo; echo "== time series: examples/series.npz -> $OUT/series_aug.npz (pipeline from examples/pipeline_timeseries.yaml)"
multiaug augment examples/series.npz -o "$OUT/series_aug.npz" --overwrite --no-progress \
  --config examples/pipeline_timeseries.yaml --n-aug 2 --seed 0
"$PY" - "$OUT/series_aug.npz" <<'PYEOF'
import sys, numpy as np
z = np.load(sys.argv[1])
print({k: z[k].shape for k in z.files})
PYEOF

echo; echo "== graphs: examples/graphs.pt -> $OUT/graphs_aug.pt (SchurView: randomized Schur complement, half the nodes eliminated)"
multiaug augment examples/graphs.pt -o "$OUT/graphs_aug.pt" --overwrite --no-progress \
  --augmenter schur_view --param fraction=0.5 --n-aug 2 --seed 0
"$PY" - "$OUT/graphs_aug.pt" <<'PYEOF'
import sys
from multiaug.io import read_graphs
gs = read_graphs(sys.argv[1])
views = [g for g in gs if int(g.source_index) == 0 and bool(g.is_augmented)]
print(f"{len(gs)} graphs; graph 0: original {gs[0].num_nodes} nodes / {gs[0].edge_index.shape[1]} edges, views "
      + ", ".join(f"{g.num_nodes} nodes / {g.edge_index.shape[1]} edges" for g in views))
PYEOF

echo; echo "demo finished: outputs in $OUT/"
