"""'Export as PyTorch': a stand-alone script that rebuilds and trains the playground's network.

The script uses only ``torch`` and ``math``: it makes the same data (the generator's own source
from :mod:`course_utils.playground.data`, or your points written out), the same initial weights
(same seed, same ``torch.rand`` calls), and trains with ``torch.optim.SGD`` in the web
version's batch order and regularisation step, in float64. Run on its own it prints the
playground's losses (``tests/course_utils/playground/test_playground_export.py`` checks them to 6 decimals).
"""

from __future__ import annotations

import inspect

import numpy as np

from course_utils.playground.data import DATASETS, NUM_SAMPLES, REGRESSION

__all__ = ["export_pytorch"]

#: Each playground feature as PyTorch code on points ``X`` (N, 2).
FEATURE_CODE: dict[str, str] = {
    "x1": "X[:, 0]",
    "x2": "X[:, 1]",
    "x1^2": "X[:, 0] ** 2",
    "x2^2": "X[:, 1] ** 2",
    "x1*x2": "X[:, 0] * X[:, 1]",
    "sin(x1)": "torch.sin(X[:, 0])",
    "sin(x2)": "torch.sin(X[:, 1])",
}
ACTIVATION_CODE = {
    "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()",
    "sigmoid": "nn.Sigmoid()",
    "linear": "nn.Identity()",
}
LOSS_CODE = {
    "tf": (
        "TF Playground's loss: output tanh(z), targets ±1, mean of ½(output − target)²",
        "(0.5 * (torch.tanh(z[:, 0]) - (2 * y - 1)) ** 2).mean()",
    ),
    "bce": (
        "BCEWithLogitsLoss on the logit z",
        "nn.functional.binary_cross_entropy_with_logits(z[:, 0], y)",
    ),
    "ce": ("softmax + cross-entropy over the classes", "nn.functional.cross_entropy(z, y.long())"),
    "mse": (
        "regression: linear output, mean of ½(z − target)²",
        "(0.5 * (z[:, 0] - y) ** 2).mean()",
    ),
}
REGULARIZATION_CODE = {
    "L1": """
        # L1 as TF Playground does it: after the step, w -= lr·rate·sign(w before the step); a weight
        # that this carries across 0 becomes 0 and stays there.
        with torch.no_grad():
            for linear, old, frozen in zip(linears, before, dead):
                stepped = linear.weight.detach().clone()
                new = stepped - group_lr * REGULARIZATION_RATE * torch.where(frozen, 0.0, torch.sign(old))
                crossed = (stepped * new < 0) & ~frozen
                new[crossed] = 0.0
                frozen |= crossed
                linear.weight.copy_(new)""",
    "L2": """
        # L2 as TF Playground does it: after the step, w -= lr·rate·(w before the step).
        with torch.no_grad():
            for linear, old in zip(linears, before):
                linear.weight.sub_(group_lr * REGULARIZATION_RATE * old)""",
}


def _array_code(name: str, values: np.ndarray) -> str:
    rows = ",\n    ".join(repr(row) for row in values.tolist())
    return f"{name} = torch.tensor([\n    {rows},\n])"


