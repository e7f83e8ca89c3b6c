"""Every comparative claim of notebooks 03 and 04, measured over five seeds.

A notebook shows one run (seed 0) and guards it with a checked line; this benchmark says whether
the claim holds beyond that seed. It runs the notebooks' own code: the definitions are executed
from the notebook files (so a change there is measured here), only the experiment loops are
repeated with other seeds. Each row gives the mean over the seeds and, in its note, the value per
seed and on how many seeds the claim holds. Seed ``s`` draws the train/test split, the
initial weights and the batch order (and, for the noisy data of 04 § 6.6, the noise).
Run alone: ``python tests/bench/run_benchmarks.py bench_spiral_claims`` (about 5 minutes of CPU).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import nbformat
import torch
from IPython.core.inputtransformer2 import TransformerManager

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SEEDS = range(5)


def notebook_namespace(name: str, *markers: str) -> dict:
    """Execute the setup cell and the code cells of a notebook that contain any of ``markers``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code" and "google.colab" not in c.source]
    chosen = [code[0]] + [s for s in code[1:] if any(m in s for m in markers)]
    namespace: dict = {"__name__": "notebook"}
    for source in chosen:
        exec(compile(TransformerManager().transform_cell(source), name, "exec"), namespace)  # noqa: S102
    return namespace


def row(metric: str, values: list[float], holds: list[bool] | None = None, unit: str = "", fmt: str = ".3f") -> dict:
    note = f"seeds {SEEDS[0]}-{SEEDS[-1]}: " + ", ".join(f"{v:{fmt}}" for v in values)
    if holds is not None:
        note += f"; holds on {sum(holds)}/{len(holds)} seeds"
    return {"benchmark": "spiral claims", "metric": metric, "value": statistics.mean(values), "unit": unit, "note": note}


def spiral_04(seed: int, ns: dict) -> tuple:
    X, y_pm = ns["make_spiral"](500, noise=0)
    return ns["split_train_test"](X, (y_pm > 0).float(), 50, generator=torch.Generator().manual_seed(seed))


def noisy_04(seed: int, ns: dict) -> tuple:
    """04 § 6.6: noise 30, 100 points to train, 200 to validate, 200 to test."""
    X, y_pm = ns["make_spiral"](500, noise=30, generator=torch.Generator().manual_seed(seed))
    split = torch.Generator().manual_seed(100 + seed)
    Xa, ya, X_rest, y_rest = ns["split_train_test"](X, (y_pm > 0).float(), 20, generator=split)
    Xv, yv, Xt, yt = ns["split_train_test"](X_rest, y_rest, 50, generator=split)
    return (Xa, ya, Xv, yv), (Xt, yt)


def test_scores(ns: dict, model, Xt, yt) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        loss = ns["loss_fn"](model(Xt).squeeze(1), yt).item()
    return ns["spiral_accuracy"](model, ns["xy"], Xt, yt), loss


def early_stopped(ns: dict, seed: int, data: tuple) -> torch.nn.Module:
    """04 § 6.6: the notebook's ``train_early_stopping`` (patience 30) from the seed's start."""
    _ = torch.manual_seed(seed)
    model = ns["mlp"](2, [64, 64])
    ns["train_early_stopping"](model, data)
    return model


def xor_04(seed: int, ns: dict) -> tuple:
    """04 § 6.6: TF Playground's XOR at noise 30 (labels decided after the noise), 100/200/200 points."""
    from course_utils.playground_data import xor

    X, y_pm = xor(500, 0.30, torch.Generator().manual_seed(seed))
    split = torch.Generator().manual_seed(100 + seed)
    Xa, ya, X_rest, y_rest = ns["split_train_test"](X.float(), (y_pm > 0).float(), 20, generator=split)
    Xv, yv, Xt, yt = ns["split_train_test"](X_rest, y_rest, 50, generator=split)
    return (Xa, ya, Xv, yv), (Xt, yt)


def namespace_04() -> dict:
    return notebook_namespace("04_spiral_classification.ipynb", "X, y_pm = make_spiral(500, noise=0)",
                              "data = (X_train, y_train, X_test, y_test)", "def run(", "def train_early_stopping(")


