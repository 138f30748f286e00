#!/usr/bin/env bash
# The one command of the GPU check (issue 18): environment report, carried wheels, every gpu-marked
# test, then benchmarks/gpu_bench.py. Budgeted for about 6 minutes on an H100 (each step has its own
# timeout). Results and logs go to $OUT when set (the lent device machine), else to
# benchmarks/results/gpu/. See docs/gpu.md.
#
#   bash benchmarks/gpu_suite.sh prepare              # here, before the device run: .whl/ + .gpudata/
#   bash benchmarks/gpu_suite.sh                      # CUDA, full sizes
#   GPU_SUITE_DEVICE=cpu bash benchmarks/gpu_suite.sh  # check the script itself without a GPU
#                                                    # (tests with MULTIAUG_TEST_DEVICE=cpu, bench --quick)
# Environment: PYTHON (default python3), GPU_SUITE_DEVICE (cuda), BENCH_ARGS (extra gpu_bench.py
# arguments, e.g. "--quick" or "--sections tabular"), TEST_TIMEOUT / BENCH_TIMEOUT (seconds).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = prepare ]; then
  # On the machine that has the network and ../shared (NOT on the device): fill the two ignored
  # folders that the device run carries, .whl/ (wheels) and .gpudata/ (Cora's raw files, ~0.6 MB).
  set -e
  bash scripts/gpu_wheels.sh
  src=${CORA_RAW:-../shared/data/planetoid/Cora/raw}
  mkdir -p .gpudata/Cora/raw
  cp "$src"/ind.cora.* .gpudata/Cora/raw/
  grep -qx '/.gpudata/' .git/info/exclude 2>/dev/null || grep -qx '/.gpudata/' .gitignore || echo '/.gpudata/' >> .git/info/exclude
  du -sh .whl .gpudata
  git status --short --ignored .whl .gpudata
  exit 0
fi

RES=${OUT:-benchmarks/results/gpu}
mkdir -p "$RES"
exec > >(tee "$RES/suite.log") 2>&1
PY=${PYTHON:-python3}
DEVICE=${GPU_SUITE_DEVICE:-cuda}
TEST_TIMEOUT=${TEST_TIMEOUT:-210}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-330}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
T0=$(date +%s)
stamp() { echo "=== [$(( $(date +%s) - T0 ))s] $*"; }

stamp "environment"
{
  echo "host: $(uname -a)"
  echo "cpus: $(nproc)"
  timeout 30 nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>&1 || echo "nvidia-smi: not available"
  timeout 60 "$PY" - <<'EOF'
import platform, torch
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("device", p.name, f"{p.total_memory / 2**30:.1f} GiB", "SMs", p.multi_processor_count, "capability", f"{p.major}.{p.minor}")
for m in ("torch_geometric", "transformers", "sklearn", "scipy", "pandas", "pyarrow", "hypothesis", "pytest_timeout"):
    try:
        mod = __import__(m)
        print(m, getattr(mod, "__version__", "?"))
    except Exception as e:
        print(m, "MISSING", type(e).__name__, e)
EOF
} 2>&1 | tee "$RES/env.txt"
if [ "$DEVICE" = cuda ] && ! timeout 60 "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "PyTorch sees no CUDA device; nothing to prove here (GPU_SUITE_DEVICE=cpu checks the script)"; exit 3
fi

stamp "carried wheels"
if ls .whl/*.whl >/dev/null 2>&1; then
  timeout 120 "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || echo "WARNING: installing the carried wheels failed; tests that import them will fail or skip"
  export PYTHONPATH=/tmp/site:.
else
  echo "no .whl/ (run scripts/gpu_wheels.sh here first): imbalanced-learn, nlpaug and tsaug may be missing"
  export PYTHONPATH=.
fi
timeout 60 "$PY" -c "import multiaug, imblearn; print('multiaug', multiaug.__version__, 'from', multiaug.__file__, '| imblearn', imblearn.__version__)" \
  || echo "WARNING: import check failed"

CORA=""
for d in .gpudata/Cora/raw ../shared/data/planetoid/Cora/raw; do
  if [ -f "$d/ind.cora.x" ]; then CORA=$d; break; fi
done
[ -n "$CORA" ] && echo "Cora: $CORA" || echo "Cora raw files not found (.gpudata/Cora/raw): the LA-GNN rows are skipped"

stamp "pytest -m gpu (timeout ${TEST_TIMEOUT}s)"
TEST_ENV=()
[ "$DEVICE" != cuda ] && TEST_ENV=(MULTIAUG_TEST_DEVICE="$DEVICE")
env "${TEST_ENV[@]}" timeout -k 10 "$TEST_TIMEOUT" "$PY" -m pytest -m gpu -q -p no:cacheprovider --timeout 120 \
  -o junit_family=xunit2 --junitxml "$RES/pytest.xml" -rfEs --durations=15
TEST_RC=$?
stamp "pytest exit code $TEST_RC"

stamp "gpu_bench.py (timeout ${BENCH_TIMEOUT}s)"
QUICK=()
[ "$DEVICE" != cuda ] && QUICK=(--quick)
# shellcheck disable=SC2086
timeout -k 10 "$BENCH_TIMEOUT" "$PY" benchmarks/gpu_bench.py --device "$DEVICE" --out "$RES" ${CORA:+--cora "$CORA"} "${QUICK[@]}" ${BENCH_ARGS:-}
BENCH_RC=$?
stamp "gpu_bench exit code $BENCH_RC"

stamp "done: pytest rc=$TEST_RC, bench rc=$BENCH_RC; results in $RES"
ls -la "$RES"
[ "$TEST_RC" -eq 0 ] && [ "$BENCH_RC" -eq 0 ]
