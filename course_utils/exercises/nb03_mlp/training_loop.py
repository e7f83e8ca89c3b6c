"""Notebook 03's exercise 8.3, its loop: ``train(model, X, y, steps, lr)`` on XOR, checked against
the same loop run here and against the loops of its typical mistakes."""

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
from course_utils.exercises.nb03_mlp.xor_mlp import XOR_X, XOR_Y

__all__ = ["check_train"]

#: The (steps, lr) each run of check_train uses: two, so that a number typed into train shows.
_RUNS = ((12, 0.1), (5, 0.03))


def _start_network() -> nn.Module:
    """The 2-4-1 tanh network every run of ``check_train`` starts from (its loss falls from 1.09 to 0.42).

    Its weights come from the check's own generator, uniform in [-2, 2]: the caller's random
    stream is untouched, and a network made inside ``train`` cannot start from the same loss.
    """
    gen = torch.Generator().manual_seed(4)
    with torch.random.fork_rng(devices=[]):
        model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(4 * torch.rand(param.shape, generator=gen) - 2)
    return model


def _loop(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    steps: int,
    lr: float,
    *,
    zero_grad: bool = True,
    step: bool = True,
    fresh_optimizer: bool = False,
    optimizer: type = torch.optim.Adam,
) -> list[float]:
    """A training loop, right by default; each flag makes one of the typical mistakes."""
    opt = optimizer(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        if fresh_optimizer:
            opt = optimizer(model.parameters(), lr=lr)
        loss = F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
        if zero_grad:
            opt.zero_grad()
        loss.backward()
        if step:
            opt.step()
        losses.append(loss.item())
    return losses


@functools.lru_cache(maxsize=32)
def _expected(steps: int, lr: float, **flags: Any) -> tuple[float, ...]:
    """The losses of ``_loop`` from the check's start network on XOR (computed once per session)."""
    return tuple(
        _loop(_start_network(), torch.tensor(XOR_X), torch.tensor(XOR_Y), steps, lr, **flags)
    )


def _first_loss_mistake(first: float, logits: torch.Tensor, y: torch.Tensor) -> str | None:
    """What a wrong first loss computed instead of BCEWithLogitsLoss, if it is a typical mistake."""
    p = torch.sigmoid(logits)
    candidates = (
        (
            F.binary_cross_entropy_with_logits(p, y),
            "the loss applies the sigmoid twice: BCEWithLogitsLoss takes the "
            "raw scores model(X).squeeze(1), without torch.sigmoid (it applies the sigmoid itself)",
        ),
        (
            F.binary_cross_entropy_with_logits(logits, y, reduction="sum"),
            "that is the sum of the losses over the "
            "examples; take the mean (the default reduction)",
        ),
        (
            F.mse_loss(logits, y),
            "that is the mean squared error of the scores; use the binary cross-entropy, "
            "F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)",
        ),
        (
            F.mse_loss(p, y),
            "that is the mean squared error of the probabilities; use the binary cross-entropy, "
            "F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)",
        ),
    )
    for value, why in candidates:
        if abs(first - value.item()) < 1e-4:
            return why
    return None


def check_train(train: Callable[..., Any]) -> None:
    """``train(model, X, y, steps, lr)``: ``steps`` full-batch steps of ``torch.optim.Adam`` (created once,
    learning rate ``lr``) on ``BCEWithLogitsLoss`` of ``model(X).squeeze(1)`` against ``y``; returns the
    loss of every step as a list of floats (the loss each step called ``backward`` on).

    Checked on behaviour: the losses for a fixed 2-4-1 network on XOR must equal a correct
    loop's, step by step; each typical mistake (no ``zero_grad``, no ``step``, the sigmoid twice,
    a new optimizer every step, ...) is recognised by the losses it produces.

    Example:
        >>> def right(model, X, y, steps, lr):
        ...     optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        ...     losses = []
        ...     for _ in range(steps):
        ...         loss = F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
        ...         optimizer.zero_grad()
        ...         loss.backward()
        ...         optimizer.step()
        ...         losses.append(loss.item())
        ...     return losses
        >>> check_train(right)
        ✅ train is correct (the same losses as a correct loop, step by step)
    """
    for steps, lr in _RUNS:
        _check_run(train, steps, lr)
    passed("train", "the same losses as a correct loop, step by step")


def _check_run(train: Callable[..., Any], steps: int, lr: float) -> None:
    X, y = torch.tensor(XOR_X), torch.tensor(XOR_Y)
    start = _start_network()
    try:
        losses = call_student(
            train, copy.deepcopy(start), X.clone(), y.clone(), steps, lr, name="train"
        )
    except CheckFailed as err:
        if "must be the same as input size" in str(err):
            raise CheckFailed(
                f"{err} — model(X) has shape (N, 1) and y has shape (N,): compare "
                "model(X).squeeze(1) with y."
            ) from None
        raise
    call = f"train(..., steps={steps}, lr={lr})"
    losses = _as_floats(losses, steps, call)
    with torch.no_grad():
        logits = start(X).squeeze(1)
    expected = _expected(steps, lr)
    why = None if abs(losses[0] - expected[0]) < 1e-4 else _first_loss_mistake(losses[0], logits, y)
    if why:
        raise CheckFailed(
            f"train's first loss is {losses[0]:.4f}, expected {expected[0]:.4f}: {why}."
        )
    if _same(losses, expected):
        return
    if _same(losses[:-1], expected[1:]):
        raise CheckFailed(
            "train's losses are one step late: record loss.item() of the loss you called backward on, "
            "in the same step (before the parameters change)."
        )
    if abs(losses[0] - expected[0]) >= 1e-4:
        raise CheckFailed(
            f"train's first loss is {losses[0]:.4f}, but the loss of the network it was given is "
            f"{expected[0]:.4f}: train the model passed in, and compute "
            "F.binary_cross_entropy_with_logits(model(X).squeeze(1), y) before its first step."
        )
    if max(losses) - min(losses) < 1e-7:
        raise CheckFailed(
            "train's loss never changes: the parameters are not updated. Call optimizer.step() after "
            "loss.backward(), and optimizer.zero_grad() before loss.backward() (zero_grad between "
            "backward and step wipes the gradients that step needs)."
        )
    variants = (
        (
            dict(zero_grad=False),
            "train's losses are those of a loop without optimizer.zero_grad(): the gradients "
            "add up over the steps. Call optimizer.zero_grad() in every step, before loss.backward().",
        ),
        (
            dict(fresh_optimizer=True),
            "train's losses are those of a loop that creates a new optimizer in every step, "
            "which forgets Adam's running averages: create it once, before the loop.",
        ),
        (
            dict(optimizer=torch.optim.SGD),
            "train's losses are those of torch.optim.SGD: the exercise asks for "
            "torch.optim.Adam(model.parameters(), lr=lr).",
        ),
    )
    for flags, message in variants:
        if _same(losses, _expected(steps, lr, **flags)):
            raise CheckFailed(message)
    typed = [other_lr for _, other_lr in _RUNS if other_lr != lr]
    if any(_same(losses, _expected(steps, other)) for other in typed):
        raise CheckFailed(
            f"{call} trained with another learning rate than lr={lr}: pass the argument lr to the "
            "optimizer, torch.optim.Adam(model.parameters(), lr=lr), instead of a number."
        )
    k = next(
        i for i, (a, b) in enumerate(zip(losses, expected)) if abs(a - b) > 1e-4 + 1e-4 * abs(b)
    )
    raise CheckFailed(
        f"{call}: the loss at step {k} is {losses[k]:.4f}, a correct loop's is {expected[k]:.4f}: create "
        "torch.optim.Adam(model.parameters(), lr=lr) once, then in each step: forward, loss, "
        "optimizer.zero_grad(), loss.backward(), optimizer.step(), and record loss.item()."
    )


def _as_floats(losses: Any, steps: int, call: str) -> list[float]:
    if losses is None:
        raise CheckFailed(
            "train returned None: return the list of losses, one float per step (losses.append(loss.item()))."
        )
    if isinstance(losses, torch.Tensor):
        raise CheckFailed(
            "train returned a tensor; return a Python list with one float per step "
            "(losses.append(loss.item()))."
        )
    if not isinstance(losses, (list, tuple)):
        raise CheckFailed(
            f"train returned a {type(losses).__name__}; return a list with one float per step."
        )
    if len(losses) != steps:
        raise CheckFailed(
            f"{call} returned {len(losses)} losses; return one per step, {steps}: loop "
            "`for _ in range(steps):` over the argument steps, not a number typed in."
        )
    if any(isinstance(v, torch.Tensor) for v in losses):
        raise CheckFailed(
            "train's losses are tensors; append loss.item() (a float): a stored tensor keeps the whole "
            "graph of its step in memory."
        )
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in losses):
        raise CheckFailed("train's losses should be numbers: append loss.item() in every step.")
    values = [float(v) for v in losses]
    if any(v != v for v in values):
        raise CheckFailed(
            "train's losses contain nan: look for a log of 0 (use BCEWithLogitsLoss on the raw scores)."
        )
    return values


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - e) <= 1e-4 + 1e-4 * abs(e) for x, e in zip(a, b))
