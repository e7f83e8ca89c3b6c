"""Checks for the exercises of notebook 03 (the multilayer perceptron)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_utils.checks import CheckFailed, call_student, check_close, passed

_NETWORKS = ([3, 5, 4, 2], [2, 1], [784, 128, 10])


def reference_count(sizes: list[int]) -> int:
    """Parameters of a fully connected network with biases, layer sizes ``sizes``.

    Example:
        >>> reference_count([3, 5, 4, 2])
        54
    """
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def check_count_parameters(count_parameters: Callable[[list[int]], int]) -> None:
    """``count_parameters(sizes)`` must count weights and biases of every layer.

    Example:
        >>> check_count_parameters(reference_count)
        ✅ count_parameters is correct
    """
    for sizes in _NETWORKS:
        actual = call_student(count_parameters, list(sizes), name="count_parameters")
        expected = reference_count(sizes)
        if isinstance(actual, torch.Tensor) and actual.numel() == 1:
            actual = actual.item()
        if not isinstance(actual, int) or isinstance(actual, bool):
            raise CheckFailed(f"count_parameters({sizes}) should return an int, got {type(actual).__name__} {actual!r}.")
        if actual == expected:
            continue
        weights_only = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        hint = ("that is the number of weights only: every neuron also has a bias"
                if actual == weights_only else
                "a layer from n_in to n_out neurons has n_in·n_out weights plus n_out biases")
        raise CheckFailed(f"count_parameters({sizes}) returned {actual}, expected {expected}: {hint}.")
    passed("count_parameters")


def check_bce(bce: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``bce(p, y)``: mean binary cross-entropy of probabilities ``p`` against 0/1 labels ``y``.

    Example:
        >>> check_bce(torch.nn.functional.binary_cross_entropy)
        ✅ bce is correct
    """
    p = torch.tensor([0.9, 0.2, 0.6, 0.3])
    y = torch.tensor([1.0, 0.0, 0.0, 1.0])
    expected = torch.nn.functional.binary_cross_entropy(p, y).item()
    actual = call_student(bce, p.clone(), y.clone(), name="bce")
    if isinstance(actual, torch.Tensor) and actual.numel() == 1:
        value = actual.item()
        if abs(value - 4 * expected) < 1e-4:
            raise CheckFailed(f"bce returned the sum over the {len(p)} examples ({value:.4f}); take the mean.")
        if abs(value + expected) < 1e-4:
            raise CheckFailed("bce has the wrong sign: log p is negative, so the loss is −mean(y·log p + (1−y)·log(1−p)).")
        only_positive = -(y * p.log()).mean().item()
        if abs(value - only_positive) < 1e-4:
            raise CheckFailed("bce only counts the examples with y = 1: add the (1 − y)·log(1 − p) term for y = 0.")
    check_close(actual, expected, name="bce(p, y)", atol=1e-5, quiet=True)
    passed("bce")