def claims_04_early_stopping_xor() -> list[dict]:
    """Early stopping against 300 epochs on noisy-label XOR: test accuracy per seed."""
    ns = namespace_04()
    full, stopped = [], []
    for seed in SEEDS:
        data, (Xt, yt) = xor_04(seed, ns)
        full.append(ns["spiral_accuracy"](ns["run"]([64, 64], data=data, lr=0.01, seed=seed)[0], ns["xy"], Xt, yt))
        stopped.append(ns["spiral_accuracy"](early_stopped(ns, seed, data), ns["xy"], Xt, yt))
    holds = [s > f for s, f in zip(stopped, full)]
    return [row("6.6 XOR noise 30: 300 epochs, test accuracy", full),
            row("6.6 XOR noise 30: early stopping, test accuracy", stopped),
            row("04 claim: 6.6 XOR: early stopping raises the test accuracy", [float(h) for h in holds], holds,
                unit="share of seeds", fmt=".0f")]


def claims_04() -> list[dict]:
    ns = namespace_04()
    run, xy, all7 = ns["run"], ns["xy"], ns["all7"]
    out: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        out.setdefault(key, []).append(value)

    for seed in SEEDS:
        data = spiral_04(seed, ns)
        add("features: [8] on x1, x2", run([8], phi=xy, data=data, seed=seed)[2])
        add("features: [8] on all 7", run([8], phi=all7, data=data, seed=seed)[2])
        add("features: linear on all 7", run([], phi=all7, data=data, seed=seed)[2])
        for hidden in ([32], [8, 8]):
            add(f"depth/width: {hidden}", run(hidden, data=data, seed=seed)[2])
        _, hist, acc = run([16, 16], data=data, seed=seed)                      # section 5: Adam, lr 0.03
        add("Adam lr 0.03 (tanh), test accuracy", acc)
        add("Adam lr 0.03 (tanh), final train loss", hist["train"][-1])
        add("Adam lr 0.03 (tanh), final test loss", hist["test"][-1])
        for activation in (ns["nn"].Identity, ns["nn"].Sigmoid, ns["nn"].ReLU):
            _, hist_a, acc_a = run([16, 16], activation, data=data, seed=seed)
            add(f"activation {activation.__name__}, test accuracy", acc_a)
            add(f"activation {activation.__name__}, final test loss", hist_a["test"][-1])
        add("linear model, test accuracy", run([], data=data, seed=seed)[2])
        for lr in (0.001, 1.0):
            add(f"Adam lr {lr:g}, final train loss", run([16, 16], lr=lr, data=data, seed=seed)[1]["train"][-1])
        for batch_size in (10, 50, 250):
            hist_b = run([16, 16], batch_size=batch_size, epochs=60, data=data, seed=seed)[1]
            add(f"batch {batch_size}, 60 epochs, final train loss", hist_b["train"][-1])
        for optimizer, lr in (("sgd", 3.0), ("momentum", 0.3), ("sgd", 10.0)):
            hist_o = run([16, 16], optimizer=optimizer, lr=lr, data=data, seed=seed)[1]
            add(f"{optimizer} lr {lr:g}, final train loss", hist_o["train"][-1])

        small, (Xt, yt) = noisy_04(seed, ns)
        for name, kwargs in {"no regularisation": {}, "L2 1e-3": {"weight_decay": 1e-3}, "L1 1e-3": {"l1": 1e-3},
                             "dropout 0.1": {"dropout": 0.1}}.items():
            model, hist_r, _ = run([64, 64], data=small, lr=0.01, seed=seed, **kwargs)
            test_acc, test_loss = test_scores(ns, model, Xt, yt)
            add(f"6.6 {name}: min validation loss", min(hist_r["test"]))
            add(f"6.6 {name}: last validation loss", hist_r["test"][-1])
            add(f"6.6 {name}: test accuracy", test_acc)
            add(f"6.6 {name}: test loss", test_loss)
        test_acc, test_loss = test_scores(ns, early_stopped(ns, seed, small), Xt, yt)
        add("6.6 early stopping: test accuracy", test_acc)
        add("6.6 early stopping: test loss", test_loss)

    rows = [row(metric, values) for metric, values in out.items()]
    pairs = [  # (claim, smaller, larger): the claim is that `smaller` < `larger` on each seed
        ("all 7 features beat x1, x2 by 0.05+ ([8] net)", [a + 0.05 for a in out["features: [8] on x1, x2"]], out["features: [8] on all 7"]),
        ("[8, 8] (105 par.) beats [32] (129 par.)", out["depth/width: [32]"], out["depth/width: [8, 8]"]),
        ("sigmoid's test loss above tanh's", out["Adam lr 0.03 (tanh), final test loss"], out["activation Sigmoid, final test loss"]),
        ("sigmoid's test loss above ReLU's", out["activation ReLU, final test loss"], out["activation Sigmoid, final test loss"]),
        ("lr 0.03 ends below lr 0.001", out["Adam lr 0.03 (tanh), final train loss"], out["Adam lr 0.001, final train loss"]),
        ("lr 0.03 ends below lr 1", out["Adam lr 0.03 (tanh), final train loss"], out["Adam lr 1, final train loss"]),
        ("per epoch: batch 50 ends below batch 250", out["batch 50, 60 epochs, final train loss"], out["batch 250, 60 epochs, final train loss"]),
        ("per epoch: batch 50 ends below batch 10", out["batch 50, 60 epochs, final train loss"], out["batch 10, 60 epochs, final train loss"]),
        ("per update (300): batch 250 ends below batch 50", out["Adam lr 0.03 (tanh), final train loss"], out["batch 50, 60 epochs, final train loss"]),
        ("momentum lr 0.3 ends below SGD lr 3 (same effective step)", out["momentum lr 0.3, final train loss"], out["sgd lr 3, final train loss"]),
        ("Adam lr 0.03 ends below momentum lr 0.3", out["Adam lr 0.03 (tanh), final train loss"], out["momentum lr 0.3, final train loss"]),
        ("6.6 no regularisation: last val. loss > 2 × its minimum", [2 * v for v in out["6.6 no regularisation: min validation loss"]], out["6.6 no regularisation: last validation loss"]),
        ("6.6 early stopping lowers the test loss", out["6.6 early stopping: test loss"], out["6.6 no regularisation: test loss"]),
        ("6.6 early stopping lowers the test accuracy", out["6.6 early stopping: test accuracy"], out["6.6 no regularisation: test accuracy"]),
    ]
    for name in ("L2 1e-3", "L1 1e-3", "dropout 0.1"):
        pairs.append((f"6.6 {name} lowers the test loss", out[f"6.6 {name}: test loss"], out["6.6 no regularisation: test loss"]))
        pairs.append((f"6.6 {name} lowers the test accuracy", out[f"6.6 {name}: test accuracy"], out["6.6 no regularisation: test accuracy"]))
    for claim, smaller, larger in pairs:
        holds = [s < l for s, l in zip(smaller, larger)]
        rows.append(row(f"04 claim: {claim}", [float(h) for h in holds], holds, unit="share of seeds", fmt=".0f"))
    return rows


