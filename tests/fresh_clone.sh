#!/usr/bin/env bash
# Fresh-machine check (`make fresh-clone`): clone the committed HEAD into a temporary folder, with
# no .venv, no data/ and no build/, and run the README's commands there exactly as written:
# `make test` (which creates .venv, installs everything, then runs the unit tests and every notebook),
# then `make lab` until JupyterLab answers. Install and test times come from the install stamp's
# time. Logs and a summary go to build/fresh-clone/<python>/ in this checkout; the clone is deleted
# (KEEP=1 keeps it).
#
#   tests/fresh_clone.sh                                         # the default python3
#   PYTHON=~/.pyenv/versions/3.12.1/bin/python3.12 tests/fresh_clone.sh   # another Python
#
# Only uncommitted work is left out: commit first to check it. PyTorch's own caches (TORCH_HOME)
# and matplotlib's start empty; pip's download cache is kept (a fresh machine downloads ~3 GB).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
version="$("$python" -c 'import sys; print("python%d.%d.%d" % sys.version_info[:3])')"
logs="$repo/build/fresh-clone/$version"
mkdir -p "$logs"
work="$(mktemp -d "${TMPDIR:-/tmp}/course-fresh-clone.XXXXXX")"
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

# Notebook 05 trains on the shared photo sample when there is one (as .ci/run does).
sample=/work/shared/datasets/oxford-pets-sample
[ -d "$sample" ] && export CATS_DOGS_DIR="$sample" && say "CATS_DOGS_DIR=$sample"
export TORCH_HOME="$work/torch-home" MPLCONFIGDIR="$work/matplotlib"

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
