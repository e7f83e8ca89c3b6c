"""Notebook 05 over three training seeds: CNN from scratch vs feature extraction vs fine-tuning.

Runs the notebook itself (what a student runs, not a copy of its code) with ``SEED = 0, 1, 2``,
then reads the test-split scores its section 11 computed (``test_scores``) and the validation
table of section 8. The data split stays the same (the split seed is load_cats_dogs' own), so the
spread is that of training alone. Photos come from ``$CATS_DOGS_DIR`` when it is set (CI and
``make bench`` set it to the shared Oxford-IIIT Pet sample), else synthetic drawings.

Run alone: ``python tests/bench/bench_transfer.py`` (about a minute per seed on a 2-core CPU).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05_cats_vs_dogs.ipynb"
SEEDS = (0, 1, 2)
SEED_LINE = "SEED = 0"
# Appended to the notebook: what section 8 and section 11 computed, as one JSON line.
REPORT = """
import json
t, p, _ = predict(model_reg, val_loader)
unweighted = classification_report(t, p, data.class_names)
t, p, _ = predict(model_final, val_loader)
weighted = classification_report(t, p, data.class_names)
print("BENCH " + json.dumps({"kind": data.kind, "test": test_scores, "kept": best_name,
                              "val cat recall": {"regularised": unweighted["recall cat"], "weighted": weighted["recall cat"]},
                              "val balanced accuracy": {"regularised": unweighted["balanced accuracy"],
                                                        "weighted": weighted["balanced accuracy"]}}))
"""


def run_notebook(seed: int, timeout: int = 900) -> dict:
    """Execute notebook 05 with ``SEED = seed``; return its report and the wall time."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    setup = [c for c in nb.cells if c.cell_type == "code" and SEED_LINE in c.source]
    if len(setup) != 1:
        raise RuntimeError(f"expected one cell with {SEED_LINE!r} in {NOTEBOOK.name}, found {len(setup)}")
    setup[0].source = setup[0].source.replace(SEED_LINE, f"SEED = {seed}")
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    line = next(x for x in text.splitlines() if x.startswith("BENCH "))
    return json.loads(line[len("BENCH "):]) | {"seconds": seconds}


def spread(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"


def run() -> list[dict]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    reports = [run_notebook(seed) for seed in SEEDS]
    kind = reports[0]["kind"]
    note = f"notebook 05, test split, seeds {list(SEEDS)}, {kind} data, mean ± sd"
    rows = []
    for name in reports[0]["test"]:
        values = [r["test"][name]["balanced accuracy"] for r in reports]
        rows.append({"benchmark": "transfer", "metric": f"{name}: test balanced accuracy", "value": statistics.mean(values),
                     "unit": "", "note": f"{note}: {spread(values)}"})
    for name in reports[0]["test"]:
        values = [r["test"][name]["loss"] for r in reports]
        rows.append({"benchmark": "transfer", "metric": f"{name}: test loss", "value": statistics.mean(values),
                     "unit": "", "note": f"{note}: {spread(values)}"})
    for what in ("val cat recall", "val balanced accuracy"):
        for name in ("regularised", "weighted"):
            values = [r[what][name] for r in reports]
            rows.append({"benchmark": "transfer", "metric": f"CNN {name}: {what}", "value": statistics.mean(values),
                         "unit": "", "note": f"section 8, validation split, {spread(values)}"})
    rows.append({"benchmark": "transfer", "metric": "model kept (lower validation loss)", "value": float("nan"),
                 "unit": "", "note": ", ".join(r["kept"] for r in reports)})
    rows.append({"benchmark": "transfer", "metric": "notebook 05 wall time per seed", "unit": "s",
                 "value": statistics.median(r["seconds"] for r in reports),
                 "note": "median; nbclient, OMP_NUM_THREADS=1: " + ", ".join(f"{r['seconds']:.0f}" for r in reports)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']}: {row['value']:.4g} {row['unit']}  {row.get('note', '')}", file=sys.stdout)
