"""Notebook 02 over five seeds: do its claims hold beyond the notebook's one run?

The notebook runs each demo once (data seed 42, model seed 0, shuffle seed 0). Here each seed
draws new data (and a new start and shuffle where there is one):

- section 5: lr 0.01 ends short of the minimum after 40 steps, 0.1 reaches it, 0.18 diverges;
  the theory behind it (cut from the student's path, for the teacher's guide): the curvatures
  (Hessian eigenvalues) of the MSE, the divergence limit 2 / lambda_max, the fastest constant step
  2 / (lambda_max + lambda_min) and its error factor per step (kappa - 1) / (kappa + 1);
- section 7.2: nn.Linear + SGD (batch 32, lr 0.05, StepLR x0.3 every 5 epochs, 15 epochs) recovers
  the line within 0.1;
- section 7.3: the spread of mini-batch gradients halves from batch 8 to 32; mini-batches (32, lr
  0.05) end far closer to the closed form than 5 full-batch steps (lr 0.15); sorted data read in
  order leaves a bias that shuffling removes; StepLR shrinks the jitter of w over the last epoch.
  A comparison holds when the worst run of the winner beats the best run of the loser: compare
  the "worst"/"best" rows of each pair;
- section 8: on three features of scales 1, 100, 1000, the best learning rate (of 1, 0.1, ...,
  1e-7) on raw features leaves the loss far above the noise after 300 steps, on standardised ones
  it reaches the noise level; the curvature ratio kappa of each.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

SEEDS = range(5)


def data(seed: int) -> tuple[torch.Tensor, torch.Tensor, float, float]:
    """The notebook's 800 training points (y = 3x + 2 + noise 0.5) for one seed, and the closed form."""
    gen = torch.Generator().manual_seed(seed)
    x = 4 * torch.rand(800, generator=gen)
    y = 3 * x + 2 + 0.5 * torch.randn(800, generator=gen)
    A = torch.stack([x, torch.ones_like(x)], dim=1)
    w, b = torch.linalg.lstsq(A, y[:, None]).solution.squeeze(1).tolist()
    return x[:, None], y[:, None], w, b


def gradient_descent(x: torch.Tensor, y: torch.Tensor, lr: float, steps: int) -> tuple[float, float, list[float]]:
    """Section 4's full-batch gradient descent from (0, 0); returns w, b and the losses."""
    w, b, losses = torch.zeros(x.shape[1]), torch.tensor(0.0), []
    for _ in range(steps):
        e = x @ w + b - y
        losses.append((e**2).mean().item())
        w, b = w - lr * 2 * x.T @ e / len(y), b - lr * 2 * e.mean()
    return w, b, losses


def curvatures(X: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of the MSE's Hessian in (w, b), smallest first (float64)."""
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1).double()
    return torch.linalg.eigvalsh(2 * A.T @ A / len(A))


def train(x: torch.Tensor, y: torch.Tensor, *, batch_size: int, shuffle: bool, lr: float, epochs: int, seed: int,
          gamma: float | None = None) -> tuple[nn.Linear, list[float]]:
    """The notebook's train_sgd: nn.Linear, MSE, SGD, optional StepLR; returns the model and w per step."""
    torch.manual_seed(seed)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=gamma) if gamma else None
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle,
                        generator=torch.Generator().manual_seed(seed) if shuffle else None)
    ws = []
    for _ in range(epochs):
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            ws.append(model.weight.item())
        if scheduler:
            scheduler.step()
    return model, ws


