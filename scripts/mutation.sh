#!/usr/bin/env bash
# Mutation testing of the functional kernels with mutmut (not part of CI: slow).
#
#   scripts/mutation.sh [MODALITY ...]     (default: text graph tabular timeseries)
#
# For each modality, multiaug/<modality>/functional.py is mutated and the modality's default tests
# (tests/<modality>, `-m "not slow and not gpu"`) must kill each mutant. The run happens in a scratch
# copy of the repository (mutmut writes a mutants/ tree next to its config), so the checkout is left
# alone. Prints the kill rate per modality and writes the surviving mutants' diffs to
# $MUTATION_OUT/<modality>-survivors.txt (default: out/mutation/).
# Environment: PYTHON (default .venv/bin/python), MUTATION_JOBS (parallel mutants, default 1),
# MUTATION_OUT (report folder), MUTATION_SAMPLE (test only a seeded random sample of this many mutants per
# modality: the kill rate is then an estimate, printed with its 95% Wilson interval; a full run of the
# four kernels takes many hours on 2 cores), MUTATION_SEED (sample seed, default 0), MUTATION_KEEP (keep
# the scratch copy), MUTATION_TIMEOUT_MULTIPLIER (mutmut's per-mutant time limit as a multiple of the
# tests' measured time, default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
JOBS=${MUTATION_JOBS:-1}
OUT=${MUTATION_OUT:-$ROOT/out/mutation}
mkdir -p "$OUT"
MODALITIES=("$@")
[ ${#MODALITIES[@]} -eq 0 ] && MODALITIES=(text graph tabular timeseries)
"$PYTHON" -c "import mutmut" 2>/dev/null || { echo "mutmut is missing: pip install -e '.[mutation]'" >&2; exit 2; }
MUTMUT=$(dirname "$PYTHON")/mutmut
# one thread per mutant: the machine's cores go to parallel mutants (MUTATION_JOBS), not to BLAS pools
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

for mod in "${MODALITIES[@]}"; do
    target="multiaug/$mod/functional.py"
    [ -f "$target" ] || { echo "no $target" >&2; exit 2; }
    work=$(mktemp -d "${TMPDIR:-/tmp}/multiaug-mutation-$mod.XXXXXX")
    cp -r multiaug tests docs examples scripts benchmarks README.md pyproject.toml "$work"/  # tests read docs, scripts and examples too
    cat > "$work/setup.cfg" <<CFG
[mutmut]
source_paths=multiaug/
only_mutate=$target
pytest_add_cli_args=-q
    -m
    not slow and not gpu
    -p
    no:cacheprovider
    -p
    no:timeout
    -x
pytest_add_cli_args_test_selection=tests/$mod/
# mutmut runs the tests inside mutants/, which holds only the sources and tests unless told:
# some tests read the docs' examples, scripts and the README
also_copy=docs/
    scripts/
    examples/
    benchmarks/
    README.md
# mutmut's default (15x the tests' measured time) times out equivalent mutants on a loaded 2-core
# machine, and a timeout would count as a kill: give the tests room, so only real hangs time out
timeout_multiplier=${MUTATION_TIMEOUT_MULTIPLIER:-60}
# forking straight from mutmut's process, after the stats run has started torch's thread pools, leaves
# children deadlocked (asleep at 0% CPU until the time limit: false 'timeouts'); a fork server forks
# them from a process that only imported the tests
process_isolation=forkserver
CFG
    echo "== $mod: mutating $target against tests/$mod/ (scratch copy $work)"
    if [ -n "${MUTATION_SAMPLE:-}" ]; then
        # generate the mutants and the test map only (a pattern that matches no mutant stops mutmut there),
        # then run a seeded random sample of them
        (cd "$work" && "$MUTMUT" run --max-children "$JOBS" "no-such-mutant-*" >"$OUT/$mod-generate.log" 2>&1) || true
        (cd "$work" && "$MUTMUT" results --all true >"$OUT/$mod-all.txt" 2>&1) || true
        mapfile -t sample < <("$PYTHON" - "$OUT/$mod-all.txt" "$MUTATION_SAMPLE" "${MUTATION_SEED:-0}" <<'PY'
import random, re, sys
names = sorted({l.strip().rsplit(": ", 1)[0] for l in open(sys.argv[1]) if re.match(r"\s*\S+__mutmut_\d+: ", l)})
for name in random.Random(int(sys.argv[3])).sample(names, min(int(sys.argv[2]), len(names))):
    print(name)
PY
)
        echo "   sample: ${#sample[@]} of $(grep -c '__mutmut_' "$OUT/$mod-all.txt") mutants (seed ${MUTATION_SEED:-0})"
        printf '%s\n' "${sample[@]}" >"$OUT/$mod-sample.txt"
        (cd "$work" && "$MUTMUT" run --max-children "$JOBS" "${sample[@]}" >"$OUT/$mod-run.log" 2>&1) || echo "(mutmut run exited with $?; see $OUT/$mod-run.log)"
    else
        (cd "$work" && "$MUTMUT" run --max-children "$JOBS" >"$OUT/$mod-run.log" 2>&1) || echo "(mutmut run exited with $?; see $OUT/$mod-run.log)"
    fi
    (cd "$work" && "$MUTMUT" results --all true >"$OUT/$mod-results.txt" 2>&1) || true
    if "$PYTHON" - "$OUT/$mod-results.txt" "$mod" "$OUT/$mod-sample.txt" <<'PY'
import collections, math, os, re, sys
rows = [l.strip().rsplit(": ", 1) for l in open(sys.argv[1]) if re.match(r"\s*\S+__mutmut_\d+: ", l)]
sample = sys.argv[3]
if os.environ.get("MUTATION_SAMPLE") and os.path.exists(sample):
    chosen = {l.strip() for l in open(sample) if l.strip()}
    rows = [r for r in rows if r[0] in chosen]
status = collections.Counter(r[1] for r in rows if r[1] != "not checked")
killed = status.get("killed", 0) + status.get("timeout", 0) + status.get("segfault", 0)
n = sum(status.values())
if n == 0:
    log = sys.argv[1].replace("-results.txt", "-generate.log" if sample and os.path.exists(sample) else "-run.log")
    print(f"{sys.argv[2]}: no mutant was checked (mutmut's first run of the tests on the unmutated code failed "
          f"in the scratch copy?); see {log}", file=sys.stderr)
    sys.exit(1)
rate = killed / n
z = 1.96
centre = (rate + z * z / (2 * n)) / (1 + z * z / n) if n else 0.0
half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n) if n else 0.0
strict = status.get("killed", 0) / max(n, 1)
print(f"{sys.argv[2]}: {n} mutants checked, {dict(status)}; kill rate {rate:.1%} "
      f"(95% CI {centre - half:.1%}..{centre + half:.1%}); killed without counting timeouts {strict:.1%}")
PY
    then :; else failed=1; fi
    (cd "$work" && for m in $(grep -E ': (survived|no tests)$' "$OUT/$mod-results.txt" | sed 's/: .*//'); do
        "$MUTMUT" show "$m" 2>/dev/null; echo; done) >"$OUT/$mod-survivors.txt" || true
    echo "   survivors' diffs: $OUT/$mod-survivors.txt"
    [ -n "${MUTATION_KEEP:-}" ] || rm -rf "$work"
done
exit "${failed:-0}"
