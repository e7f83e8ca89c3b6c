"""The GPU claims behind ``fit``'s defaults (issue 20), one row each, per course model.

On a CUDA GPU it measures, for the course's three kinds of model (notebook 04's tiny MLP on 2-D
points, notebook 05's ``OurCNN`` at 64 px, EfficientNet-Lite0 from ``course_utils.pretrained``
fine-tuned at 128 px), training throughput in images (points) per second:

- a bare loop (forward, loss, zero_grad, backward, step) with the data already on the GPU, and
  the same loop fed by the loader ``fit`` gets: the ceiling, and the loop without ``fit``;
- ``fit`` with its defaults (float32, contiguous layout, no pinned memory, cuDNN's benchmark off);
- ``fit`` with each GPU option instead: ``amp=True``, ``channels_last=True`` (CNNs), both,
  a pinned-memory loader (``make_loader(pin_memory=True)``), ``torch.backends.cudnn.benchmark``;
- for each option, the ratio default ÷ option (above 1: the default is faster, as it should be);

and one training step of the tiny MLP on the CPU and on the GPU (``course_utils.timing.compare_devices``,
the cell notebooks 03 and 04 use to pick their device). On a machine without a CUDA GPU every
row is skipped with a note saying so (the value is NaN). ``make bench BENCH=bench_gpu`` runs it
alone; ``make gpu-check`` (scripts/gpu_check.py) runs it with the notebooks on the GPU. Benchmarks
measure, they never assert.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import TensorDataset

from course_utils.timing import compare_devices, median_time
from course_utils.training import fit, make_loader

REPEATS, WARMUP = 3, 1


class OurCNN(nn.Module):
    """Notebook 05's CNN (a copy, so the benchmark imports no notebook): 2 conv blocks, 3 linear layers."""

    def __init__(self, image_size: int = 64, num_classes: int = 2) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 18, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(18, 32, kernel_size=3),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, 3, image_size, image_size)).numel()
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_flat, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def tiny_mlp() -> nn.Module:
    """Notebook 04's network for the spiral: 2 inputs, two hidden layers of 16, two classes."""
    return nn.Sequential(
        nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2)
    )


def efficientnet() -> tuple[nn.Module, str]:
    """EfficientNet-Lite0 with its ImageNet weights and a 2-class head (random weights if not installed)."""
    from course_utils.pretrained import EfficientNetLite0, load_efficientnet_lite0

    try:
        net, note = load_efficientnet_lite0(), "ImageNet weights"
    except (FileNotFoundError, ValueError) as err:  # speed does not depend on the weights' values
        net, note = EfficientNetLite0(), f"random weights ({type(err).__name__})"
    net.classifier = nn.Linear(net.classifier.in_features, 2)
    return net.train(), note


#: name -> (model builder, input shape of one example, examples per epoch, batch size, is a CNN)
MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], int, int, bool]] = {
    "tiny MLP (notebook 04)": (tiny_mlp, (2,), 8192, 250, False),
    "OurCNN 64 px (notebook 05)": (OurCNN, (3, 64, 64), 4096, 32, True),
    "EfficientNet-Lite0 128 px (notebook 06)": (
        lambda: efficientnet()[0],
        (3, 128, 128),
        1024,
        64,
        True,
    ),
}


@contextlib.contextmanager
def cudnn_benchmark(on: bool):
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = on
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


def throughput(epoch: Callable[[], object], n: int, device: torch.device) -> float:
    """Examples per second of one epoch: median of REPEATS timed epochs after WARMUP, GPU synchronised."""
    return n / median_time(epoch, device=device, repeats=REPEATS, warmup=WARMUP)