def claims_03() -> list[dict]:
    """03 § 7: MSE of one hidden layer of 1, 3, 10 and 50 tanh neurons on sin(2x) + 0.3x."""
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    x_1d = torch.linspace(-3, 3, 200).unsqueeze(1)
    y_1d = torch.sin(2 * x_1d) + 0.3 * x_1d
    mse: dict[int, list[float]] = {1: [], 3: [], 10: [], 50: []}
    for seed in SEEDS:
        loader = DataLoader(TensorDataset(x_1d, y_1d), batch_size=50, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        for width in mse:
            _ = torch.manual_seed(seed)
            model = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, 1))
            optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
            for _ in range(250):
                for xb, yb in loader:
                    loss = F.mse_loss(model(xb), yb)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
            with torch.no_grad():
                mse[width].append(F.mse_loss(model(x_1d), y_1d).item())
    bounds = {1: (0.2, None), 3: (None, 0.1), 10: (None, 0.03), 50: (None, 0.01)}
    rows = []
    for width, values in mse.items():
        low, high = bounds[width]
        holds = [(low is None or v > low) and (high is None or v < high) for v in values]
        claim = f"MSE > {low}" if low is not None else f"MSE < {high}"
        rows.append(row(f"03 § 7: {width} neurons, {claim}", values, holds, unit="MSE", fmt=".4f"))
    return rows


def run() -> list[dict]:
    torch.set_num_threads(1)
    return claims_03() + claims_04() + claims_04_early_stopping_xor()
