"""Run a notebook of the course with another ``SEED`` and read back what its cells computed.

The benchmarks of notebooks 05 and 06 run the notebook itself (what a student runs, not a copy of
its code) with ``SEED = 0, 1, 2``: the setup cell's ``SEED = 0`` line is replaced, a report cell is
appended that prints one ``BENCH {json}`` line, and that line is parsed. Each run also says which
``# NBVAL_CHECK_OUTPUT`` cells printed something else than the stored outputs (that CI checks):
a checked line that a training seed can flip is a fragile claim. Not a benchmark itself
(``run_benchmarks.py`` runs ``bench_*.py`` only).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

SEED_LINE = "SEED = 0"
CHECKED = "# NBVAL_CHECK_OUTPUT"
# the nbval sanitizer's substitutions (tests/nbval_sanitize.cfg) that matter for printed text
_SANITIZE = [(re.compile(r"\b0x[0-9a-fA-F]+\b"), "0xADDR"),
             (re.compile(r"\d+(?:\.\d+)? ?(?:s|ms|µs|us|sec|seconds|min)\b"), "DURATION")]


def _printed(cell) -> str:
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    for pattern, replacement in _SANITIZE:
        text = pattern.sub(replacement, text)
    return text


def run_with_seed(notebook: Path, seed: int, report: str, timeout: int = 900) -> dict:
    """Execute ``notebook`` with ``SEED = seed`` and the ``report`` cell appended; return its JSON and the wall time.

    ``report`` must print ``"BENCH " + json.dumps({...})``.
    """
    nb = nbformat.read(notebook, as_version=4)
    stored = {i: _printed(c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.startswith(CHECKED)}
    setup = [c for c in nb.cells if c.cell_type == "code" and SEED_LINE in c.source]
    if len(setup) != 1:
        raise RuntimeError(f"expected one cell with {SEED_LINE!r} in {notebook.name}, found {len(setup)}")
    setup[0].source = setup[0].source.replace(SEED_LINE, f"SEED = {seed}")
    nb.cells.append(nbformat.v4.new_code_cell(report))
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    line = next(x for x in text.splitlines() if x.startswith("BENCH "))
    changed = [i for i, text in stored.items() if _printed(nb.cells[i]) != text]
    return json.loads(line[len("BENCH "):]) | {"seconds": seconds, "checked cells changed": changed}


def checked_cells_row(benchmark: str, name: str, reports: list[dict], seeds: tuple[int, ...]) -> dict:
    """One row: how many checked cells printed something else than the stored outputs, per seed."""
    changed = [r["checked cells changed"] for r in reports]
    return {"benchmark": benchmark, "metric": f"{name}: checked cells that differ from the stored outputs",
            "value": max(len(c) for c in changed), "unit": "cells",
            "note": "worst seed; " + "; ".join(f"seed {s}: {c or 'none'}" for s, c in zip(seeds, changed))}


def wall_time_row(benchmark: str, name: str, reports: list[dict]) -> dict:
    """One row: the notebook's median wall time per seed (see ``run_with_seed``)."""
    return {"benchmark": benchmark, "metric": f"{name} wall time per seed", "unit": "s",
            "value": statistics.median(r["seconds"] for r in reports),
            "note": "median; nbclient, OMP_NUM_THREADS=1: " + ", ".join(f"{r['seconds']:.0f}" for r in reports)}


def score_rows(benchmark: str, reports: list[dict], note: str) -> list[dict]:
    """Mean test balanced accuracy and loss of each model the notebook put in ``test_scores``."""
    rows = []
    for name in reports[0]["test"]:
        for what in ("balanced accuracy", "loss"):
            values = [r["test"][name][what] for r in reports]
            rows.append({"benchmark": benchmark, "metric": f"{name}: test {what}", "value": statistics.mean(values),
                         "unit": "", "note": f"{note}: {spread(values)}"})
    return rows


def spread(values: list[float]) -> str:
    """Mean ± sd (min, max) of per-seed values, three decimals."""
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"
