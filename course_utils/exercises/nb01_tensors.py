"""Checks for the exercises of notebook 01 · Tensors vs NumPy."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from course_utils.checks import (
    CheckFailed,
    call_student,
    check_close,
    check_tensor,
    passed,
    rule_on_how,
)

__all__ = ["check_derivative", "check_numpy_to_device", "check_pairwise_sq_distances"]

# Library functions that compute all pairwise distances at once: they skip the broadcasting exercise 11.2 teaches.
_DISTANCE_FUNCTIONS = ("torch.*cdist", "torch.*pdist", "scipy.spatial.*", "sklearn.metrics.*")


def check_numpy_to_device(
    fn: Callable[[np.ndarray, torch.device], torch.Tensor], device: torch.device | str = "cpu"
) -> None:
    """Check ``fn(a, device)``: a float64 NumPy array becomes a float32 tensor on ``device``.

    Example:
        >>> check_numpy_to_device(lambda a, d: torch.from_numpy(a).float().to(d))
        ✅ numpy_to_device is correct (float32, on the requested device, values kept)
    """
    device = torch.device(device)
    a = np.arange(6, dtype=np.float64).reshape(2, 3) / 4
    result = call_student(fn, a.copy(), device, name="numpy_to_device")
    if isinstance(result, np.ndarray):
        raise CheckFailed(
            "numpy_to_device returned a NumPy array: turn it into a tensor with "
            "torch.from_numpy(a) (or torch.tensor(a))."
        )
    expected = torch.tensor(a, dtype=torch.float32, device=device)
    check_tensor(result, expected, name="numpy_to_device(a, device)", quiet=True)
    passed("numpy_to_device", "float32, on the requested device, values kept")


def check_pairwise_sq_distances(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``fn(A, B)``: the (n, m) matrix of squared distances between rows of A and B.

    Example:
        >>> check_pairwise_sq_distances(lambda A, B: ((A[:, None] - B[None]) ** 2).sum(-1))
        ✅ pairwise_sq_distances is correct (shape (4, 3), no loops needed)
    """
    gen = torch.Generator().manual_seed(1)
    A, B = torch.randn(4, 2, generator=gen), torch.randn(3, 2, generator=gen)
    result = call_student(fn, A.clone(), B.clone(), name="pairwise_sq_distances")
    expected = ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
    if isinstance(result, torch.Tensor) and result.shape == expected.shape:
        if torch.allclose(result, expected.sqrt(), atol=1e-5):
            raise CheckFailed(
                "pairwise_sq_distances returned the distances, not their squares: "
                "leave out the square root."
            )
    if isinstance(result, torch.Tensor) and result.shape == (4, 2):
        raise CheckFailed(
            "pairwise_sq_distances has shape (4, 2) but should be (4, 3): you subtracted "
            "the rows pairwise in order; add axes with A[:, None, :] - B[None, :, :] so "
            "that broadcasting pairs every row of A with every row of B."
        )
    check_tensor(result, expected, name="pairwise_sq_distances(A, B)", atol=1e-5, quiet=True)
    big_A, big_B = torch.randn(16, 5, generator=gen), torch.randn(12, 5, generator=gen)
    big_result = call_student(fn, big_A.clone(), big_B.clone(), name="pairwise_sq_distances")
    check_tensor(
        big_result,
        ((big_A[:, None] - big_B[None]) ** 2).sum(-1),
        name="pairwise_sq_distances for a (16, 5) and a (12, 5) input",
        atol=1e-4,
        quiet=True,
    )
    rule_on_how(
        fn,
        "pairwise_sq_distances",
        "pairwise_sq_distances gives the right values but uses a Python loop "
        "({use}). Remove the loop: A[:, None, :] - B[None, :, :] pairs every row of A with every row of B in "
        "one operation.",
        loops=True,
    )
    rule_on_how(
        fn,
        "pairwise_sq_distances",
        "pairwise_sq_distances gives the right values but calls a library's "
        "distance function ({use}), which does the broadcasting for you. The exercise is the broadcasting: "
        "A[:, None, :] - B[None, :, :] pairs every row of A with every row of B; square it and sum over the "
        "last axis.",
        *_DISTANCE_FUNCTIONS,
    )
    passed("pairwise_sq_distances", "shape (4, 3), no loops needed")


