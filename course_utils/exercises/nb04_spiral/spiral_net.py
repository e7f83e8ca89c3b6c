"""Exercise 3.1 of notebook 04: ``SpiralNet``, a network class of any depth and width, checked
through calls only (its number of parameters, its outputs, and its weights set by the check,
which show its activation, its dropout and its output layer exactly)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from course_utils.checks import CheckFailed, passed
from course_utils.probes import (
    behaves_affinely,
    build_model,
    count,
    load_weights,
    raw_scores_problem,
    scores,
    set_mode,
    weights,
)

__all__ = ["check_spiral_net", "reference_SpiralNet", "reference_parameters"]


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
    right = t.tanh().tanh()
    mistakes = {
        "ReLU where the exercise asks for tanh: nn.Tanh() after each hidden nn.Linear": t.relu(),
        "sigmoid where the exercise asks for tanh: nn.Tanh() after each hidden nn.Linear": t.sigmoid().sigmoid(),
        "tanh after only one of the two hidden layers: put nn.Tanh() after every hidden nn.Linear, in the loop "
        "over hidden": t.tanh(),
        "no activation between its layers: put nn.Tanh() after every hidden nn.Linear": t,
    }
    wrong = (
        f"{name}'s hidden activation is not tanh: with its weights set to keep one path, it maps "
        f"1 to {got[8].item():.4f} where tanh after each of its two hidden layers gives "
        f"{right[8].item():.4f}. Put nn.Tanh() after every hidden nn.Linear."
    )
    _rule_on_probe(got, right, mistakes, f"{name} uses", otherwise=wrong)


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
    right = (one.tanh() * k).tanh() * k
    mistakes = {
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
    wrong = (
        f"{name} in training mode does not act like nn.Dropout({p}) after each hidden tanh: with its "
        f"weights set to keep one path, a kept path gives {kept.item():.4f}, expected "
        f"{right.item():.4f}."
    )
    _rule_on_probe(kept, right, mistakes, f"{name} applies dropout", otherwise=wrong)


def _rule_on_probe(
    got: torch.Tensor,
    right: torch.Tensor,
    mistakes: dict[str, torch.Tensor],
    does: str,
    otherwise: str,
) -> None:
    """Judge what a probed path gave: pass if ``got`` is ``right``; else "``does`` WHAT." for the
    first typical mistake (``{WHAT: the values it gives}``) that ``got`` equals, else ``otherwise``.

    Example:
        >>> two = torch.tensor(2.0)
        >>> _rule_on_probe(two, torch.tensor(1.0), {"twice": two}, "it does", "?")
        Traceback (most recent call last):
        course_utils.checks.CheckFailed: it does twice.
    """
    if torch.allclose(got, right, atol=1e-4):
        return
    for what, value in mistakes.items():
        if torch.allclose(got, value, atol=1e-4):
            raise CheckFailed(f"{does} {what}.")
    raise CheckFailed(otherwise)


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
