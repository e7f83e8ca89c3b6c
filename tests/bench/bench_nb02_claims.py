"""Notebook 02, section 8.4, over five seeds: do its three comparisons hold beyond seed 0?

The notebook runs each comparison once (data seed 42, model seed 0, shuffle seed 0) and says:
mini-batches (32, lr 0.05) end far closer to the closed form than 5 full-batch steps (lr 0.15);
sorted data read in order leaves a bias that shuffling removes; StepLR (x0.3 every 5 epochs)
shrinks the jitter of w over the last epoch. Here each seed draws new data, a new start and a
new shuffle. A claim holds when the worst run of the winner beats the best run of the loser:
compare the "worst"/"best" rows of each pair.
"""

from __future__ import annotations

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


def run() -> list[dict]:
    results: dict[str, list[float]] = {}
    for seed in SEEDS:
        x, y, w_ls, b_ls = data(42 + seed)

        def off(model: nn.Linear) -> float:
            return max(abs(model.weight.item() - w_ls), abs(model.bias.item() - b_ls))

        order = torch.argsort(x[:, 0])
        runs = {
            "full batch, 5 epochs": off(train(x, y, batch_size=800, shuffle=False, lr=0.15, epochs=5, seed=seed)[0]),
            "batches of 32, 5 epochs": off(train(x, y, batch_size=32, shuffle=True, lr=0.05, epochs=5, seed=seed)[0]),
            "sorted, in order": off(train(x[order], y[order], batch_size=32, shuffle=False, lr=0.05, epochs=5,
                                          seed=seed)[0]),
            "sorted, shuffled": off(train(x[order], y[order], batch_size=32, shuffle=True, lr=0.05, epochs=5,
                                          seed=seed)[0]),
        }
        for gamma, name in [(None, "constant lr"), (0.3, "StepLR")]:
            ws = train(x, y, batch_size=32, shuffle=True, lr=0.05, epochs=15, seed=seed, gamma=gamma)[1]
            runs[f"spread of w over the last epoch, {name}"] = torch.tensor(ws[-25:]).std().item()
        for name, value in runs.items():
            results.setdefault(name, []).append(value)
    winners = {"batches of 32, 5 epochs", "sorted, shuffled", "spread of w over the last epoch, StepLR"}
    rows = []
    for name, values in results.items():
        worst_or_best = ("worst", max(values)) if name in winners else ("best", min(values))
        metric = name if name.startswith("spread") else f"distance to the closed form, {name}"
        rows.append({"benchmark": "nb02_claims", "metric": f"{metric} ({worst_or_best[0]} of {len(SEEDS)} seeds)",
                     "value": worst_or_best[1], "unit": "",
                     "note": "all: " + ", ".join(f"{v:.3f}" for v in values)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']}: {row['value']:.3f}  ({row['note']})")
