"""Notebook 02 over five seeds: the theory behind its learning-rate and standardisation sections.

The notebook's own checked claims (seeds 0-4, 1, 2 and 4 threads, worst margins) are
``bench_checked_lines``' rows for 02. This module adds what the notebook leaves to the teacher's
guide, on the same data (``SEED = s`` draws the notebook's 800 training points with generator
seed ``s + 42``, and section 8's features with ``s + 7``):

- section 5: the curvatures (Hessian eigenvalues) of the MSE in (w, b), the divergence limit
  2 / lambda_max, the fastest constant step 2 / (lambda_max + lambda_min) and its error factor per
  step (kappa - 1) / (kappa + 1): why lr 0.18 diverges and 0.1 does not;
- section 8: the curvature ratio kappa on raw and on standardised features.
"""

from __future__ import annotations

import torch

SEEDS = range(5)


def training_x(seed: int) -> torch.Tensor:
    """The notebook's 800 training inputs for ``SEED = seed`` (section 1), shape (800, 1)."""
    gen = torch.Generator().manual_seed(seed + 42)
    x = 4 * torch.rand(1000, generator=gen)
    torch.randn(1000, generator=gen)  # the noise, drawn before the split as in the notebook
    order = torch.randperm(1000, generator=gen)
    return x[order[:800], None]


def three_features(seed: int) -> torch.Tensor:
    """Section 8's 800 training rows: features on scales 1, 100, 1000."""
    gen = torch.Generator().manual_seed(seed + 7)
    return (torch.rand(1000, 3, generator=gen) * torch.tensor([1.0, 100.0, 1000.0]))[:800]


def curvatures(X: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of the MSE's Hessian in (w, b), smallest first (float64)."""
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1).double()
    return torch.linalg.eigvalsh(2 * A.T @ A / len(A))


def run() -> list[dict]:
    results: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    for seed in SEEDS:
        lam_min, lam_max = curvatures(training_x(seed)).tolist()
        add("s5 curvature lambda_min", lam_min)
        add("s5 curvature lambda_max", lam_max)
        add("s5 divergence limit 2 / lambda_max", 2 / lam_max)
        add("s5 fastest constant lr 2 / (lambda_max + lambda_min)", 2 / (lam_max + lam_min))
        kappa = lam_max / lam_min
        add(
            "s5 error factor per step at the fastest constant lr, (kappa - 1) / (kappa + 1)",
            (kappa - 1) / (kappa + 1),
        )
        X3 = three_features(seed)
        for name, X in [("raw", X3), ("standardised", (X3 - X3.mean(0)) / X3.std(0))]:
            lam = curvatures(X)
            add(f"s8 curvature ratio kappa, {name}", (lam[-1] / lam[0]).item())
    return [
        {
            "benchmark": "nb02_claims",
            "metric": f"{name} (min of {len(SEEDS)} seeds)",
            "value": min(values),
            "unit": "",
            "note": "all: " + ", ".join(f"{v:.4g}" for v in values),
        }
        for name, values in results.items()
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']}: {row['value']:.4g}  ({row['note']})")
