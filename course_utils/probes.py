"""Probes of a student's network that work the same on a local module and on the grader's handle.

A check builds the student's class, calls it, reads its parameters and their gradients, and
sets its weights with ``load_state_dict``: all of these are calls, which the grader forwards to
the sandbox (see ``course_utils.checks``). Setting weights turns a network into an instrument:
scale the output layer and a network that returns raw scores scales with it, while one that
squashes them (sigmoid, softmax, tanh, ReLU) does not; keep one path through the hidden layers
and the output is the activation function itself, read point by point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from course_utils.checks import CheckFailed, call_student

__all__ = [
    "FixedDropout",
    "behaves_affinely",
    "build_model",
    "count",
    "forward",
    "gradients",
    "load_weights",
    "output_layer",
    "raw_scores_problem",
    "scores",
    "set_mode",
    "weights",
]


def build_model(cls: Any, *args: Any, name: str, class_line: str) -> nn.Module:
    """``cls(*args)`` for a student's network class, with the two classic mistakes named: no
    ``super().__init__()`` before the layers, and a class that is not an ``nn.Module``
    (``class_line`` shows the right first line, e.g. ``"class XorMLP(nn.Module):"``).

    Example:
        >>> build_model(torch.nn.Linear, 2, 1, name="Linear(2, 1)", class_line="class Net(nn.Module):")
        Linear(in_features=2, out_features=1, bias=True)
    """
    try:
        model = call_student(cls, *args, name=name)
    except CheckFailed as err:
        if "before Module.__init__() call" in str(err):
            raise CheckFailed(
                f"{name}: call super().__init__() as the first line of __init__, before creating any "
                "layer."
            ) from None
        raise
    if not isinstance(model, nn.Module):
        raise CheckFailed(
            f"{name} is a {type(model).__name__}, not a network: inherit from nn.Module, `{class_line}`."
        )
    return model


def forward(model: nn.Module, X: torch.Tensor, name: str) -> torch.Tensor:
    """``model(X)`` as a float tensor, its graph kept (``backward`` works, also across the grader)."""
    out = call_student(model, X.clone(), name=f"{name}(x)")
    if out is None:
        raise CheckFailed(
            f"{name}(x) returned None: forward must `return` the output of the last layer."
        )
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"{name}(x) returned a {type(out).__name__}; forward should return a tensor."
        )
    if not out.is_floating_point():
        raise CheckFailed(
            f"{name}(x) returned {out.dtype} values; return the float scores of the last layer."
        )
    return out


def scores(
    model: nn.Module,
    X: torch.Tensor,
    name: str,
    *,
    row: str = "example",
    score: str = "score",
    last_layer: str = "nn.Linear(hidden, 1)",
) -> torch.Tensor:
    """The student's network on ``X``, checked to give one float ``score`` per ``row`` as a column
    (shape (N, 1), what ``last_layer`` gives); returned detached, as float64 on the CPU.

    Example:
        >>> scores(torch.nn.Linear(2, 1), torch.zeros(3, 2), "net").shape
        torch.Size([3, 1])
    """
    out = forward(model, X, name)
    n = X.shape[0]
    if tuple(out.shape) == (n,):
        raise CheckFailed(
            f"{name}(x) returned shape ({n},) for {n} {row}s; return shape ({n}, 1), the output of "
            f"{last_layer} as it is (the training code squeezes it, not forward)."
        )
    if out.dim() == 2 and out.shape[0] == n and out.shape[1] != 1:
        raise CheckFailed(
            f"{name}(x) returned shape {tuple(out.shape)}: the last layer should have 1 output, "
            f"{last_layer}, one {score} per {row}."
        )
    if tuple(out.shape) != (n, 1):
        raise CheckFailed(
            f"{name}(x) returned shape {tuple(out.shape)} for an input of shape {tuple(X.shape)}; it "
            f"should return ({n}, 1): one {score} per {row}, from a last layer {last_layer}."
        )
    return out.detach().to("cpu", torch.float64)


def behaves_affinely(
    score: Callable[[torch.Tensor], torch.Tensor], A: torch.Tensor, B: torch.Tensor
) -> bool:
    """Whether f(a) + f(b) = f(a + b) + f(0) on every row of ``A`` and ``B``: exactly what an affine
    function does (linear layers with no activation between them, or a network that ignores its
    input), and what a network with a nonlinearity does not.

    Example:
        >>> A, B = torch.randn(8, 2), torch.randn(8, 2)
        >>> behaves_affinely(torch.nn.Linear(2, 1), A, B), behaves_affinely(lambda x: x.tanh().sum(1, keepdim=True), A, B)
        (True, False)
    """
    with torch.no_grad():
        fa, fb, fab, f0 = (score(Z).double() for Z in (A, B, A + B, torch.zeros_like(A)))
    scale = 1 + max(t.abs().max().item() for t in (fa, fb, fab, f0))
    return (fa + fb - fab - f0).abs().max().item() <= 1e-4 * scale


def set_mode(model: nn.Module, training: bool, name: str) -> nn.Module:
    """``model.train(training)`` for a student's network (``training=False`` is ``eval()``); the network.

    Example:
        >>> set_mode(torch.nn.Dropout(), False, "net").training
        False
    """
    call_student(model.train, training, name=f"{name}.{'train' if training else 'eval'}()")
    return model


def count(model: nn.Module, name: str) -> int:
    """The number of parameters a student's network registers.

    Example:
        >>> count(torch.nn.Linear(2, 1), "net")
        3
    """
    return sum(v.numel() for v in weights(model, name).values())


def _named(model: nn.Module, method: str, name: str) -> list[tuple[str, torch.Tensor]]:
    def listed() -> list[tuple[str, torch.Tensor]]:
        return [(str(k), v) for k, v in getattr(model, method)()]

    found = call_student(listed, name=f"{name}.{method}()")
    if not all(
        isinstance(v, torch.Tensor) and not isinstance(v, nn.parameter.UninitializedParameter)
        for _, v in found
    ):
        raise CheckFailed(
            f"{name}.{method}() gave something that is not a tensor: register parameters as "
            "nn.Parameter inside layers created in __init__."
        )
    return found


def weights(model: nn.Module, name: str) -> dict[str, torch.Tensor]:
    """A copy of each parameter of the student's network, by name, in registration order.

    Example:
        >>> list(weights(torch.nn.Linear(2, 1), "net"))
        ['weight', 'bias']
    """
    return {k: v.detach().clone() for k, v in _named(model, "named_parameters", name)}


def gradients(model: nn.Module, X: torch.Tensor, name: str) -> dict[str, torch.Tensor | None]:
    """The gradient of a weighted sum of ``model(X)`` for each parameter (None where none arrives);
    the model's gradients are cleared again.

    Example:
        >>> sorted(k for k, g in gradients(torch.nn.Linear(2, 1), torch.ones(3, 2), "net").items() if g is not None)
        ['bias', 'weight']
    """
    call_student(model.zero_grad, name=f"{name}.zero_grad()")
    out = forward(model, X, name)
    mix = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
    if out.requires_grad:
        call_student(lambda: (out * mix).sum().backward(), name=f"backward through {name}")
    found = {
        k: None if v.grad is None else v.grad.detach().clone()
        for k, v in _named(model, "named_parameters", name)
    }
    call_student(model.zero_grad, name=f"{name}.zero_grad()")
    return found


def load_weights(model: nn.Module, values: dict[str, torch.Tensor], name: str) -> None:
    """Set some of the student's parameters (``load_state_dict(values, strict=False)``)."""
    call_student(model.load_state_dict, values, strict=False, name=f"{name}.load_state_dict()")


