"""Checks for the exercises of notebook 04 (spiral classification): a network class of any depth
and width (exercise 3.1) and a training loop with early stopping (exercise 9.1).

Both are checked on behaviour, through calls only (the number of parameters, outputs, outputs
in training and evaluation mode, the validation losses a loop records and the model it returns),
so that ``course grade`` can check them across its sandbox.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import (CheckFailed, behaves_affinely, build_model, call_student, model_scores, passed,
                                 stays_in_unit_interval)
from course_utils.mlp import mlp

__all__ = ["check_early_stopping", "check_spiral_net", "reference_early_stopping", "reference_parameters"]


# ---------------------------------------------------------------- exercise 3.1: SpiralNet


def reference_parameters(n_in: int, hidden: Sequence[int]) -> int:
    """Weights and biases of ``n_in -> hidden[0] -> ... -> 1``.

    Example:
        >>> reference_parameters(2, [16, 16])
        337
    """
    sizes = [n_in, *hidden, 1]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def _name(cls: Any, *args: Any) -> str:
    shown = ", ".join(repr(a) for a in args[:2]) + (f", dropout={args[2]!r}" if len(args) > 2 else "")
    return f"{getattr(cls, '__name__', 'SpiralNet')}({shown})"


def _build(cls: Any, *args: Any) -> nn.Module:
    name = _name(cls, *args)
    try:
        return build_model(cls, *args, name=name, class_line="class SpiralNet(nn.Module):")
    except CheckFailed as err:
        text = str(err)
        if args[1:2] == ([],) and any(e in text for e in ("IndexError", "list index")):
            raise CheckFailed(f"{text.rstrip('.')}. With hidden = [] the network is one nn.Linear(n_in, 1): a "
                              "linear model. Loop over the sizes in hidden instead of indexing hidden[0].") from None
        raise


def _outputs(model: nn.Module, X: torch.Tensor, name: str) -> torch.Tensor:
    return model_scores(model, X, name, row="point", score="logit", last_layer="nn.Linear(last, 1)")


def _points(n: int, seed: int, scale: float = 3.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return scale * (2 * torch.rand(n, 2, generator=gen) - 1)


def _check_counts(cls: Any) -> None:
    configs = ((2, [16, 16]), (7, [8]), (2, [4, 4, 4]), (2, []))
    counts = {}
    for n_in, hidden in configs:
        model = _build(cls, n_in, list(hidden))
        counts[(n_in, tuple(hidden))] = sum(p.numel() for p in model.parameters())
    first_right = counts[(2, (16, 16))] == reference_parameters(2, [16, 16])
    for (n_in, hidden), count in counts.items():
        expected = reference_parameters(n_in, hidden)
        if count == expected:
            continue
        name = _name(cls, n_in, list(hidden))
        sizes = " → ".join(str(s) for s in [n_in, *hidden, 1])
        if count == 0:
            raise CheckFailed(f"{name} has no parameters PyTorch can see: create the layers in __init__ and keep them "
                              "in an nn.Sequential or nn.ModuleList attribute (layers in a plain Python list, or made "
                              "in forward, are invisible to .parameters() and to the optimizer).")
        if hidden and count == (hidden[-1] + 1):
            raise CheckFailed(f"{name}: .parameters() finds only the output layer ({count} parameters, expected "
                              f"{expected}): the hidden layers sit in a plain Python list. Keep them in "
                              "nn.ModuleList(...) or nn.Sequential(...), so that PyTorch registers them.")
        if count == expected - sum([*hidden, 1]):
            raise CheckFailed(f"{name} has {count} parameters, the weights only (expected {expected}): keep the biases "
                              "(nn.Linear's default bias=True).")
        if first_right:
            raise CheckFailed(f"{name} has {count} parameters, expected {expected} for layers {sizes} (two hidden "
                              "layers of 16 were right): build one hidden layer per entry of hidden, in a loop over "
                              "hidden, each from the previous size (n_in for the first) to this entry; with hidden = "
                              "[] only the last nn.Linear(n_in, 1) remains.")
        raise CheckFailed(f"{name} has {count} parameters, expected {expected} for layers {sizes}: each hidden layer "
                          "nn.Linear(previous, width), then a last nn.Linear(previous, 1), all with biases.")


def _check_not_linear(cls: Any) -> None:
    A, B = _points(64, 11, 2.0), _points(64, 12, 2.0)
    for hidden in ([16, 16], [8]):
        model = _build(cls, 2, hidden).eval()
        if not behaves_affinely(lambda Z: _outputs(model, Z, _name(cls, 2, hidden)), A, B):  # noqa: B023 - used at once
            return
    raise CheckFailed("SpiralNet is a linear function of its input: linear layers with nothing between them are one "
                      "linear map, and no straight line separates the spirals. Put nn.Tanh() after every hidden "
                      "nn.Linear (not after the last one).")


def _check_not_squashed(cls: Any) -> None:
    """Twelve fresh networks all inside (0, 1) on a ring of large inputs is a final sigmoid (see nb03's)."""
    for _ in range(12):
        model = _build(cls, 2, [16]).eval()
        if not stays_in_unit_interval(lambda Z: _outputs(model, Z, _name(cls, 2, [16]))):  # noqa: B023 - used at once
            return
    raise CheckFailed("SpiralNet's outputs always lie between 0 and 1: forward applies a sigmoid at the end. Return the "
                      "logit of the last nn.Linear: BCEWithLogitsLoss applies the sigmoid itself.")


def _check_dropout(cls: Any) -> None:
    X = _points(256, 13)
    plain = _build(cls, 2, [32, 32])
    plain.train()
    name = _name(cls, 2, [32, 32])
    if not torch.equal(_outputs(plain, X, name), _outputs(plain, X, name)):
        raise CheckFailed(f"{name} (no dropout) gave two different outputs for the same points: use no randomness "
                          "in forward, and add dropout only when dropout > 0.")
    model = _build(cls, 2, [32, 32], 0.5)
    name = _name(cls, 2, [32, 32], 0.5)
    count = sum(p.numel() for p in model.parameters())
    if count != reference_parameters(2, [32, 32]):
        raise CheckFailed(f"{name} has {count} parameters, expected {reference_parameters(2, [32, 32])}, the same as "
                          "without dropout: dropout adds no weights, only nn.Dropout(dropout) after each hidden "
                          "activation.")
    model.train()
    first, second = _outputs(model, X, name), _outputs(model, X, name)
    if torch.equal(first, second):
        raise CheckFailed(f"{name} in training mode gave the same output twice: add nn.Dropout(dropout) after each "
                          "hidden layer's activation (it switches neurons off at random while training).")
    if (first == 0).float().mean().item() > 0.2:
        raise CheckFailed(f"{name} sets many outputs to exactly 0 in training mode: dropout acts on the logit. Put "
                          "nn.Dropout after the hidden activations only, not after the last nn.Linear.")
    model.eval()
    if not torch.equal(_outputs(model, X, name), _outputs(model, X, name)):
        raise CheckFailed(f"{name} in evaluation mode (model.eval()) still gives a different output each time: use "
                          "nn.Dropout, which switches itself off in eval mode (F.dropout(x, p) without "
                          "training=self.training, or a mask of your own, does not).")


def check_spiral_net(cls: type) -> None:
    """``cls(n_in, hidden, dropout=0.0)``: ``n_in`` inputs, one ``nn.Linear`` + ``tanh`` (+ dropout) per
    entry of ``hidden``, then ``nn.Linear(last, 1)``; ``forward`` returns one logit per point, (N, 1).

    Checked on behaviour: the number of parameters for four shapes (one of them ``hidden=[]``, a
    linear model), the output shape, a function that is not linear, logits not squashed into
    (0, 1), and dropout that changes the output in training mode only.

    Example:
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
    model = _build(cls, 2, [16, 16])
    model.eval()
    name = _name(cls, 2, [16, 16])
    X = _points(7, 10)
    first = _outputs(model, X, name)
    if not torch.allclose(first, _outputs(model, X, name), atol=1e-6):
        raise CheckFailed(f"{name} gave two different outputs for the same points in eval mode: create the layers "
                          "once, in __init__, and use no randomness in forward.")
    _outputs(_build(cls, 2, []), X, _name(cls, 2, []))
    _check_not_linear(cls)
    _check_not_squashed(cls)
    _check_dropout(cls)
    passed("SpiralNet", "any depth and width, tanh between the layers, dropout only while training")


# ---------------------------------------------------------------- exercise 9.1: early stopping

_PATIENCE, _MAX_EPOCHS, _LR = 10, 200, 0.02


def _es_problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A big network, few points, a quarter of the training labels wrong: the validation loss falls, then rises."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        X = 10 * torch.rand(120, 2) - 5
        y = (X[:, 0] * X[:, 1] >= 0).float()
        y_train = y[:60].clone()
        y_train[:15] = 1 - y_train[:15]
        model = mlp(2, [32, 32])
    return model, X[:60], y_train, X[60:], y[60:]


def reference_early_stopping(model: nn.Module, X_train: torch.Tensor, y_train: torch.Tensor, X_val: torch.Tensor,
                             y_val: torch.Tensor, patience: int = 30, max_epochs: int = 500,
                             lr: float = 0.02) -> tuple[nn.Module, list[float]]:
    """Full-batch Adam; after each epoch the validation loss; keep the best weights, stop after
    ``patience`` epochs without a new best, restore the best; return the model and the losses.

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
        model.train()
        loss = loss_fn(model(X_train).squeeze(1), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val).squeeze(1), y_val).item())
        if val_losses[-1] < best_loss:
            best_loss, best_epoch, best_state = val_losses[-1], epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return model, val_losses


