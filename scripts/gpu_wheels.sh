#!/usr/bin/env bash
# Download the pure-Python wheels that the lent GPU machine lacks into .whl/ (carried to it; it has
# no network). See docs/gpu.md. Run from anywhere; needs pip and PyPI here.
#
#   imbalanced-learn (+ sklearn-compat): imported at the top of tests/tabular/test_{mixup,regmix}.py
#       and tests/test_{core,cli}.py; without it `pytest -m gpu` stops at collection.
#   nlpaug (+ gdown, beautifulsoup4, soupsieve): the nlpaug wrapper (multiaug.text.nlpaug) and its tests.
#   tsaug: the anchor of the time-series row of benchmarks/gpu_bench.py.
# Not carried: ray (tests/engines/test_ray.py skips without it; ~70 MB of wheels), gguf (only for
# .gguf model files, which the GPU suite does not use), aeon (not used by the GPU suite).
# Everything else these need (numpy, scipy, scikit-learn, pandas, requests, tqdm, filelock, joblib,
# threadpoolctl) is in the machine's image; `check` below lists each wheel's Requires-Dist so that
# a new dependency does not go unnoticed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEELS=(
  imbalanced-learn==0.14.2
  sklearn-compat==0.1.6
  nlpaug==1.1.11
  gdown==6.5.1
  beautifulsoup4==4.15.0
  soupsieve==4.1.4
  tsaug==0.2.1
)
grep -qx '/.whl/' .gitignore 2>/dev/null || grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
grep -qx '/.gpudata/' .gitignore 2>/dev/null || grep -qx '/.gpudata/' .git/info/exclude 2>/dev/null || echo '/.gpudata/' >> .git/info/exclude
mkdir -p .whl
for spec in "${WHEELS[@]}"; do
  name=${spec%%==*}
  norm=$(echo "$name" | tr 'A-Z-' 'a-z_')
  if ls .whl/ 2>/dev/null | tr 'A-Z-' 'a-z_' | grep -q "^${norm}-${spec##*==}-"; then continue; fi
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "$spec"
done
# one version of each: two stop the whole install there
dups=$(ls .whl/*.whl | xargs -n1 basename | cut -d- -f1 | tr 'A-Z-' 'a-z_' | sort | uniq -d)
if [ -n "$dups" ]; then echo "more than one wheel of: $dups (remove the stale one from .whl/)" >&2; exit 1; fi
# every wheel must be pure Python (the machine is x86-64 with Python 3.12; these are version-free)
for w in .whl/*.whl; do
  case "$w" in *-py3-none-any.whl|*-py2.py3-none-any.whl) ;; *) echo "not a pure-Python wheel: $w" >&2; exit 1;; esac
done
echo "# Requires-Dist (extras skipped):"
for w in .whl/*.whl; do
  "$PY" - "$w" <<'PYEOF'
import sys, zipfile
w = sys.argv[1]
with zipfile.ZipFile(w) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    reqs = [l.split(":", 1)[1].strip() for l in z.read(meta).decode().splitlines() if l.startswith("Requires-Dist:")]
print(w.split("/")[-1] + ": " + ", ".join(r for r in reqs if "extra ==" not in r))
PYEOF
done
du -ch .whl/*.whl | tail -1
