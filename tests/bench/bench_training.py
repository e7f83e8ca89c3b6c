"""Throughput of course_utils.training.fit vs a bare PyTorch loop: same model, data and optimiser.

The bare loop is the minimum (forward, loss, zero_grad, backward, step; nothing recorded), so
the ratio fit ÷ bare measures the loop's overhead (1.0 = none). Runs on the course's device
(CPU here); on CUDA it also reports fit with and without mixed precision.
"""

from __future__ import annotations

import statistics
import time

import torch
from report_rows import row
from torch import nn
from torch.utils.data import TensorDataset

from course_utils.device import get_device
from course_utils.training import fit, make_loader

N, SIZE, BATCH, RUNS = 512, 64, 32, 3


def small_cnn() -> nn.Module:
    """The notebook's architecture at 64 pixels (conv 3→18 5×5, pool, conv 18→32 3×3, pool, 120, 84, 2)."""
    return nn.Sequential(
        nn.Conv2d(3, 18, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(18, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 14 * 14, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 2),
    )


def bare_epoch(model, loader, optimizer, loss_fn, device) -> None:
    model.train()
    for X, y in loader:
        X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = loss_fn(model(X), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()


def run() -> list[dict]:
    device = get_device()
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(N, 3, SIZE, SIZE, generator=g), torch.randint(0, 2, (N,), generator=g)
    )
    loader = make_loader(data, BATCH, shuffle=True, device=device, generator=g)
    loss_fn = nn.CrossEntropyLoss()
    torch.manual_seed(0)
    model = small_cnn().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    bare_epoch(model, loader, optimizer, loss_fn, device)  # warm-up

    def fit_epochs(epochs: int, **options) -> None:
        """The course's fit on the same model, data and optimiser, without a progress bar."""
        fit(
            model,
            loader,
            loss_fn=loss_fn,
            optimizer=optimizer,
            epochs=epochs,
            progress=False,
            **options,
        )

    bare, looped = [], []
    for _ in range(RUNS):  # alternate, so that a busy machine slows both alike
        start = time.perf_counter()
        bare_epoch(model, loader, optimizer, loss_fn, device)
        bare.append(N / (time.perf_counter() - start))
        start = time.perf_counter()
        fit_epochs(1, amp=False, channels_last=False)
        looped.append(N / (time.perf_counter() - start))
    note = f"{N} random 3×{SIZE}×{SIZE} images, batch {BATCH}, {device}, median of {RUNS} epochs"
    rows = [
        row("training", "bare loop", statistics.median(bare), "images/s", note),
        row("training", "course fit", statistics.median(looped), "images/s", note),
        row(
            "training",
            "fit ÷ bare throughput",
            statistics.median(looped) / statistics.median(bare),
            "×",
            "1.0 = no overhead; train epochs only, no validation",
        ),
    ]
    if device.type == "cuda":
        for amp in (False, True):
            start = time.perf_counter()
            fit_epochs(RUNS, amp=amp)
            torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            rows.append(
                row(
                    "training",
                    f"course fit on GPU, amp={amp}",
                    RUNS * N / seconds,
                    "images/s",
                    note + ", channels_last",
                )
            )
    return rows
