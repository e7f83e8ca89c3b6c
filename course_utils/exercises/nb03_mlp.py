"""Checks for the exercises of notebook 03 (the multilayer perceptron)."""

from __future__ import annotations

import copy
import functools
import numbers
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import CheckFailed, call_student, check_close, passed, rule_on_how, shown
from course_utils.probes import (
    behaves_affinely,
    build_model,
    count,
    gradients,
    raw_scores_problem,
    scores,
    set_mode,
)

__all__ = [
    "XOR_X",
    "XOR_Y",
    "check_bce",
    "check_count_parameters",
    "check_train",
    "check_xor_mlp",
    "reference_count_parameters",
]

_NETWORKS = ([3, 5, 4, 2], [2, 1], [784, 128, 10])
#: What builds layers: any module class of torch.nn, and the course's own mlp().
_LAYERS = ("torch.nn.modules.*", "course_utils.mlp.*")
#: PyTorch's own losses: the exercise asks for the formula.
_TORCH_LOSSES = (
    "torch.*binary_cross_entropy*",
    "torch.*BCELoss",
    "torch.*BCEWithLogitsLoss",
    "torch.*nll_loss",
    "torch.*NLLLoss",
    "torch.*cross_entropy",
    "torch.*CrossEntropyLoss",
    "torch.distributions.*",
    "torch.*kl_div",
)


def reference_count_parameters(sizes: list[int]) -> int:
    """Parameters of a fully connected network with biases, layer sizes ``sizes``.

    Example:
        >>> reference_count_parameters([3, 5, 4, 2])
        54
    """
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def check_count_parameters(count_parameters: Callable[[list[int]], int]) -> None:
    """``count_parameters(sizes)`` must count weights and biases of every layer, by the formula
    (no PyTorch layers built), and return an int.

    Example:
        >>> check_count_parameters(reference_count_parameters)
        ✅ count_parameters is correct
    """
    rule_on_how(
        count_parameters,
        "count_parameters",
        "count_parameters built PyTorch layers to count their "
        "parameters ({use}); the exercise asks for the formula of section 4: each layer has (n_in + 1)·n_out "
        "parameters.",
        *_LAYERS,
    )
    for sizes in _NETWORKS:
        actual = call_student(count_parameters, list(sizes), name="count_parameters")
        if (
            isinstance(actual, torch.Tensor)
            or isinstance(actual, bool)
            or not isinstance(actual, numbers.Integral)
        ):
            kind = (
                "a tensor"
                if isinstance(actual, torch.Tensor)
                else f"{type(actual).__name__} {shown(actual)}"
            )
            raise CheckFailed(
                f"count_parameters({sizes}) returned {kind}; it should return a Python int "
                "(convert with int(...) or .item())."
            )
        expected = reference_count_parameters(sizes)
        if actual == expected:
            continue
        weights_only = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        hint = (
            "that is the number of weights only: every neuron also has a bias"
            if actual == weights_only
            else "a layer from n_in to n_out neurons has n_in·n_out weights plus n_out biases"
        )
        raise CheckFailed(
            f"count_parameters({sizes}) returned {actual}, expected {expected}: {hint}."
        )
    passed("count_parameters")


def _reference_bce(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def check_bce(bce: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``bce(p, y)``: mean binary cross-entropy of probabilities ``p`` against 0/1 labels ``y``,
    by the formula (not ``nn.BCELoss``), returned as a tensor that ``backward()`` can use.

    Example:
        >>> check_bce(lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean())
        ✅ bce is correct
    """
    p = torch.tensor([0.9, 0.2, 0.6, 0.3])
    y = torch.tensor([1.0, 0.0, 0.0, 1.0])
    expected = _reference_bce(p, y).item()
    rule_on_how(
        bce,
        "bce",
        "bce calls PyTorch's own loss ({use}); the exercise asks for the formula: "
        "−mean(y·log p + (1−y)·log(1−p)).",
        *_TORCH_LOSSES,
    )
    p_in = p.clone().requires_grad_()
    actual = call_student(bce, p_in, y.clone(), name="bce")
    if not isinstance(actual, torch.Tensor):
        if isinstance(actual, numbers.Real) and not isinstance(actual, bool):
            raise CheckFailed(
                f"bce returned a {type(actual).__name__}; return the tensor itself (no .item(), no "
                "NumPy), so that loss.backward() can compute gradients from it."
            )
        raise CheckFailed(
            f"bce returned a {type(actual).__name__}; it should return a one-element tensor."
        )
    if actual.numel() == 1:
        value = actual.item()
        if abs(value - len(p) * expected) < 1e-4:
            raise CheckFailed(
                f"bce returned the sum over the {len(p)} examples ({value:.4f}); take the mean."
            )
        if abs(value + expected) < 1e-4:
            raise CheckFailed(
                "bce has the wrong sign: log p is negative, so the loss is −mean(y·log p + (1−y)·log(1−p))."
            )
        if abs(value - (-(y * p.log()).mean().item())) < 1e-4:
            raise CheckFailed(
                "bce only counts the examples with y = 1: add the (1 − y)·log(1 − p) term for y = 0."
            )
    check_close(actual, expected, name="bce(p, y)", atol=1e-5, quiet=True)
    _check_gradient(actual, p_in, p, y)
    passed("bce")


def _check_gradient(
    actual: torch.Tensor, p_in: torch.Tensor, p: torch.Tensor, y: torch.Tensor
) -> None:
    if actual.grad_fn is None:
        raise CheckFailed(
            "bce has the right value but no gradient: it was computed outside autograd (NumPy, "
            ".item(), .detach() or torch.tensor(...) of a number); use torch operations on p."
        )
    (grad,) = torch.autograd.grad(actual.sum(), p_in, allow_unused=True)
    p_ref = p.clone().requires_grad_()
    (expected,) = torch.autograd.grad(_reference_bce(p_ref, y), p_ref)
    if grad is None or not torch.allclose(grad, expected, atol=1e-5):
        raise CheckFailed(
            "bce has the right value but the wrong gradient with respect to p: compute it from p "
            "with torch operations, without constants or detached parts."
        )


# ---------------------------------------------------------------- exercise 8.3: build XOR's network and its loop

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