def check_derivative(fn: Callable[[Callable[[torch.Tensor], torch.Tensor], float], float]) -> None:
    """Check ``fn(f, x0)``: the derivative f'(x0) computed with autograd, as a Python float.

    Example:
        >>> def derivative(f, x0):
        ...     x = torch.tensor(x0, requires_grad=True)
        ...     f(x).backward()
        ...     return x.grad.item()
        >>> check_derivative(derivative)
        ✅ derivative is correct (x³ at 2 gives 12, sin at 0 gives 1)
    """
    cases = [
        ("f(x) = x**3 at x0 = 2.0", lambda x: x**3, 2.0, 12.0),
        ("f(x) = sin(x) at x0 = 0.0", torch.sin, 0.0, 1.0),
        ("f(x) = 3*x**2 + 2*x at x0 = -1.0", lambda x: 3 * x**2 + 2 * x, -1.0, -4.0),
        *_KINKS,
    ]
    for label, f, x0, slope in cases:
        result = call_student(fn, f, x0, name="derivative")
        if isinstance(result, torch.Tensor):
            raise CheckFailed(
                f"derivative returned a tensor for {label}; return a plain number with .item()."
            )
        how = "Make x = torch.tensor(x0, requires_grad=True), call f(x).backward() and return x.grad.item()."
        wrong = (
            isinstance(result, (int, float))
            and math.isfinite(result)
            and not math.isclose(result, slope, abs_tol=1e-5)
        )
        if wrong and label in _QUOTIENTS:
            quotient = any(math.isclose(result, q, abs_tol=1e-3) for q in _QUOTIENTS[label][1])
            raise CheckFailed(
                f"derivative gives {result:g} for {label}, where autograd gives {slope:g} (PyTorch's own "
                "choice at a kink)"
                + (
                    f"; difference quotients give {_QUOTIENTS[label][0]}: that is "
                    "finite differences, not autograd. "
                    if quotient
                    else ": compute it with autograd. "
                )
                + how
            )
        value = float(f(torch.tensor(x0)))
        if wrong and math.isclose(result, value, abs_tol=1e-5):
            raise CheckFailed(
                f"derivative returned f(x0) = {value:g} for {label}, not the slope: call "
                "backward() on f(x) and return x.grad."
            )
        if wrong and abs(result - slope) <= 1e-2 * max(1.0, abs(slope)):
            raise CheckFailed(
                f"derivative gives {result:g} for {label}, close to {slope:g} but not exact: a "
                "difference quotient only approximates the slope (finite differences); autograd "
                "computes it exactly. " + how
            )
        check_close(result, slope, name=f"derivative for {label}", atol=1e-5, quiet=True)
    passed("derivative", "x³ at 2 gives 12, sin at 0 gives 1")


#: Kinks, where autograd returns PyTorch's own choice of slope and no difference quotient agrees with all three:
#: the central one gives the mean of the two sides, the forward one the right side, the backward one the left.
_KINKS = [
    (
        "f(x) = relu(x) - 2*relu(-x) at x0 = 0.0",
        lambda x: torch.relu(x) - 2 * torch.relu(-x),
        0.0,
        0.0,
    ),
    ("f(x) = where(x >= 0, 3*x, x) at x0 = 0.0", lambda x: torch.where(x >= 0, 3 * x, x), 0.0, 3.0),
    ("f(x) = where(x > 0, 3*x, x) at x0 = 0.0", lambda x: torch.where(x > 0, 3 * x, x), 0.0, 1.0),
]
_QUOTIENTS = {
    _KINKS[0][0]: ("1.5 (central), 1 (forward) or 2 (backward)", (1.5, 1.0, 2.0)),
    _KINKS[1][0]: ("2 (central) or 1 (backward)", (2.0, 1.0)),
    _KINKS[2][0]: ("2 (central) or 3 (forward)", (2.0, 3.0)),
}
