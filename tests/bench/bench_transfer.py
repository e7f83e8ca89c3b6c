"""Notebook 06 over three training seeds: a CNN from scratch, feature extraction, fine-tuning, another source.

Runs the notebook itself with ``SEED = 0, 1, 2`` and reads what its sections 6 and 7 computed: test
balanced accuracy of notebook 05's CNN trained from scratch on the same photos and of both
pretrained models, the model kept on validation, each model's balanced accuracy on the notebook's
sample of 600 photos of the second folder of ``$CATS_DOGS_DIR`` (trained on the first folder only),
and the kept model's errors there by class, with the class-weighted and the plain loss. ``make
bench`` and CI name both shared folders.

Run alone: ``python tests/bench/bench_transfer.py``.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from notebook_runs import run_rows, run_with_seed, score_rows, spread
from report_rows import row

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06_transfer_learning.ipynb"
SEEDS = (0, 1, 2)
REPORT = """
import json
print("BENCH " + json.dumps({"source": data.source, "size": SIZE, "test": test_scores, "kept": best_name,
                              "other": None if other is None else other_score,
                              "other scores": None if other is None else other_scores,
                              "leans": None if other is None else {f"{k[0]}": v for k, v in leans.items() if k[1] == "other"},
                              "other source": None if other is None else str(folders[1])}))
"""


def run() -> list[dict]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    reports = [run_with_seed(NOTEBOOK, seed, REPORT) for seed in SEEDS]
    note = f"notebook 06 at {reports[0]['size']} px, seeds {list(SEEDS)}, mean ± sd; trained on {reports[0]['source'][:120]}"
    rows = score_rows("transfer", reports, note)
    kept = ", ".join(r["kept"] for r in reports)
    rows.append(row("transfer", "model kept (chosen on validation)", float("nan"), note=kept))
    if reports[0]["other"] is None:
        rows.append(
            row(
                "transfer",
                "another source: balanced accuracy",
                float("nan"),
                note="skipped: $CATS_DOGS_DIR names one folder (name two, separated by ':')",
            )
        )
    else:
        values = [r["other"] for r in reports]
        rows.append(
            row(
                "transfer",
                "kept model on another source: balanced accuracy",
                min(values),
                note=f"minimum over seeds; the notebook's sample of {reports[0]['other source']}: "
                f"{spread(values)}",
            )
        )
        for name in reports[0]["other scores"]:
            values = [r["other scores"][name] for r in reports]
            per_seed = ", ".join(f"{v:.3f}" for v in values)
            metric = f"{name} on another source: balanced accuracy"
            rows.append(
                row(
                    "transfer",
                    metric,
                    statistics.mean(values),
                    note=f"{spread(values)}; per seed {per_seed}",
                )
            )
        for loss in reports[0]["leans"]:
            leans = "; ".join(f"seed {s}: {r['leans'][loss]}" for s, r in zip(SEEDS, reports))
            metric = (
                f"feature extraction, {loss}: cats called dog, dogs called cat on another source"
            )
            rows.append(row("transfer", metric, float("nan"), note=leans))
    return rows + run_rows("transfer", "notebook 06", reports, SEEDS)


if __name__ == "__main__":
    for r in run():
        print(f"{r['metric']}: {r['value']:.4g} {r['unit']}  {r.get('note', '')}")
