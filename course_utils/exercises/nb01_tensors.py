"""Checks for the exercises of notebook 01 · Tensors vs NumPy."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from course_utils.checks import CheckFailed, call_student, check_close, check_tensor, passed


def check_numpy_to_device(fn: Callable[[np.ndarray, torch.device], torch.Tensor],
                          device: torch.device | str = "cpu") -> None:
    """Check ``fn(a, device)``: a float64 NumPy array becomes a float32 tensor on ``device``.

    Example:
        >>> check_numpy_to_device(lambda a, d: torch.from_numpy(a).float().to(d))
        ✅ numpy_to_device is correct (float32, on the requested device, values kept)
    """
    device = torch.device(device)
    a = np.arange(6, dtype=np.float64).reshape(2, 3) / 4
    result = call_student(fn, a.copy(), device, name="numpy_to_device")
    if isinstance(result, np.ndarray):
        raise CheckFailed("numpy_to_device returned a NumPy array: turn it into a tensor with "
                          "torch.from_numpy(a) (or torch.tensor(a)).")
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
    result = call_student(fn, A, B, name="pairwise_sq_distances")
    expected = ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
    if isinstance(result, torch.Tensor) and result.shape == expected.shape:
        if torch.allclose(result, expected.sqrt(), atol=1e-5):
            raise CheckFailed("pairwise_sq_distances returned the distances, not their squares: "
                              "leave out the square root.")
    if isinstance(result, torch.Tensor) and result.shape == (4, 2):
        raise CheckFailed("pairwise_sq_distances has shape (4, 2) but should be (4, 3): you subtracted "
                          "the rows pairwise in order; add axes with A[:, None, :] - B[None, :, :] so "
                          "that broadcasting pairs every row of A with every row of B.")
    check_tensor(result, expected, name="pairwise_sq_distances(A, B)", atol=1e-5, quiet=True)
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
    ]
    for label, f, x0, slope in cases:
        result = call_student(fn, f, x0, name="derivative")
        if isinstance(result, torch.Tensor):
            raise CheckFailed(f"derivative returned a tensor for {label}; return a plain number with .item().")
        value = float(f(torch.tensor(x0)))
        if isinstance(result, (int, float)) and math.isclose(result, value, abs_tol=1e-5) and value != slope:
            raise CheckFailed(f"derivative returned f(x0) = {value:g} for {label}, not the slope: call "
                              "backward() on f(x) and return x.grad.")
        check_close(result, slope, name=f"derivative for {label}", atol=1e-5, quiet=True)
    passed("derivative", "x³ at 2 gives 12, sin at 0 gives 1")