def output_layer(params: dict[str, torch.Tensor], n_out: int) -> tuple[str, str | None] | None:
    """The names of the output layer's weight and bias: the one matrix with a side of ``n_out`` and the
    one vector of ``n_out`` entries; None when the network is not built that way.

    Example:
        >>> output_layer(weights(torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Linear(4, 1)), "net"), 1)
        ('1.weight', '1.bias')
    """
    matrices = [k for k, v in params.items() if v.dim() == 2 and n_out in v.shape]
    vectors = [k for k, v in params.items() if v.dim() == 1 and v.numel() == n_out]
    if len(matrices) != 1 or len(vectors) > 1:
        return None
    return matrices[0], vectors[0] if vectors else None


def raw_scores_problem(
    model: nn.Module, X: torch.Tensor, name: str, n_out: int, loss: str
) -> str | None:
    """Whether ``model`` (in eval mode) returns its output layer's raw scores. The probe zeroes the
    output layer's weights and sets its bias to t, so that its raw score is t whatever the input:
    the network must then return t (for several scores per row, their differences: all that
    ``CrossEntropyLoss`` sees, so a log-softmax passes). What it does instead, in words, or None
    (also when the network has no such output layer: then nothing can be told).

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
        >>> raw_scores_problem(net, torch.randn(8, 2), "net", 1, "BCEWithLogitsLoss") is None
        True
        >>> squashed = torch.nn.Sequential(net, torch.nn.Sigmoid())
        >>> print(raw_scores_problem(squashed, torch.randn(8, 2), "net", 1, "BCEWithLogitsLoss"))
        ... # doctest: +NORMALIZE_WHITESPACE
        net applies a sigmoid to its output: return the raw scores of the last layer (logits);
        BCEWithLogitsLoss applies the sigmoid itself, so it would be applied twice.
    """
    params = weights(model, name)
    layer = output_layer(params, n_out)
    if layer is None or layer[1] is None:
        return None
    weight, bias = layer
    raw = torch.tensor([-30.0, -3.0, -0.5, 0.5, 3.0, 30.0])
    out = []
    for t in raw.tolist():
        load_weights(
            model,
            {
                weight: torch.zeros_like(params[weight]),
                bias: torch.zeros(n_out).index_fill_(0, torch.tensor(0), t),
            },
            name,
        )
        with torch.no_grad():
            got = forward(model, X[:2], name).detach().double()
        if got.shape != (2, n_out):
            return None  # the shape checks say what is wrong
        out.append(got[0])
    load_weights(model, {weight: params[weight], bias: params[bias]}, name)
    out = torch.stack(out)
    seen = out[:, 0] - out[:, 1] if n_out > 1 else out[:, 0]
    if torch.allclose(seen, raw.double(), rtol=1e-4, atol=1e-4):
        return None
    if (
        n_out > 1
        and (out >= 0).all()
        and torch.allclose(out.sum(1), torch.ones(len(out), dtype=out.dtype), atol=1e-4)
    ):
        what = "a softmax"
    elif (out >= 0).all() and (out <= 1).all():
        what = "a sigmoid"
    elif (out.abs() <= 1).all():
        what = "tanh (or another squashing function)"
    elif (out >= 0).all():
        what = "a ReLU (or another function that cuts negative scores)"
    else:
        what = "a function"
    own = "a softmax" if n_out > 1 else "a sigmoid"  # what the loss applies to the scores itself
    start = (
        f"{name} applies {what} to its output: return the raw scores of the last layer (logits); "
    )
    if what == own:
        return (
            start
            + f"{loss} applies {own.replace('a ', 'the ')} itself, so it would be applied twice."
        )
    return start + (
        f"{loss} applies {own.replace('a ', 'the ')} itself and expects raw scores: squashed or cut "
        "ones cannot grow as far as confident answers need."
    )


class FixedDropout(nn.Module):
    """Dropout whose mask depends only on the position (row, feature) and ``seed``: a check network
    behaves the same wherever it runs (in the grader's sandbox too), yet differently in train and
    eval mode, as dropout does.

    Example:
        >>> drop = FixedDropout(0.5)
        >>> torch.equal(drop(torch.ones(2, 3)), drop(torch.ones(2, 3))), drop.eval()(torch.ones(2, 3)).sum().item()
        (True, 6.0)
    """

    def __init__(self, p: float, seed: int = 0):
        super().__init__()
        self.p, self.seed = p, seed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        keep = torch.rand(x.shape, generator=torch.Generator().manual_seed(self.seed)) >= self.p
        return x * keep.to(x.device, x.dtype) / (1 - self.p)
