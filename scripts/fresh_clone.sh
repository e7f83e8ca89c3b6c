#!/usr/bin/env bash
# Fresh-machine check (`make fresh-clone`, and the second half of CI): clone the committed HEAD into
# an empty temporary folder, with no .venv, no data/, no build/, nothing beside it (no ../shared/) and
# no CATS_DOGS_DIR, and run the README's commands there exactly as written: `make test` (which creates
# .venv, installs everything, then runs the unit tests and every notebook on the photos that ship with
# the course), then `make lab` until JupyterLab answers. It fails if either fails, or if pytest skipped
# anything without a reason; the checked cells it could not compare (they depend on photos the course
# may not ship) are listed in the summary with the reason. Install and test times come from the
# install stamp's time. Logs and a summary go to build/fresh-clone/<python>/ in this checkout; the
# clone is deleted (KEEP=1 keeps it; WORK=folder clones into that empty folder, as
# folder/pytorch-course, instead of a new temporary one).
#
#   scripts/fresh_clone.sh                                         # the default python3
#   PYTHON=~/.pyenv/versions/3.12.1/bin/python3.12 scripts/fresh_clone.sh   # another Python
#
# Only uncommitted work is left out: commit first to check it. PyTorch's own caches (TORCH_HOME)
# and matplotlib's start empty; pip's download cache is kept (a fresh machine downloads ~3 GB).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
version="$("$python" -c 'import sys; print("python%d.%d.%d" % sys.version_info[:3])')"
logs="$repo/build/fresh-clone/$version"
mkdir -p "$logs"
work="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/course-fresh-clone.XXXXXX")}"
mkdir -p "$work"
if [ -n "$(ls -A "$work")" ]; then echo "WORK=$work is not empty: name an empty or new folder" >&2; exit 2; fi
lab_pid=""
cleanup() {
  if [ -n "$lab_pid" ]; then kill -- "-$lab_pid" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

say() { echo "$*" | tee -a "$logs/summary.txt"; }
: > "$logs/summary.txt"
git clone --quiet --no-local "$repo" "$work/pytorch-course"
cd "$work/pytorch-course"
say "fresh clone of $(git log -1 --format='%h (%s)') with $("$python" --version) in $work"
say "nothing carried over: .venv $(test -e .venv && echo present || echo absent)," \
    "data/ holds $(find data -type f ! -name README.md ! -name .gitignore | wc -l) files"

# A newcomer's machine: no photo folders named, no data folder elsewhere, no pytest options of ours
# (only a JUnit report, read below for the skip reasons).
unset CATS_DOGS_DIR COURSE_DATA_DIR
export PYTEST_ADDOPTS="--junitxml=$logs/junit.xml"
rm -f "$logs/junit.xml"
export TORCH_HOME="$work/torch-home" MPLCONFIGDIR="$work/matplotlib"
say "nothing beside the clone: $(ls -A "$work" | tr '\n' ' ')"

# The README's command, exactly; PYTHON= only when another interpreter was asked for.
make_args=()
[ "$python" = python3 ] || make_args=(PYTHON="$python")
start=$(date +%s)
status=0
make test "${make_args[@]}" > "$logs/make-test.log" 2>&1 || status=$?
end=$(date +%s)
if [ -f .venv/.installed ]; then
  installed=$(stat -c %Y .venv/.installed)
  say "install: $((installed - start)) s; tests (unit + notebooks): $((end - installed)) s; make test exit code $status"
else
  say "install FAILED after $((end - start)) s (make test exit code $status); see $logs/make-test.log"
fi
say "pytest: $(grep -E '^=+ .*(passed|failed|error).* in ' "$logs/make-test.log" | tail -1 | tr -d '=')"
# What it did not compare, and why (the plugin's lines), and a check that every skip says why.
grep -E '^SKIPPED .*not compared' "$logs/make-test.log" | sed 's/^/  /' | tee -a "$logs/summary.txt" || true
reasons=0
if [ -f "$logs/junit.xml" ]; then
  python3 - "$logs/junit.xml" <<'PY' | tee -a "$logs/summary.txt" || reasons=$?
import sys
import xml.etree.ElementTree as ET
silent = [f"{case.get('classname')}::{case.get('name')}" for case in ET.parse(sys.argv[1]).iter("testcase")
          for skipped in case.iter("skipped") if not (skipped.get("message") or "").strip()]
print(f"skipped without a reason: {len(silent)}" + "".join(f"\n  {name}" for name in silent))
sys.exit(1 if silent else 0)
PY
else
  say "no JUnit report: pytest did not run"
  reasons=1
fi
[ "$reasons" = 0 ] || status=1

# The README's other command: `make lab` must bring JupyterLab up (stopped once it answers).
lab_status=1
if [ "$status" = 0 ]; then
  setsid make lab "${make_args[@]}" > "$logs/make-lab.log" 2>&1 < /dev/null &
  lab_pid=$!
  for _ in $(seq 120); do
    if grep -q "Jupyter Server .* is running at" "$logs/make-lab.log"; then lab_status=0; break; fi
    kill -0 "$lab_pid" 2>/dev/null || break
    sleep 1
  done
  kill -- "-$lab_pid" 2>/dev/null || true
  wait "$lab_pid" 2>/dev/null || true
  lab_pid=""
  if [ "$lab_status" = 0 ]; then
    say "make lab: JupyterLab started"
  else
    say "make lab FAILED: $(grep -E '^\[C ' "$logs/make-lab.log" | tail -1 || tail -1 "$logs/make-lab.log")"
  fi
fi
say "logs: $logs"
[ "$status" = 0 ] && [ "$lab_status" = 0 ]