def export_pytorch(
    settings: dict,
    *,
    seed: int,
    epochs: int,
    learning_rates: dict[int, float],
    n_classes: int,
    own_data: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    """PyTorch code that builds and trains the network ``settings`` describes, for ``epochs`` epochs.

    ``settings`` is :meth:`Playground.settings`; ``learning_rates`` maps the epoch from which a
    rate applied to the rate (the rate can change while the playground trains); ``n_classes`` is
    0 for regression. ``own_data`` are your points and labels, written into the script.

    Example:
        >>> settings = {"dataset": "xor", "features": ["x1", "x2"], "hidden": [3], "activation": "tanh",
        ...             "loss": "tf", "batch_size": 10, "noise": 0, "train_percent": 50,
        ...             "regularization": "none", "regularization_rate": 0.0}
        >>> code = export_pytorch(settings, seed=0, epochs=5, learning_rates={0: 0.03}, n_classes=2)
        >>> "def xor(" in code and "EPOCHS = 5" in code
        True
    """
    s = settings
    if s["regularization"] != "none" and s["regularization_rate"] > 0:
        regularization = REGULARIZATION_CODE[s["regularization"]]
        before = "        before = [linear.weight.detach().clone() for linear in linears]\n"
    else:
        regularization, before = "", ""
    n_outputs = n_classes if n_classes > 2 else 1
    if own_data is not None:
        data = (
            f"{_array_code('X', own_data[0])}\n{_array_code('y', own_data[1])}\n"
            "g = torch.Generator().manual_seed(SEED)"
        )
    else:
        generator = DATASETS[s["dataset"]]
        n = NUM_SAMPLES["regression" if s["dataset"] in REGRESSION else "classification"]
        data = (
            f"{inspect.getsource(generator).rstrip()}\n\n\n"
            f"g = torch.Generator().manual_seed(SEED)\n"
            f"X, y = {generator.__name__}({n}, {s['noise'] / 100!r}, g)"
        )
        if n_classes:
            data += "\ny = (y > 0).double()  # TF Playground's labels -1/+1 as classes 0/1"
    features = ", ".join(FEATURE_CODE[f] for f in s["features"])
    summary = (
        f"{s.get('dataset', 'own data')}, features {', '.join(s['features'])}, hidden {s['hidden']}, "
        f"{s['activation']}, batch {s['batch_size']}, {s['train_percent']} % train, noise {s['noise']}"
    )
    dead = (
        "dead = [torch.zeros_like(linear.weight, dtype=torch.bool) for linear in linears]"
        if regularization and s["regularization"] == "L1"
        else ""
    )
    mask = (
        "\n        for linear, frozen in zip(linears, dead):\n"
        "            linear.weight.grad[frozen] = 0.0  # frozen by L1"
        if dead
        else ""
    )
    accuracy = (
        ""
        if not n_classes
        else "\n        hit = (z.argmax(1) == y) if z.shape[1] > 1 else ((z[:, 0] > 0) == (y > 0.5))"
        '\n        print(f"{name} accuracy: {hit.double().mean().item():.6f}")'
    )
    return f'''"""Exported from the course playground: {summary}.

Plain PyTorch (float64, like the playground): rebuilds the data, the network and its training,
and prints the losses the playground showed after {epochs} epochs.
"""
import math

import torch
from torch import nn

torch.set_default_dtype(torch.float64)
SEED = {seed}
EPOCHS = {epochs}
BATCH_SIZE = {s["batch_size"]}
LEARNING_RATES = {learning_rates!r}  # epoch -> learning rate from that epoch on
REGULARIZATION_RATE = {s["regularization_rate"]!r}  # {s["regularization"]}

{data}
order = torch.randperm(len(X), generator=g)  # shuffle once, first {s["train_percent"]} % train
n_train = len(X) * {s["train_percent"]} // 100
X, y = X[order], y[order]
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def features(X):
    return torch.stack([{features}], dim=1)  # {", ".join(s["features"])}


init = torch.Generator().manual_seed(SEED)
sizes = {[len(s["features"]), *s["hidden"], n_outputs]!r}
layers = []
for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
    linear = nn.Linear(n_in, n_out)
    with torch.no_grad():  # TF Playground's start: weights U(-0.5, 0.5), biases 0.1
        linear.weight.copy_(torch.rand(n_out, n_in, generator=init) - 0.5)
        linear.bias.fill_(0.1)
    layers += [linear] if i == len(sizes) - 2 else [linear, {ACTIVATION_CODE[s["activation"]]}]
model = nn.Sequential(*layers)
linears = [m for m in model if isinstance(m, nn.Linear)]
{dead}

def loss_fn(z, y):  # {LOSS_CODE[s["loss"]][0]}
    return {LOSS_CODE[s["loss"]][1]}


optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATES[0])
F_train, F_test = features(X_train), features(X_test)
pending = torch.zeros(0, dtype=torch.long)  # TF Playground carries an epoch's last points over
for epoch in range(EPOCHS):
    group_lr = LEARNING_RATES.get(epoch, optimizer.param_groups[0]["lr"])
    optimizer.param_groups[0]["lr"] = group_lr
    points = torch.cat([pending, torch.arange(len(F_train))])  # the same order every epoch
    cut = len(pending) + len(F_train) // BATCH_SIZE * BATCH_SIZE
    bounds = [0, *range(len(pending) + BATCH_SIZE, cut + 1, BATCH_SIZE)]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        batch = points[start:stop]
        loss = loss_fn(model(F_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward(){mask}
{before}        optimizer.step(){regularization}
    pending = points[cut:]

with torch.no_grad():
    for name, F, y in (("train", F_train, y_train), ("test", F_test, y_test)):
        z = model(F)
        print(f"{{name}} loss: {{loss_fn(z, y).item():.6f}}"){accuracy}
'''
