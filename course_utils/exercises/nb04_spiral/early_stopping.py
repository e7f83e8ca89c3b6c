"""Exercise 9.1 of notebook 04: a training loop with early stopping, checked on a network with
BatchNorm and dropout (forgetting ``eval()`` or ``train()`` changes the losses) at three settings
of patience, epochs and learning rate."""

from __future__ import annotations

import copy
import functools
import numbers
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import CheckFailed, call_student, passed
from course_utils.probes import (
    FixedDropout,
    set_mode,
)

#: The (patience, max_epochs, lr) of the check's runs: two stop early (the best at epochs 57 and 25), the last
#: runs out of epochs one epoch after its best.
__all__ = ["check_early_stopping", "reference_early_stopping", "reference_train_early_stopping"]


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


def _expected(patience: int, max_epochs: int, lr: float, mistake: str = "") -> tuple[float, ...]:
    """The validation losses of ``reference_early_stopping`` on the check's problem, computed once per
    session and thread count: the answer trains on the threads the check runs on, and a cache filled
    on 2 threads made a right answer trained on 1 (the grader's) read as "best weights not restored"."""
    return _expected_on(patience, max_epochs, lr, mistake, torch.get_num_threads())


@functools.lru_cache(maxsize=16)
def _expected_on(
    patience: int, max_epochs: int, lr: float, mistake: str, threads: int
) -> tuple[float, ...]:
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
