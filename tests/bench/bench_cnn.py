"""Notebook 05 over three training seeds: the CNN from scratch, plain, early-stopped and augmented.

Runs the notebook itself with ``SEED = 0, 1, 2`` and reads the test-split scores its section 10
computed (``test_scores``: the plain CNN's last epoch, the epoch early stopping kept, the augmented
CNN), the validation losses and the mean score of wrong answers of section 7 and the recalls of
section 8. The
data split stays the same (its seed is load_cats_dogs' own), so the spread is that of training
alone. Photos come from ``$CATS_DOGS_DIR`` (``make bench`` and CI name both shared folders).

Run alone: ``python tests/bench/bench_cnn.py`` (about a minute per seed on a 2-core CPU).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from notebook_runs import checked_cells_row, run_with_seed, score_rows, spread, wall_time_row

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05_cnn_cats_vs_dogs.ipynb"
SEEDS = (0, 1, 2)
REPORT = """
import json
print("BENCH " + json.dumps({"source": data.source, "test": test_scores,
                              "majority": test_baseline["balanced_accuracy"],
                              "gap": {"plain": val_plain - train_plain, "augmented": val_aug - train_aug},
                              "val loss": {"plain": val_plain, "augmented": val_aug},
                              "kept epoch": history_es.best_epoch, "stopped after": history_es.epochs,
                              "score when wrong": dict(zip(("kept", "last"), sure_when_wrong.values())),
                              "per seed": {k: round(v["balanced accuracy"], 3) for k, v in test_scores.items()},
                              "cat recall": {k: v["recall cat"] for k, v in recalls.items()}}))
"""


def run() -> list[dict]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    reports = [run_with_seed(NOTEBOOK, seed, REPORT) for seed in SEEDS]
    note = f"notebook 05, seeds {list(SEEDS)}, mean ± sd; data: {reports[0]['source'][:160]}"
    rows = score_rows("cnn", reports, note)
    margins = [
        r["test"]["OurCNN, augmented photos"]["balanced accuracy"] - r["majority"] for r in reports
    ]
    rows.append(
        {
            "benchmark": "cnn",
            "metric": "OurCNN, augmented photos: test balanced accuracy above the majority baseline",
            "value": min(margins),
            "unit": "",
            "note": f"minimum over seeds; {spread(margins)}",
        }
    )
    for what in ("gap", "val loss"):
        for name in ("plain", "augmented"):
            values = [r[what][name] for r in reports]
            rows.append(
                {
                    "benchmark": "cnn",
                    "metric": f"{name}: validation {what}" if what == "gap" else f"{name}: {what}",
                    "value": statistics.mean(values),
                    "unit": "",
                    "note": f"section 7, {spread(values)}",
                }
            )
    for name in reports[0]["cat recall"]:
        values = [r["cat recall"][name] for r in reports]
        rows.append(
            {
                "benchmark": "cnn",
                "metric": f"average colour, {name}: validation cat recall",
                "value": statistics.mean(values),
                "unit": "",
                "note": f"section 8, {spread(values)}",
            }
        )
    rows.append(
        {
            "benchmark": "cnn",
            "metric": "early stopping (patience 3): epoch kept",
            "unit": "",
            "value": statistics.median(r["kept epoch"] for r in reports),
            "note": "median; "
            + ", ".join(
                f"seed {s}: kept {r['kept epoch']} of {r['stopped after']} trained"
                for s, r in zip(SEEDS, reports)
            ),
        }
    )
    for which in ("kept", "last"):
        values = [r["score when wrong"][which] for r in reports]
        rows.append(
            {
                "benchmark": "cnn",
                "metric": f"plain CNN, {which} epoch: validation mean score of wrong answers",
                "value": statistics.mean(values),
                "unit": "",
                "note": f"section 7, {spread(values)}",
            }
        )
    rows.append(
        {
            "benchmark": "cnn",
            "metric": "test balanced accuracy per seed",
            "value": float("nan"),
            "unit": "",
            "note": "; ".join(f"seed {s}: {r['per seed']}" for s, r in zip(SEEDS, reports)),
        }
    )
    rows.append(checked_cells_row("cnn", "notebook 05", reports, SEEDS))
    rows.append(wall_time_row("cnn", "notebook 05", reports))
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']}: {row['value']:.4g} {row['unit']}  {row.get('note', '')}")