def _as_losses(value: Any) -> list[float]:
    if isinstance(value, torch.Tensor):
        raise CheckFailed("train_early_stopping returned the validation losses as a tensor; return a list of Python "
                          "floats, one per epoch (append loss.item()).")
    try:
        items = list(value)
    except TypeError:
        raise CheckFailed(f"train_early_stopping returned {type(value).__name__} as the validation losses; return a "
                          "list with one float per epoch.") from None
    if not items:
        raise CheckFailed("train_early_stopping returned an empty list of validation losses: append the validation "
                          "loss after every epoch.")
    if any(isinstance(v, torch.Tensor) for v in items):
        raise CheckFailed("the validation losses are tensors; append loss.item(), a Python float, after each epoch.")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in items):
        raise CheckFailed("the validation losses should be numbers, one float per epoch.")
    return [float(v) for v in items]


def _val_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor, name: str) -> float:
    out = call_student(model, X.clone(), name=name)
    if not isinstance(out, torch.Tensor) or out.numel() != len(y):
        raise CheckFailed(f"{name} did not return one logit per point: return the model you trained.")
    return F.binary_cross_entropy_with_logits(out.detach().reshape(-1).double(), y.double()).item()


def check_early_stopping(train_early_stopping: Callable[..., Any]) -> None:
    """``train_early_stopping(model, X_train, y_train, X_val, y_val, patience, max_epochs, lr)``:
    full-batch Adam (one optimizer), the validation loss after every epoch, the best weights kept
    (a copy) and restored, a stop after ``patience`` epochs without a new best; returns
    ``(model, val_losses)``.

    Checked on behaviour, on a problem whose validation loss falls and then rises: the losses
    epoch by epoch, the epoch it stops at, and the validation loss of the model it returns.

    Example:
        >>> check_early_stopping(reference_early_stopping)
        ✅ train_early_stopping is correct (the same validation losses, stopped `patience` epochs after the best, best weights restored)
    """
    start, X_tr, y_tr, X_val, y_val = _es_problem()
    _, expected = reference_early_stopping(copy.deepcopy(start), X_tr, y_tr, X_val, y_val,
                                                        _PATIENCE, _MAX_EPOCHS, _LR)
    best_epoch = expected.index(min(expected)) + 1
    result = call_student(train_early_stopping, copy.deepcopy(start), X_tr.clone(), y_tr.clone(), X_val.clone(),
                          y_val.clone(), patience=_PATIENCE, max_epochs=_MAX_EPOCHS, lr=_LR, name="train_early_stopping")
    try:
        model, losses = result
    except (TypeError, ValueError):
        raise CheckFailed(f"train_early_stopping returned {type(result).__name__}; return two things, "
                          "`return model, val_losses`.") from None
    losses = _as_losses(losses)
    first = losses[0]
    if abs(first - expected[0]) > 1e-4:
        with torch.no_grad():
            untrained = F.binary_cross_entropy_with_logits(start(X_val).squeeze(1), y_val).item()
        if abs(first - untrained) < 1e-4:
            raise CheckFailed("the first validation loss is the one before any training: record it after the "
                              "epoch's step (forward, loss, zero_grad, backward, step, then evaluate).")
        once = copy.deepcopy(start)
        optimizer = torch.optim.Adam(once.parameters(), lr=_LR)
        F.binary_cross_entropy_with_logits(once(X_tr).squeeze(1), y_tr).backward()
        optimizer.step()
        with torch.no_grad():
            on_train = F.binary_cross_entropy_with_logits(once(X_tr).squeeze(1), y_tr).item()
        if abs(first - on_train) < 1e-4:
            raise CheckFailed("the losses you record are training losses: evaluate the model on X_val and y_val "
                              "after each epoch.")
        raise CheckFailed(f"the validation loss after epoch 1 is {first:.4f}, expected {expected[0]:.4f}: one "
                          "full-batch step per epoch with torch.optim.Adam(model.parameters(), lr=lr) on "
                          "BCEWithLogitsLoss of model(X_train).squeeze(1), then the loss on the validation points.")
    for epoch, (got, want) in enumerate(zip(losses, expected), start=1):
        if abs(got - want) > 1e-3 * max(1.0, abs(want)):
            raise CheckFailed(f"the validation loss after epoch {epoch} is {got:.4f}, expected {want:.4f} (epoch 1 "
                              "was right): create the optimizer once, before the loop, and call zero_grad() every "
                              "epoch, so that each step uses only this epoch's gradient.")
    if len(losses) != len(expected):
        if len(losses) == _MAX_EPOCHS:
            raise CheckFailed(f"train_early_stopping never stopped (it ran all {_MAX_EPOCHS} epochs; the best was epoch "
                              f"{best_epoch}): stop once `patience` epochs have passed without a new best.")
        raise CheckFailed(f"train_early_stopping stopped after epoch {len(losses)}, expected {len(expected)}: the best "
                          f"validation loss was at epoch {best_epoch}, and patience={_PATIENCE} means stopping when "
                          f"epoch − best_epoch reaches {_PATIENCE}.")
    got = _val_loss(model, X_val, y_val, "the model train_early_stopping returned")
    if abs(got - min(expected)) > 1e-4:
        last = "its last epoch's" if abs(got - expected[-1]) < 1e-4 else "another"
        raise CheckFailed(f"the returned model has {last} validation loss ({got:.4f}), not the best one "
                          f"({min(expected):.4f} at epoch {best_epoch}): save a copy of the best weights, "
                          "best_state = copy.deepcopy(model.state_dict()) (state_dict() alone returns the live "
                          "tensors, which keep training), and call model.load_state_dict(best_state) before returning.")
    passed("train_early_stopping", "the same validation losses, stopped `patience` epochs after the best, "
           "best weights restored")
