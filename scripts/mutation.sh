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
# MUTATION_OUT (report folder).
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

for mod in "${MODALITIES[@]}"; do
    target="multiaug/$mod/functional.py"
    [ -f "$target" ] || { echo "no $target" >&2; exit 2; }
    work=$(mktemp -d "${TMPDIR:-/tmp}/multiaug-mutation-$mod.XXXXXX")
    cp -r multiaug tests pyproject.toml "$work"/
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
CFG
    echo "== $mod: mutating $target against tests/$mod/ (scratch copy $work)"
    (cd "$work" && "$MUTMUT" run --max-children "$JOBS" >"$OUT/$mod-run.log" 2>&1) || echo "(mutmut run exited with $?; see $OUT/$mod-run.log)"
    (cd "$work" && "$MUTMUT" results --all true >"$OUT/$mod-results.txt" 2>&1) || true
    "$PYTHON" - "$OUT/$mod-results.txt" "$mod" <<'PY'
import collections, re, sys
rows = [l.strip() for l in open(sys.argv[1]) if re.match(r"\s*\S+__mutmut_\d+: ", l)]
status = collections.Counter(l.rsplit(": ", 1)[1] for l in rows)
killed = status.get("killed", 0) + status.get("timeout", 0) + status.get("segfault", 0)
total = sum(status.values())
print(f"{sys.argv[2]}: {total} mutants, {dict(status)}; kill rate {killed / max(total, 1):.1%}")
PY
    (cd "$work" && for m in $(grep -E ': (survived|no tests)$' "$OUT/$mod-results.txt" | sed 's/: .*//'); do
        "$MUTMUT" show "$m" 2>/dev/null; echo; done) >"$OUT/$mod-survivors.txt" || true
    echo "   survivors' diffs: $OUT/$mod-survivors.txt"
    [ -n "${MUTATION_KEEP:-}" ] || rm -rf "$work"
done