def measure_model(name: str, device: torch.device) -> list[dict]:
    build, shape, n, batch, cnn = MODELS[name]
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(n, *shape, generator=g), torch.randint(0, 2, (n,), generator=g)
    )
    loss_fn = nn.CrossEntropyLoss()
    note = f"{n} random examples of shape {tuple(shape)}, batch {batch}, Adam, median of {REPEATS} epochs"

    def fit_epoch(model: nn.Module, loader, **options) -> Callable[[], object]:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        return lambda: fit(
            model, loader, loss_fn=loss_fn, optimizer=optimizer, epochs=1, progress=False, **options
        )

    def bare_epoch(model: nn.Module, batches) -> Callable[[], None]:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def run() -> None:
            model.train()
            for X, y in batches():
                X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
                loss = loss_fn(model(X), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

        return run

    def fresh() -> nn.Module:
        torch.manual_seed(0)
        return build().to(device)

    loader = make_loader(
        data, batch, shuffle=True, device=device, generator=torch.Generator().manual_seed(0)
    )
    X_gpu, y_gpu = data.tensors[0].to(device), data.tensors[1].to(device)
    on_gpu = lambda: ((X_gpu[i : i + batch], y_gpu[i : i + batch]) for i in range(0, n, batch))  # noqa: E731
    speeds = {
        "bare loop, data already on the GPU": throughput(bare_epoch(fresh(), on_gpu), n, device),
        "bare loop, fed by the same loader as fit": throughput(
            bare_epoch(fresh(), lambda: loader), n, device
        ),
        "fit, defaults": throughput(fit_epoch(fresh(), loader), n, device),
        "fit, amp=True": throughput(fit_epoch(fresh(), loader, amp=True), n, device),
    }
    if cnn:
        speeds["fit, channels_last=True"] = throughput(
            fit_epoch(fresh(), loader, channels_last=True), n, device
        )
        speeds["fit, amp=True and channels_last=True"] = throughput(
            fit_epoch(fresh(), loader, amp=True, channels_last=True), n, device
        )
    pinned = make_loader(
        data,
        batch,
        shuffle=True,
        device=device,
        generator=torch.Generator().manual_seed(0),
        pin_memory=True,
    )
    speeds["fit, pinned memory (make_loader pin_memory=True)"] = throughput(
        fit_epoch(fresh(), pinned), n, device
    )
    if cnn:
        with cudnn_benchmark(True):
            speeds["fit, torch.backends.cudnn.benchmark = True"] = throughput(
                fit_epoch(fresh(), loader), n, device
            )
    rows = [
        {
            "benchmark": "gpu",
            "metric": f"{name}: {what}",
            "value": value,
            "unit": "examples/s",
            "note": note,
        }
        for what, value in speeds.items()
    ]
    default = speeds["fit, defaults"]
    rows.append(
        {
            "benchmark": "gpu",
            "metric": f"{name}: fit ÷ bare loop (same loader)",
            "unit": "×",
            "value": default / speeds["bare loop, fed by the same loader as fit"],
            "note": "1.0 = fit adds no overhead",
        }
    )
    for what, value in speeds.items():
        if what.startswith("fit, ") and what != "fit, defaults":
            rows.append(
                {
                    "benchmark": "gpu",
                    "metric": f"{name}: fit default ÷ {what[5:]}",
                    "unit": "×",
                    "value": default / value,
                    "note": "above 1: the default is faster; below 1: the option is faster, "
                    "consider making it fit's default (course_utils/training.py)",
                }
            )
    return rows


def mlp_step_on_each_device() -> list[dict]:
    """One full-batch training step of notebook 04's MLP on 250 points, on the CPU and on the GPU."""

    def make_step(device: torch.device) -> Callable[[], None]:
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)
        ).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
        X, y = (
            torch.randn(250, 2, device=device),
            torch.randint(0, 2, (250,), device=device).float(),
        )

        def step() -> None:
            loss = nn.functional.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        return step

    times = compare_devices(make_step, ["cpu", "cuda"], repeats=50, warmup=10)
    note = f"compare_devices, median of 50 steps, CPU threads: {torch.get_num_threads()}"
    return [
        {
            "benchmark": "gpu",
            "metric": "tiny MLP step on the CPU",
            "value": times["cpu"] * 1e3,
            "unit": "ms",
            "note": note,
        },
        {
            "benchmark": "gpu",
            "metric": "tiny MLP step on the GPU",
            "value": times["cuda"] * 1e3,
            "unit": "ms",
            "note": note,
        },
        {
            "benchmark": "gpu",
            "metric": "tiny MLP step: GPU time ÷ CPU time",
            "value": times["cuda"] / times["cpu"],
            "unit": "×",
            "note": "above 1: the CPU is faster for this model, as notebooks 03 and 04 expect",
        },
    ]


def skipped(reason: str) -> list[dict]:
    """One note row per claim, so a CPU-only report says what it did not measure."""
    claims = ["tiny MLP step: GPU time ÷ CPU time"] + [
        f"{name}: fit default vs each GPU option, and vs a bare loop" for name in MODELS
    ]
    return [
        {
            "benchmark": "gpu",
            "metric": claim,
            "value": math.nan,
            "unit": "",
            "note": f"SKIPPED: {reason}",
        }
        for claim in claims
    ]


def run() -> list[dict]:
    if not torch.cuda.is_available():
        return skipped(
            "no CUDA GPU on this machine (torch.cuda.is_available() is False); run `make gpu-check` "
            "where there is one"
        )
    device = torch.device("cuda")
    start = time.perf_counter()
    rows = mlp_step_on_each_device()
    for name in MODELS:
        rows += measure_model(name, device)
    weights = efficientnet()[1]
    gpu = torch.cuda.get_device_name(0)
    for row in rows:
        row["note"] = (
            f"{row['note']}; {gpu}, torch {torch.__version__}, CUDA {torch.version.cuda}"
            + (f", EfficientNet-Lite0 {weights}" if "EfficientNet" in row["metric"] else "")
        )
    rows.append(
        {
            "benchmark": "gpu",
            "metric": "bench_gpu wall time",
            "value": time.perf_counter() - start,
            "unit": "s",
            "note": gpu,
        }
    )
    return rows


if (
    __name__ == "__main__"
):  # python tests/bench/bench_gpu.py [--json rows.json] (scripts/gpu_check.py uses it)
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description="the GPU rows of make bench")
    parser.add_argument("--json", help="also write the rows to this file")
    rows = run()
    for row in rows:
        print(f"{row['metric']}: {row['value']:.4g} {row['unit']}  {row.get('note', '')}")
    target = parser.parse_args().json
    if target:
        Path(target).write_text(json.dumps(rows, indent=2), encoding="utf-8")