def three_features(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Section 8's 800 training rows: features on scales 1, 100, 1000, noise 0.1."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.rand(1000, 3, generator=gen) * torch.tensor([1.0, 100.0, 1000.0])
    y = X @ torch.tensor([2.0, -0.05, 0.004]) + 1.0 + 0.1 * torch.randn(1000, generator=gen)
    return X[:800], y[:800]


def run() -> list[dict]:
    results: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    for seed in SEEDS:
        x, y, w_ls, b_ls = data(42 + seed)
        # section 5: three learning rates, and the theory behind them
        for name, lr in [("too small, 0.01", 0.01), ("good, 0.1", 0.1), ("too large, 0.18", 0.18)]:
            w, b, losses = gradient_descent(x, y[:, 0], lr, 40)
            add(f"s5 loss after 40 steps, lr {name}", losses[-1] if math.isfinite(losses[-1]) else float("inf"))
            add(f"s5 distance to the closed form after 40 steps, lr {name}",
                max(abs(w.item() - w_ls), abs(b.item() - b_ls)) if math.isfinite(losses[-1]) else float("inf"))
        lam_min, lam_max = curvatures(x).tolist()
        add("s5 curvature lambda_min", lam_min)
        add("s5 curvature lambda_max", lam_max)
        add("s5 divergence limit 2 / lambda_max", 2 / lam_max)
        add("s5 fastest constant lr 2 / (lambda_max + lambda_min)", 2 / (lam_max + lam_min))
        kappa = lam_max / lam_min
        add("s5 error factor per step at the fastest constant lr, (kappa - 1) / (kappa + 1)", (kappa - 1) / (kappa + 1))
        # section 7.2: the notebook's training run
        model, _ = train(x, y, batch_size=32, shuffle=True, lr=0.05, epochs=15, seed=seed, gamma=0.3)
        add("s7.2 nn.Linear + SGD, largest distance to the truth (3, 2)",
            max(abs(model.weight.item() - 3), abs(model.bias.item() - 2)))

        def off(model: nn.Linear) -> float:
            return max(abs(model.weight.item() - w_ls), abs(model.bias.item() - b_ls))

        # section 7.3: gradient noise, then the three comparisons
        gen = torch.Generator().manual_seed(seed)
        spreads = {}
        for batch_size in (8, 32, 128):
            idx = torch.rand(5000, 800, generator=gen).argsort(dim=1)[:, :batch_size]
            xb, yb = x[idx, 0], y[idx, 0]
            spreads[batch_size] = (2 * (-yb * xb).mean(-1)).std().item()
        add("s7.3 spread ratio of dL/dw, batch 8 / batch 32", spreads[8] / spreads[32])
        add("s7.3 spread ratio of dL/dw, batch 32 / batch 128", spreads[32] / spreads[128])
        order = torch.argsort(x[:, 0])
        add("s7.3 distance to the closed form, full batch, 5 epochs",
            off(train(x, y, batch_size=800, shuffle=False, lr=0.15, epochs=5, seed=seed)[0]))
        add("s7.3 distance to the closed form, batches of 32, 5 epochs",
            off(train(x, y, batch_size=32, shuffle=True, lr=0.05, epochs=5, seed=seed)[0]))
        add("s7.3 distance to the closed form, sorted, in order",
            off(train(x[order], y[order], batch_size=32, shuffle=False, lr=0.05, epochs=5, seed=seed)[0]))
        add("s7.3 distance to the closed form, sorted, shuffled",
            off(train(x[order], y[order], batch_size=32, shuffle=True, lr=0.05, epochs=5, seed=seed)[0]))
        for gamma, name in [(None, "constant lr"), (0.3, "StepLR")]:
            ws = train(x, y, batch_size=32, shuffle=True, lr=0.05, epochs=15, seed=seed, gamma=gamma)[1]
            add(f"s7.3 spread of w over the last epoch, {name}", torch.tensor(ws[-25:]).std().item())
        # section 8: raw vs standardised features, each with its best learning rate
        X3, y3 = three_features(7 + seed)
        X3_std = (X3 - X3.mean(0)) / X3.std(0)
        for name, X in [("raw", X3), ("standardised", X3_std)]:
            best = min(((lr, gradient_descent(X, y3, lr, 300)[2]) for lr in [10.0**-k for k in range(8)]),
                       key=lambda run: run[1][-1] if math.isfinite(run[1][-1]) else float("inf"))
            add(f"s8 best lr, {name}", best[0])
            add(f"s8 loss after 300 steps at the best lr, {name} (noise level 0.01)", best[1][-1])
            add(f"s8 first step below 0.011, {name} (301 = never)",
                next((i for i, loss in enumerate(best[1]) if loss < 0.011), 301))
            lam = curvatures(X)
            add(f"s8 curvature ratio kappa, {name}", (lam[-1] / lam[0]).item())
    winners = {"s7.3 distance to the closed form, batches of 32, 5 epochs", "s7.3 distance to the closed form, sorted, shuffled",
               "s7.3 spread of w over the last epoch, StepLR"}
    losers = {"s7.3 distance to the closed form, full batch, 5 epochs", "s7.3 distance to the closed form, sorted, in order",
              "s7.3 spread of w over the last epoch, constant lr"}
    rows = []
    for name, values in results.items():
        if name in winners:
            label, value = "worst", max(values)
        elif name in losers:
            label, value = "best", min(values)
        else:
            label, value = "mean", sum(values) / len(values)
        rows.append({"benchmark": "nb02_claims", "metric": f"{name} ({label} of {len(SEEDS)} seeds)", "value": value,
                     "unit": "", "note": "all: " + ", ".join(f"{v:.4g}" for v in values)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']}: {row['value']:.4g}  ({row['note']})")
