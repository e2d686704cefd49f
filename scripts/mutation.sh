#!/usr/bin/env bash
# Mutation testing of the code that decides escapes (not part of CI: the full set takes hours on 2 cores).
#
#   bash scripts/mutation.sh [GLOB...]
#   MUTANTS='hostaudit.escape.x__kernel__mutmut_* ...' bash scripts/mutation.sh GLOB...   # only these mutants
#
# GLOBs are mutmut `only_mutate` patterns; the default is the whole target: every check, the escape verdicts and
# the collectors that decide escape paths. mutmut (PyPI) runs in a throw-away copy of the tree under /tmp, with the
# unit suite as its oracle, MUTATION_JOBS workers (default 1) at low priority; nothing in this tree is written.
# It prints mutmut's results (survivors and timeouts) and the kill ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import mutmut' 2>/dev/null || python3 -m pip install --quiet 'mutmut>=3.8,<4'
if [ "$#" -eq 0 ]; then
  set -- 'checks/*' hostaudit/escape.py hostaudit/caps.py hostaudit/collectors/docker_daemon.py \
    hostaudit/collectors/runtime.py hostaudit/collectors/normalize.py hostaudit/collectors/containerd.py
fi
work=$(mktemp -d /tmp/hostaudit-mutation.XXXXXX)
tar --exclude=./venv --exclude=./mutants --exclude=./.git --exclude='*.pyc' -cf - . | tar -C "$work" -xf -
# The catalog runs as hostaudit.checks (the package maps checks/ there), so mutate that copy; and mutmut skips
# decorated functions, so `@register(META) def evaluate` becomes `def evaluate` + `register(META)(evaluate)` (same
# registration, in the throw-away copy only).
cp -r "$work/checks" "$work/hostaudit/checks"
python3 - "$work/hostaudit/checks" <<'PY'
import pathlib, re, sys
for path in pathlib.Path(sys.argv[1]).rglob("*.py"):
    text = path.read_text()
    found = re.findall(r"^@register\((\w+)\)\ndef (\w+)\(", text, flags=re.M)
    if found:
        text = re.sub(r"^@register\((\w+)\)\n(def \w+\()", r"\2", text, flags=re.M)
        path.write_text(text + "".join(f"\nregister({meta})({name})\n" for meta, name in found))
PY
{
  printf '[mutmut]\nsource_paths=\n    hostaudit\nonly_mutate=\n'
  printf '    %s\n' "${@/#checks\//hostaudit/checks/}"
  printf 'also_copy=\n    ansible\n    reports\n    checks\n    deploy\n    scripts\n'
  printf 'pytest_add_cli_args_test_selection=\n    tests/unit\n'
  printf 'pytest_add_cli_args=\n    -p\n    no:cacheprovider\n    -x\n'
} > "$work/setup.cfg"
cd "$work"
echo "mutating in $work: $*" >&2
read -r -a names <<<"${MUTANTS:-}"  # mutmut's own name patterns, not expanded by the shell
nice -n 10 python3 -m mutmut run --max-children "${MUTATION_JOBS:-1}" "${names[@]}" >mutmut-run.log 2>&1 || true
python3 -m mutmut results --all true >mutmut-results.txt 2>&1 || python3 -m mutmut results >mutmut-results.txt 2>&1
tr '\r' '\n' <mutmut-run.log | tail -n 2
grep -E ': (survived|timeout|suspicious|segfault)' mutmut-results.txt || true
awk -F': ' 'NF>1 {n[$NF]++; t++} END {for (s in n) printf "%s %d\n", s, n[s]; if (t) printf "kill ratio %.1f%% (%d of %d)\n", 100*n["killed"]/t, n["killed"], t}' mutmut-results.txt
echo "full results: $work/mutmut-results.txt" >&2
