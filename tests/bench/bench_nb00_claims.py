"""Notebook 00, section 3, over five seeds: is the line surest in the middle of its data?

The notebook refits y = 2x + 1 + noise (0.8, 40 points on [0, 5]) on 200 fresh noisy copies
(generator seed 1) and compares the spread of the predictions, in units of y, at the middle of
the data (x = 2.5), its edge (x = 0) and beyond it (x = 10); it says "about 2 times" and
"about 5 times". Here the 200 copies come from five other generator seeds; the theory
(least squares, known noise) gives the ratios sqrt(1/n + (x0 - mean)^2 / Sxx) / sqrt(1/n).
"""

from __future__ import annotations

import torch

SEEDS = range(1, 6)


def run() -> list[dict]:
    x = torch.linspace(0, 5, 40, dtype=torch.float64)
    A = torch.stack([x, torch.ones_like(x)], dim=1)
    sxx = ((x - x.mean()) ** 2).sum()
    theory = {x0: (1 / 40 + (x0 - x.mean()) ** 2 / sxx).sqrt().item() / (1 / 40) ** 0.5 for x0 in (0.0, 10.0)}
    ratios: dict[float, list[float]] = {0.0: [], 10.0: []}
    for seed in SEEDS:
        gen = torch.Generator().manual_seed(seed)
        ys = 2 * x.float() + 1 + 0.8 * torch.randn(200, 40, generator=gen)
        fits = torch.linalg.lstsq(A.float().expand(200, 40, 2), ys.unsqueeze(-1)).solution.squeeze(-1)
        spread = {x0: (fits[:, 0] * x0 + fits[:, 1]).std().item() for x0 in (2.5, 0.0, 10.0)}
        for x0 in ratios:
            ratios[x0].append(spread[x0] / spread[2.5])
    rows = []
    for x0, values in ratios.items():
        where = "edge (x = 0)" if x0 == 0 else "beyond the data (x = 10)"
        rows.append({"benchmark": "nb00_claims", "metric": f"prediction spread, {where} / middle (x = 2.5), "
                     f"min of {len(SEEDS)} seeds", "value": min(values), "unit": "",
                     "note": f"theory {theory[x0]:.3f}; all: " + ", ".join(f"{v:.3f}" for v in values)})
        rows.append({"benchmark": "nb00_claims", "metric": f"prediction spread, {where} / middle (x = 2.5), "
                     f"max of {len(SEEDS)} seeds", "value": max(values), "unit": "", "note": f"theory {theory[x0]:.3f}"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']}: {row['value']:.3f}  ({row['note']})")
