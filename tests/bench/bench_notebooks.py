"""Time to execute each notebook top to bottom in a fresh kernel, median of 3 runs."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
RUNS = 3


def execute_seconds(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return time.perf_counter() - start


def run() -> list[dict]:
    rows = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        times = [execute_seconds(path) for _ in range(RUNS)]
        rows.append(
            {
                "benchmark": "notebooks",
                "metric": path.stem,
                "value": statistics.median(times),
                "unit": "s",
                "note": f"median of {RUNS}; runs: " + ", ".join(f"{t:.1f}" for t in times),
            }
        )
    return rows
