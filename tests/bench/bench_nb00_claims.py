"""Notebook 00, section 3: the theory behind "about 2 times" and "about 5 times".

The notebook refits y = 2x + 1 + noise (0.8, 40 points on [0, 5]) on 2,000 fresh noisy copies
and compares the spread of the predictions at the edge of the data (x = 0) and beyond it
(x = 10) with the middle (x = 2.5). For least squares with known noise the ratio is
sqrt(1/n + (x0 - mean)^2 / Sxx) / sqrt(1/n); the notebook's own ratios over seeds 0-4 and 1, 2, 4
threads, with their worst margins, are ``bench_checked_lines``' rows for 00.
"""

from __future__ import annotations

import torch
from report_rows import row


def run() -> list[dict]:
    x = torch.linspace(0, 5, 40, dtype=torch.float64)
    sxx = ((x - x.mean()) ** 2).sum()
    rows = []
    for x0, where in [(0.0, "edge (x = 0)"), (10.0, "beyond the data (x = 10)")]:
        ratio = (1 / 40 + (x0 - x.mean()) ** 2 / sxx).sqrt().item() / (1 / 40) ** 0.5
        rows.append(
            row(
                "nb00_claims",
                f"prediction spread, {where} / middle (x = 2.5), theory",
                ratio,
                note="least squares, 40 points on [0, 5]",
            )
        )
    return rows


if __name__ == "__main__":
    for r in run():
        print(f"{r['metric']}: {r['value']:.3f}  ({r['note']})")
