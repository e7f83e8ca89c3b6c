"""What isolation costs per graded submission: the same notebook graded in the bubblewrap
sandbox and without it (same grader, same limits), median of 5 runs each, alternating.

The budget (issue 13) is at most 2 s of overhead per submission. The notebook is 00, graded as
its own submission (its check passes), so the run includes a kernel start, the cells, and one
check answered across the sandbox.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from course_tools.grading import grade_one
from course_tools.sandbox import Limits, bwrap_path

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "00_start_here.ipynb"
RUNS = 5


def seconds(isolate: bool, folder: Path) -> float:
    start = time.perf_counter()
    result = grade_one(folder / NOTEBOOK.name, folder, {"00": NOTEBOOK}, Limits(), isolate=isolate)
    took = time.perf_counter() - start
    if result.status != "ok" or result.passed != len(result.checks):
        raise RuntimeError(f"the benchmark's submission should pass: {result}")
    return took


def run() -> list[dict]:
    if bwrap_path() is None:
        return [{"benchmark": "grading", "metric": "isolation overhead", "value": float("nan"), "unit": "s",
                 "note": "bubblewrap unavailable here: nothing to compare"}]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copyfile(NOTEBOOK, folder / NOTEBOOK.name)
        seconds(True, folder)  # warm the file cache for both
        plain, boxed = [], []
        for _ in range(RUNS):
            plain.append(seconds(False, folder))
            boxed.append(seconds(True, folder))
    overhead = [b - p for p, b in zip(plain, boxed)]
    note = f"median of {RUNS}, alternating; budget 2 s"
    return [
        {"benchmark": "grading", "metric": "00 graded without isolation", "value": statistics.median(plain),
         "unit": "s", "note": note + "; runs: " + ", ".join(f"{t:.1f}" for t in plain)},
        {"benchmark": "grading", "metric": "00 graded in the sandbox", "value": statistics.median(boxed),
         "unit": "s", "note": note + "; runs: " + ", ".join(f"{t:.1f}" for t in boxed)},
        {"benchmark": "grading", "metric": "isolation overhead per submission", "value": statistics.median(overhead),
         "unit": "s", "note": note + " (median of the paired differences)"},
    ]
