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

from notebook_runs import run_rows, run_with_seed, score_rows, spread
from report_rows import row

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
        row(
            "cnn",
            "OurCNN, augmented photos: test balanced accuracy above the majority baseline",
            min(margins),
            note=f"minimum over seeds; {spread(margins)}",
        )
    )
    for what in ("gap", "val loss"):
        for name in ("plain", "augmented"):
            values = [r[what][name] for r in reports]
            metric = f"{name}: validation {what}" if what == "gap" else f"{name}: {what}"
            rows.append(
                row("cnn", metric, statistics.mean(values), note=f"section 7, {spread(values)}")
            )
    for name in reports[0]["cat recall"]:
        values = [r["cat recall"][name] for r in reports]
        metric = f"average colour, {name}: validation cat recall"
        rows.append(
            row("cnn", metric, statistics.mean(values), note=f"section 8, {spread(values)}")
        )
    kept = ", ".join(
        f"seed {s}: kept {r['kept epoch']} of {r['stopped after']} trained"
        for s, r in zip(SEEDS, reports)
    )
    rows.append(
        row(
            "cnn",
            "early stopping (patience 3): epoch kept",
            statistics.median(r["kept epoch"] for r in reports),
            note=f"median; {kept}",
        )
    )
    for which in ("kept", "last"):
        values = [r["score when wrong"][which] for r in reports]
        metric = f"plain CNN, {which} epoch: validation mean score of wrong answers"
        rows.append(
            row("cnn", metric, statistics.mean(values), note=f"section 7, {spread(values)}")
        )
    per_seed = "; ".join(f"seed {s}: {r['per seed']}" for s, r in zip(SEEDS, reports))
    rows.append(row("cnn", "test balanced accuracy per seed", float("nan"), note=per_seed))
    return rows + run_rows("cnn", "notebook 05", reports, SEEDS)


if __name__ == "__main__":
    for r in run():
        print(f"{r['metric']}: {r['value']:.4g} {r['unit']}  {r.get('note', '')}")
