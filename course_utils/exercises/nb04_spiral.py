"""Checks for the exercises of notebook 04 (spiral classification): a network class of any depth
and width (exercise 3.1) and a training loop with early stopping (exercise 9.1).

Both are checked on behaviour, through calls only, so that ``course grade`` checks them the same
way across its sandbox: the network by its number of parameters, its outputs, and its weights set
by the check (which show its activation, its dropout and its output layer exactly); the loop on a
check network with BatchNorm and dropout (so that forgetting ``eval()`` or ``train()`` changes the
losses), at three settings of patience, epochs and learning rate.
"""

from __future__ import annotations

import copy
import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import CheckFailed, call_student, passed
from course_utils.probes import (
    FixedDropout,
    behaves_affinely,
    build_model,
    count,
    load_weights,
    raw_scores_problem,
    scores,
    set_mode,
    weights,
)

__all__ = [
    "check_early_stopping",
    "check_spiral_net",
    "reference_SpiralNet",
    "reference_early_stopping",
    "reference_parameters",
    "reference_train_early_stopping",
]


# ---------------------------------------------------------------- exercise 3.1: SpiralNet


class reference_SpiralNet(
    nn.Module
):  # named reference_<answer>, as every reference solution of the course
    """Exercise 3.1: ``n_in`` inputs -> one ``nn.Linear`` + tanh (+ dropout) per entry of ``hidden`` -> 1 logit.

    Example:
        >>> reference_SpiralNet(2, [16, 16], dropout=0.2)(torch.zeros(5, 2)).shape
        torch.Size([5, 1])
    """

    def __init__(self, n_in: int, hidden: list[int], dropout: float = 0.0):
        super().__init__()
        layers, size = [], n_in
        for width in hidden:
            layers += [nn.Linear(size, width), nn.Tanh()] + (
                [nn.Dropout(dropout)] if dropout else []
            )
            size = width
        self.layers = nn.Sequential(*layers, nn.Linear(size, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def reference_parameters(n_in: int, hidden: Sequence[int]) -> int:
    """Weights and biases of ``n_in -> hidden[0] -> ... -> 1``.

    Example:
        >>> reference_parameters(2, [16, 16])
        337
    """
    sizes = [n_in, *hidden, 1]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def _name(cls: Any, *args: Any) -> str:
    shown = ", ".join(repr(a) for a in args[:2]) + (
        f", dropout={args[2]!r}" if len(args) > 2 else ""
    )
    return f"{getattr(cls, '__name__', 'SpiralNet')}({shown})"


def _build(cls: Any, *args: Any) -> nn.Module:
    name = _name(cls, *args)
    try:
        return build_model(cls, *args, name=name, class_line="class SpiralNet(nn.Module):")
    except CheckFailed as err:
        text = str(err)
        if args[1:2] == ([],) and any(e in text for e in ("IndexError", "list index")):
            raise CheckFailed(
                f"{text.rstrip('.')}. With hidden = [] the network is one nn.Linear(n_in, 1): a "
                "linear model. Loop over the sizes in hidden instead of indexing hidden[0]."
            ) from None
        raise


def _outputs(model: nn.Module, X: torch.Tensor, name: str) -> torch.Tensor:
    return scores(model, X, name, row="point", score="logit", last_layer="nn.Linear(last, 1)")


def _points(n: int, seed: int, scale: float = 3.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return scale * (2 * torch.rand(n, 2, generator=gen) - 1)


def _check_counts(cls: Any) -> None:
    configs = ((2, [16, 16]), (7, [8]), (2, [4, 4, 4]), (2, []))
    counts = {}
    for n_in, hidden in configs:
        model = _build(cls, n_in, list(hidden))
        counts[(n_in, tuple(hidden))] = count(model, _name(cls, n_in, list(hidden)))
    first_right = counts[(2, (16, 16))] == reference_parameters(2, [16, 16])
    for (n_in, hidden), got in counts.items():
        expected = reference_parameters(n_in, hidden)
        if got == expected:
            continue
        name = _name(cls, n_in, list(hidden))
        sizes = " → ".join(str(s) for s in [n_in, *hidden, 1])
        if got == 0:
            raise CheckFailed(
                f"{name} has no parameters PyTorch can see: create the layers in __init__ and keep them "
                "in an nn.Sequential or nn.ModuleList attribute (layers in a plain Python list, or made "
                "in forward, are invisible to .parameters() and to the optimizer)."
            )
        if hidden and got == (hidden[-1] + 1):
            raise CheckFailed(
                f"{name}: .parameters() finds only the output layer ({got} parameters, expected "
                f"{expected}): the hidden layers sit in a plain Python list. Keep them in "
                "nn.ModuleList(...) or nn.Sequential(...), so that PyTorch registers them."
            )
        if got == expected - sum([*hidden, 1]):
            raise CheckFailed(
                f"{name} has {got} parameters, the weights only (expected {expected}): keep the biases "
                "(nn.Linear's default bias=True)."
            )
        if first_right:
            raise CheckFailed(
                f"{name} has {got} parameters, expected {expected} for layers {sizes} (two hidden "
                "layers of 16 were right): build one hidden layer per entry of hidden, in a loop over "
                "hidden, each from the previous size (n_in for the first) to this entry; with hidden = "
                "[] only the last nn.Linear(n_in, 1) remains."
            )
        raise CheckFailed(
            f"{name} has {got} parameters, expected {expected} for layers {sizes}: each hidden layer "
            "nn.Linear(previous, width), then a last nn.Linear(previous, 1), all with biases."
        )


def _check_not_linear(cls: Any) -> None:
    A, B = _points(64, 11, 2.0), _points(64, 12, 2.0)
    for hidden in ([16, 16], [8]):
        model = set_mode(_build(cls, 2, hidden), False, _name(cls, 2, hidden))
        if not behaves_affinely(lambda Z: _outputs(model, Z, _name(cls, 2, hidden)), A, B):  # noqa: B023 - used at once
            return
    raise CheckFailed(
        "SpiralNet is a linear function of its input: linear layers with nothing between them are one "
        "linear map, and no straight line separates the spirals. Put nn.Tanh() after every hidden "
        "nn.Linear (not after the last one)."
    )


def _probe_path(model: nn.Module, name: str, sizes: list[int], out_bias: float = 0.0) -> bool:
    """Set the weights of a network with layers ``sizes`` (n_in, hidden..., 1) so that only one path
    remains, input 0 → the first unit of each hidden layer → the output, every weight on it 1, every
    bias 0 (the output's ``out_bias``): the output is then the hidden activations applied in turn
    to input 0. False when the parameters are not one weight matrix and one bias per layer."""
    params = weights(model, name)
    values = {}
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        matrix = [
            k
            for k, v in params.items()
            if v.dim() == 2 and sorted(v.shape) == sorted((n_in, n_out))
        ]
        vector = [k for k, v in params.items() if v.dim() == 1 and v.numel() == n_out]
        if len(matrix) != 1 or len(vector) != 1:
            return False
        values[matrix[0]] = torch.zeros_like(params[matrix[0]]).index_put_(
            (torch.tensor(0), torch.tensor(0)), torch.tensor(1.0)
        )
        values[vector[0]] = torch.full_like(params[vector[0]], out_bias if n_out == 1 else 0.0)
    if len(values) != len(params):
        return False
    load_weights(model, values, name)
    return True


def _along(points: torch.Tensor) -> torch.Tensor:
    """Inputs (t, 0, ...): what the probed path sees is t."""
    return torch.cat([points[:, None], torch.zeros(len(points), 1)], dim=1)


def _check_activation(cls: Any) -> None:
    """Read the hidden activation: SpiralNet(2, [4, 6]) with one path left computes act(act(t))."""
    name = _name(cls, 2, [4, 6])
    model = set_mode(_build(cls, 2, [4, 6]), False, name)
    if not _probe_path(model, name, [2, 4, 6, 1]):
        return  # built another way: the nonlinearity test has spoken for it
    t = torch.linspace(-3, 3, 13, dtype=torch.float64)
    with torch.no_grad():
        got = _outputs(model, _along(t.float()), name)[:, 0]
    candidates = {
        "tanh after each hidden layer": t.tanh().tanh(),
        "ReLU where the exercise asks for tanh: nn.Tanh() after each hidden nn.Linear": t.relu(),
        "sigmoid where the exercise asks for tanh: nn.Tanh() after each hidden nn.Linear": t.sigmoid().sigmoid(),
        "tanh after only one of the two hidden layers: put nn.Tanh() after every hidden nn.Linear, in the loop "
        "over hidden": t.tanh(),
        "no activation between its layers: put nn.Tanh() after every hidden nn.Linear": t,
    }
    for what, expected in candidates.items():
        if torch.allclose(got, expected, atol=1e-4):
            if what.startswith("tanh after each"):
                return
            raise CheckFailed(f"{name} uses {what}.")
    raise CheckFailed(
        f"{name}'s hidden activation is not tanh: with its weights set to keep one path, it maps "
        f"1 to {got[8].item():.4f} where tanh after each of its two hidden layers gives "
        f"{t.tanh().tanh()[8].item():.4f}. Put nn.Tanh() after every hidden nn.Linear."
    )


def _check_dropout(cls: Any) -> None:
    X = _points(256, 13)
    plain = _build(cls, 2, [32, 32])
    name = _name(cls, 2, [32, 32])
    set_mode(plain, True, name)
    if not torch.equal(_outputs(plain, X, name), _outputs(plain, X, name)):
        raise CheckFailed(
            f"{name} (no dropout) gave two different outputs for the same points: use no randomness "
            "in forward, and add dropout only when dropout > 0."
        )
    p = 0.25
    model = _build(cls, 2, [32, 32], p)
    name = _name(cls, 2, [32, 32], p)
    n = count(model, name)
    if n != reference_parameters(2, [32, 32]):
        raise CheckFailed(
            f"{name} has {n} parameters, expected {reference_parameters(2, [32, 32])}, the same as "
            "without dropout: dropout adds no weights, only nn.Dropout(dropout) after each hidden "
            "activation."
        )
    set_mode(model, True, name)
    first, second = _outputs(model, X, name), _outputs(model, X, name)
    if torch.equal(first, second):
        raise CheckFailed(
            f"{name} in training mode gave the same output twice: add nn.Dropout(dropout) after each "
            "hidden layer's activation (it switches neurons off at random while training)."
        )
    set_mode(model, False, name)
    if not torch.equal(_outputs(model, X, name), _outputs(model, X, name)):
        raise CheckFailed(
            f"{name} in evaluation mode (model.eval()) still gives a different output each time: use "
            "nn.Dropout, which switches itself off in eval mode (F.dropout(x, p) without "
            "training=self.training, or a mask of your own, does not)."
        )
    _check_dropout_place(cls, p)


def _check_dropout_place(cls: Any, p: float) -> None:
    """SpiralNet(2, [4, 6], p) with one path left and an output bias of 1, in training mode: the output
    is 1 where dropout switched the path off, else 1 + the path's value, which says where dropout is
    and at which rate."""
    model = _build(cls, 2, [4, 6], p)
    name = _name(cls, 2, [4, 6], p)
    if not _probe_path(model, name, [2, 4, 6, 1], out_bias=1.0):
        return
    set_mode(model, True, name)
    with torch.no_grad():
        got = _outputs(model, _along(torch.ones(256)), name)[:, 0]
    one, k = torch.tensor(1.0, dtype=torch.float64), 1 / (1 - p)
    if (got.abs() < 1e-6).float().mean() > 0.1:
        raise CheckFailed(
            f"{name} sets many outputs to exactly 0 in training mode: dropout acts on the logit. Put "
            "nn.Dropout after the hidden activations only, not after the last nn.Linear."
        )
    places = {
        "": (one.tanh() * k).tanh() * k,
        "only after the first hidden layer: put nn.Dropout(dropout) after every hidden activation": (
            one.tanh() * k
        ).tanh(),
        "only after the last hidden layer: put nn.Dropout(dropout) after every hidden activation": one.tanh().tanh()
        * k,
        "before the activations (or on the input): put it after each tanh, nn.Linear → nn.Tanh → nn.Dropout": (
            ((one * k).tanh()) * k
        ).tanh(),
        f"at another rate than dropout={p}: pass the argument, nn.Dropout(dropout), not a number": (
            one.tanh() * 2
        ).tanh()
        * 2,
    }
    kept = got.max() - 1
    for where, value in places.items():
        if abs(kept - value) < 1e-4:
            if not where:
                return
            raise CheckFailed(f"{name} applies dropout {where}.")
    raise CheckFailed(
        f"{name} in training mode does not act like nn.Dropout({p}) after each hidden tanh: with its "
        f"weights set to keep one path, a kept path gives {kept.item():.4f}, expected "
        f"{places[''].item():.4f}."
    )


def check_spiral_net(cls: type) -> None:
    """``cls(n_in, hidden, dropout=0.0)``: ``n_in`` inputs, one ``nn.Linear`` + ``tanh`` (+ dropout) per
    entry of ``hidden``, then ``nn.Linear(last, 1)``; ``forward`` returns one logit per point, (N, 1).

    Checked on behaviour: the number of parameters for four shapes (one of them ``hidden=[]``, a
    linear model), the output shape, a function that is not linear, and, with weights the check
    sets: tanh after every hidden layer, raw logits (no activation after the last layer), and
    ``nn.Dropout(dropout)`` after each hidden activation, active in training mode only.

    Example:
        >>> from course_utils.mlp import mlp
        >>> class Right(nn.Module):
        ...     def __init__(self, n_in, hidden, dropout=0.0):
        ...         super().__init__()
        ...         self.net = mlp(n_in, hidden, dropout=dropout)
        ...     def forward(self, x):
        ...         return self.net(x)
        >>> check_spiral_net(Right)
        ✅ SpiralNet is correct (any depth and width, tanh between the layers, dropout only while training)
    """
    _check_counts(cls)
    name = _name(cls, 2, [16, 16])
    model = set_mode(_build(cls, 2, [16, 16]), False, name)
    X = _points(7, 10)
    first = _outputs(model, X, name)
    if not torch.allclose(first, _outputs(model, X, name), atol=1e-6):
        raise CheckFailed(
            f"{name} gave two different outputs for the same points in eval mode: create the layers "
            "once, in __init__, and use no randomness in forward."
        )
    _outputs(_build(cls, 2, []), X, _name(cls, 2, []))
    _check_not_linear(cls)
    model = set_mode(_build(cls, 2, [16]), False, _name(cls, 2, [16]))
    problem = raw_scores_problem(model, X, _name(cls, 2, [16]), 1, "BCEWithLogitsLoss")
    if problem:
        raise CheckFailed(problem)
    _check_activation(cls)
    _check_dropout(cls)
    passed("SpiralNet", "any depth and width, tanh between the layers, dropout only while training")


# ---------------------------------------------------------------- exercise 9.1: early stopping

#: The (patience, max_epochs, lr) of the check's runs: two stop early (the best at epochs 57 and 25), the last
#: runs out of epochs one epoch after its best.
_RUNS = ((10, 200, 0.02), (4, 40, 0.05), (10, 7, 0.05))


def _es_problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A network with BatchNorm and dropout, few points, a quarter of the training labels wrong: the
    validation loss falls, then rises. Its dropout masks are fixed (``FixedDropout``), so the same
    loop gives the same losses wherever it runs; train and eval mode still differ.

    Example:
        >>> model, X_tr, y_tr, X_val, y_val = _es_problem()
        >>> model.training, X_tr.shape, y_val.shape
        (True, torch.Size([60, 2]), torch.Size([60]))
    """
    gen = torch.Generator().manual_seed(4)
    X = 10 * torch.rand(120, 2, generator=gen) - 5
    y = (X[:, 0] * X[:, 1] >= 0).float()
    y_train = y[:60].clone()
    y_train[:15] = 1 - y_train[:15]
    model = nn.Sequential(
        nn.Linear(2, 32),
        nn.BatchNorm1d(32),
        nn.Tanh(),
        FixedDropout(0.2),
        nn.Linear(32, 32),
        nn.Tanh(),
        nn.Linear(32, 1),
    )
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(
                torch.randn(param.shape, generator=gen)
                / (param.shape[-1] ** 0.5 if param.dim() > 1 else 4)
            )
    return model, X[:60], y_train, X[60:], y[60:]


def reference_early_stopping(
    model: nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_val: torch.Tensor,
    y_val: torch.Tensor,
    patience: int = 30,
    max_epochs: int = 400,
    lr: float = 0.02,
    *,
    mistake: str = "",
) -> tuple[nn.Module, list[float]]:
    """Full-batch Adam, in training mode; after each epoch the validation loss in evaluation mode;
    keep a copy of the best weights, stop after ``patience`` epochs without a new best, restore the
    best; return the model and the losses. ``mistake`` makes one typical mistake: ``"no eval"``
    (validation in training mode), ``"no train"`` (training in evaluation mode after epoch 1).

    Example:
        >>> model, X_tr, y_tr, X_val, y_val = _es_problem()
        >>> model, losses = reference_early_stopping(model, X_tr, y_tr, X_val, y_val, patience=10)
        >>> best = losses.index(min(losses)) + 1
        >>> len(losses) == best + 10
        True
    """
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    best_loss, best_epoch, best_state = float("inf"), 0, copy.deepcopy(model.state_dict())
    val_losses: list[float] = []
    for epoch in range(1, max_epochs + 1):
        if mistake != "no train":
            model.train()
        loss = loss_fn(model(X_train).squeeze(1), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if mistake != "no eval":
            model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val).squeeze(1), y_val).item())
        if val_losses[-1] < best_loss:
            best_loss, best_epoch, best_state = (
                val_losses[-1],
                epoch,
                copy.deepcopy(model.state_dict()),
            )
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return model, val_losses


#: The notebook's answer is train_early_stopping: the student version's stuck line imports this name.
reference_train_early_stopping = reference_early_stopping


def _as_losses(value: Any) -> list[float]:
    if isinstance(value, torch.Tensor):
        raise CheckFailed(
            "train_early_stopping returned the validation losses as a tensor; return a list of Python "
            "floats, one per epoch (append loss.item())."
        )
    try:
        items = list(value)
    except Exception:  # noqa: BLE001 - whatever it is, it is not a list of losses
        raise CheckFailed(
            f"train_early_stopping returned {type(value).__name__} as the validation losses; return a "
            "list with one float per epoch."
        ) from None
    if not items:
        raise CheckFailed(
            "train_early_stopping returned an empty list of validation losses: append the validation "
            "loss after every epoch."
        )
    if any(isinstance(v, torch.Tensor) for v in items):
        raise CheckFailed(
            "the validation losses are tensors; append loss.item(), a Python float, after each epoch."
        )
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in items):
        raise CheckFailed("the validation losses should be numbers, one float per epoch.")
    return [float(v) for v in items]


def _val_loss(model: Any, X: torch.Tensor, y: torch.Tensor, name: str) -> float:
    if not isinstance(model, nn.Module):
        raise CheckFailed(
            f"{name} is a {type(model).__name__}, not the network: `return model, val_losses`."
        )
    set_mode(model, False, name)
    with torch.no_grad():
        out = call_student(model, X.clone(), name=name)
    if not isinstance(out, torch.Tensor) or out.numel() != len(y):
        raise CheckFailed(
            f"{name} did not return one logit per point: return the model you trained."
        )
    return F.binary_cross_entropy_with_logits(out.detach().reshape(-1).double(), y.double()).item()


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-3 * max(1.0, abs(b))


def check_early_stopping(train_early_stopping: Callable[..., Any]) -> None:
    """``train_early_stopping(model, X_train, y_train, X_val, y_val, patience, max_epochs, lr)``:
    full-batch Adam (one optimizer), each step in training mode, the validation loss after every
    epoch in evaluation mode, the best weights kept (a copy) and restored, a stop after
    ``patience`` epochs without a new best; returns ``(model, val_losses)``.

    Checked on behaviour, on a network with BatchNorm and dropout whose validation loss falls and
    then rises, at three settings (two stop early, one runs out of epochs): the losses epoch by
    epoch, the epoch it stops at, and the validation loss of the model it returns.

    Example:
        >>> check_early_stopping(reference_early_stopping)  # doctest: +NORMALIZE_WHITESPACE
        ✅ train_early_stopping is correct (the same validation losses, stopped `patience` epochs
        after the best, best weights restored)
    """
    for patience, max_epochs, lr in _RUNS:
        _check_run(train_early_stopping, patience, max_epochs, lr)
    passed(
        "train_early_stopping",
        "the same validation losses, stopped `patience` epochs after the best, "
        "best weights restored",
    )


@functools.lru_cache(maxsize=16)
def _expected(patience: int, max_epochs: int, lr: float, mistake: str = "") -> tuple[float, ...]:
    """The validation losses of ``reference_early_stopping`` on the check's problem (computed once per session)."""
    start, *data = _es_problem()
    return tuple(
        reference_early_stopping(start, *data, patience, max_epochs, lr, mistake=mistake)[1]
    )


def _check_run(
    train_early_stopping: Callable[..., Any], patience: int, max_epochs: int, lr: float
) -> None:
    start, X_tr, y_tr, X_val, y_val = _es_problem()
    data = (X_tr, y_tr, X_val, y_val)
    settings = f"patience={patience}, max_epochs={max_epochs}, lr={lr}"
    expected = _expected(patience, max_epochs, lr)
    best_epoch = expected.index(min(expected)) + 1
    result = call_student(
        train_early_stopping,
        copy.deepcopy(start),
        *(t.clone() for t in data),
        patience=patience,
        max_epochs=max_epochs,
        lr=lr,
        name="train_early_stopping",
    )
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(
            f"train_early_stopping returned {type(result).__name__}; return two things, "
            "`return model, val_losses`."
        )
    model, losses = result
    losses = _as_losses(losses)
    first = next(
        (
            epoch
            for epoch, (got, want) in enumerate(zip(losses, expected), start=1)
            if not _same(got, want)
        ),
        None,
    )
    if first is not None:
        for mistake, message in _MODE_MISTAKES.items():
            wrong = _expected(patience, max_epochs, lr, mistake)
            if all(_same(got, want) for got, want in zip(losses, wrong)):
                raise CheckFailed(message)
    if first == 1:
        raise CheckFailed(
            f"with {settings}, " + _first_loss_problem(losses[0], expected[0], start, data, lr)
        )
    if first is not None:
        raise CheckFailed(
            f"with {settings}, the validation loss after epoch {first} is {losses[first - 1]:.4f}, "
            f"expected {expected[first - 1]:.4f} (the epochs before were right): create the optimizer "
            "once, before the loop, with lr=lr, and call zero_grad() every epoch, so that each step "
            "uses only this epoch's gradient."
        )
    if len(losses) != len(expected):
        if len(losses) == max_epochs:
            raise CheckFailed(
                f"with {settings}, train_early_stopping never stopped: it ran all {max_epochs} epochs, "
                f"but the best was epoch {best_epoch}, so it should stop after epoch {len(expected)}. "
                "Stop once `patience` (the argument) epochs have passed without a new best."
            )
        raise CheckFailed(
            f"with {settings}, train_early_stopping stopped after epoch {len(losses)}, expected "
            f"{len(expected)}: the best validation loss was at epoch {best_epoch}, and "
            f"patience={patience} means stopping when epoch − best_epoch reaches {patience} (or when "
            "the epochs run out)."
        )
    got = _val_loss(model, X_val, y_val, "the model train_early_stopping returned")
    if abs(got - min(expected)) > 1e-4:
        last = "its last epoch's" if abs(got - expected[-1]) < 1e-4 else "another"
        raise CheckFailed(
            f"the returned model has {last} validation loss ({got:.4f}), not the best one "
            f"({min(expected):.4f} at epoch {best_epoch}): save a copy of the best weights, "
            "best_state = copy.deepcopy(model.state_dict()) (state_dict() alone returns the live "
            "tensors, which keep training), and call model.load_state_dict(best_state) before returning."
        )


_MODE_MISTAKES = {
    "no eval": "the validation losses are those of the network in training mode: call model.eval() before computing "
    "the validation loss (dropout off, BatchNorm's stored statistics), and model.train() before each "
    "training step.",
    "no train": "after the first epoch the network trains in evaluation mode: call model.train() at the start of "
    "every epoch, before the training step (model.eval() for the validation loss stays on otherwise).",
}


def _first_loss_problem(
    first: float, expected: float, start: nn.Module, data: tuple[torch.Tensor, ...], lr: float
) -> str:
    """What the first recorded loss is, when it is not the validation loss after one step."""
    X_tr, y_tr, X_val, y_val = data
    untrained = copy.deepcopy(start).eval()
    with torch.no_grad():
        before = F.binary_cross_entropy_with_logits(untrained(X_val).squeeze(1), y_val).item()
    if _same(first, before):
        return (
            "the first validation loss is the one before any training: record it after the epoch's step "
            "(forward, loss, zero_grad, backward, step, then evaluate)."
        )
    once = copy.deepcopy(start).train()
    optimizer = torch.optim.Adam(once.parameters(), lr=lr)
    F.binary_cross_entropy_with_logits(once(X_tr).squeeze(1), y_tr).backward()
    optimizer.step()
    once.eval()
    with torch.no_grad():
        on_train = F.binary_cross_entropy_with_logits(once(X_tr).squeeze(1), y_tr).item()
    if _same(first, on_train):
        return "the losses you record are training losses: evaluate the model on X_val and y_val after each epoch."
    return (
        f"the validation loss after epoch 1 is {first:.4f}, expected {expected:.4f}: one full-batch step per "
        f"epoch with torch.optim.Adam(model.parameters(), lr=lr) on BCEWithLogitsLoss of "
        "model(X_train).squeeze(1), then the loss on the validation points."
    )
