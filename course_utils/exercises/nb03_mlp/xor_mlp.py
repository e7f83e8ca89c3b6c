"""Notebook 03's exercise 8.3, its network: ``XorMLP(hidden)``, 2 inputs → ``hidden`` neurons → one raw
score, checked on behaviour (parameters, shape, not linear, raw scores, gradients)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from course_utils.checks import CheckFailed, passed
from course_utils.probes import (
    behaves_affinely,
    build_model,
    count,
    gradients,
    raw_scores_problem,
    scores,
    set_mode,
)

__all__ = ["XOR_X", "XOR_Y", "check_xor_mlp"]

#: The four XOR points and their labels, as in section 3.
XOR_X = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
XOR_Y = (0.0, 1.0, 1.0, 0.0)


def _build(cls: type, hidden: int) -> nn.Module:
    return build_model(cls, hidden, name=_name(cls, hidden), class_line="class XorMLP(nn.Module):")


def _name(cls: Any, hidden: int) -> str:
    return f"{getattr(cls, '__name__', 'XorMLP')}({hidden})"


def check_xor_mlp(cls: type) -> None:
    """``cls(hidden)``: a network 2 → ``hidden`` neurons with an activation → 1 raw score (logit)
    per example, shape (N, 1), with its layers registered as parameters.

    Checked on behaviour, for two hidden sizes: the number of parameters, the output shape, the
    same output twice, a function of its input that is not linear (XOR needs that), raw scores
    (scaling the output layer's weights scales the output: no sigmoid, tanh or ReLU after it,
    ``BCEWithLogitsLoss`` adds the sigmoid), and a gradient that reaches every parameter (an
    activation with zero slope, or a ``.detach()``, would leave the network unable to learn).

    Example:
        >>> class Right(nn.Module):
        ...     def __init__(self, hidden):
        ...         super().__init__()
        ...         self.hidden, self.output = nn.Linear(2, hidden), nn.Linear(hidden, 1)
        ...     def forward(self, x):
        ...         return self.output(torch.tanh(self.hidden(x)))
        >>> check_xor_mlp(Right)
        ✅ XorMLP is correct (2 → hidden → 1 with an activation, one raw score per example)
    """
    gen = torch.Generator().manual_seed(3)
    X = 6 * torch.rand(16, 2, generator=gen) - 3
    counts = {}
    for hidden in (4, 16):
        counts[hidden] = count(_build(cls, hidden), _name(cls, hidden))
        if counts[hidden] == 0:
            raise CheckFailed(
                f"{_name(cls, hidden)} has no parameters PyTorch can see: create the layers in __init__ as "
                "attributes, self.hidden = nn.Linear(2, hidden) (layers made in forward or kept in a plain "
                "Python list are invisible to the optimizer)."
            )
    expected = {hidden: 4 * hidden + 1 for hidden in counts}
    if counts != expected:
        if counts[4] == counts[16]:
            raise CheckFailed(
                f"XorMLP(4) and XorMLP(16) both have {counts[4]} parameters: use the argument "
                "`hidden` for the size of the hidden layer, nn.Linear(2, hidden) then nn.Linear(hidden, 1)."
            )
        raise CheckFailed(
            f"XorMLP(4) has {counts[4]} parameters, expected {expected[4]} = (2 + 1)·4 + (4 + 1)·1: "
            "one hidden layer nn.Linear(2, hidden), then nn.Linear(hidden, 1), both with biases."
        )
    for hidden in (4, 16):
        model = _build(cls, hidden)
        name = _name(cls, hidden)
        first = scores(model, X, name)
        if not torch.allclose(first, scores(model, X, name), atol=1e-6):
            raise CheckFailed(
                f"{name} gave different outputs for the same input twice: create the layers once, in "
                "__init__, and use no randomness in forward."
            )
    _check_not_linear(cls)
    model = set_mode(_build(cls, 16), False, _name(cls, 16))
    problem = raw_scores_problem(model, X, _name(cls, 16), 1, "BCEWithLogitsLoss")
    if problem:
        raise CheckFailed(problem)
    _check_gradients(model, X, _name(cls, 16))
    passed("XorMLP", "2 → hidden → 1 with an activation, one raw score per example")


def _check_not_linear(cls: type) -> None:
    gen = torch.Generator().manual_seed(5)
    A, B = 4 * torch.rand(64, 2, generator=gen) - 2, 4 * torch.rand(64, 2, generator=gen) - 2
    for hidden in (4, 16):
        model = _build(cls, hidden)
        name = _name(cls, hidden)
        if not behaves_affinely(lambda Z: scores(model, Z, name), A, B):  # noqa: B023 - used at once
            return
    if torch.allclose(scores(model, A, name), scores(model, B, name), atol=1e-6):
        raise CheckFailed(
            f"{name} gives the same output whatever the input: forward must compute from its argument "
            "x, return self.output(torch.tanh(self.hidden(x)))."
        )
    raise CheckFailed(
        "XorMLP is a linear function of its input: two nn.Linear layers with nothing between them "
        "are one linear map, and no straight line separates XOR. Put an activation between them, "
        "e.g. torch.tanh(self.hidden(x))."
    )


def _check_gradients(model: nn.Module, X: torch.Tensor, name: str) -> None:
    """Every parameter must get a gradient that is not all zero: else training cannot change it."""
    for key, grad in gradients(model, X, name).items():
        if grad is None:
            raise CheckFailed(
                f"{name}'s parameter {key} gets no gradient: use every layer in forward, and no "
                ".detach() or torch.no_grad() inside it."
            )
        if not grad.abs().max() > 0:
            raise CheckFailed(
                f"{name}'s parameter {key} gets a gradient of 0 everywhere, so training can never "
                "change it: the activation has no slope (torch.sign, torch.round, (x > 0).float() are "
                "flat); use torch.tanh, torch.relu or torch.sigmoid."
            )
