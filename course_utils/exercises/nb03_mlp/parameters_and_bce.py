"""Notebook 03's exercises 8.1 and 8.2: the parameters of a fully connected network counted, and the
binary cross-entropy by its formula; each with its check."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch

from course_utils.checks import CheckFailed, call_student, check_close, passed, rule_on_how, shown

__all__ = ["check_bce", "check_count_parameters", "reference_count_parameters"]

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
