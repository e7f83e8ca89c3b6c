"""Notebook 02's first exercises: the RMSE, the gradients of the MSE by hand, and standardising
with the training set's statistics; each with its reference solution and its check."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch

from course_utils.checks import (
    CheckFailed,
    call_student,
    check_close,
    check_tensor,
    passed,
    rule_on_how,
)

__all__ = [
    "check_mse_gradients",
    "check_rmse",
    "check_standardize",
    "reference_mse_gradients",
    "reference_rmse",
    "reference_standardize",
]


def _problem(
    seed: int = 3, n: int = 20, d: int = 3
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A small fixed regression problem (X, y, w, b) for the checks."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen)
    y = torch.randn(n, generator=gen)
    w = torch.randn(d, generator=gen)
    b = torch.randn((), generator=gen)
    return X, y, w, b


def reference_rmse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Exercise 2.1: the root mean squared error.

    Example:
        >>> reference_rmse(torch.tensor([2.0, 0.0, 5.0, 4.0]), torch.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor(1.5000)
    """
    return ((y_hat - y) ** 2).mean().sqrt()


def check_rmse(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``fn(y_hat, y)``: the root mean squared error, a single number.

    Example:
        >>> check_rmse(lambda y_hat, y: ((y_hat - y) ** 2).mean().sqrt())
        ✅ rmse is correct (errors 1, -2, 2, 0 give RMSE 1.5)
    """
    y = torch.tensor([1.0, 2.0, 3.0, 4.0])
    y_hat = torch.tensor([2.0, 0.0, 5.0, 4.0])  # errors 1, -2, 2, 0: MSE 2.25, RMSE 1.5, MAE 1.25
    result = call_student(fn, y_hat.clone(), y.clone(), name="rmse")
    if isinstance(result, torch.Tensor) and result.numel() == 1 and result.dim() > 0:
        raise CheckFailed(
            f"rmse returned a tensor of shape {tuple(result.shape)}; a single number is a "
            "0-dimensional tensor (reduce with .mean() without keepdim, or .squeeze()) or a "
            "float (.item())."
        )
    value = result.item() if isinstance(result, torch.Tensor) and result.numel() == 1 else result
    value = (
        float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else value
    )
    hints = {
        2.25: "the MSE: take the square root of the mean of the squared errors",
        1.25: "the MAE: square the errors, average them, then take the square root",
        3.0: "sqrt(sum of squared errors): average over the examples (.mean(), not .sum()) before the root",
    }
    for wrong, hint in hints.items():
        if isinstance(value, float) and abs(value - wrong) < 1e-5:
            raise CheckFailed(f"rmse returned {value:g}, which is {hint}.")
    check_close(result, 1.5, name="rmse([2, 0, 5, 4], [1, 2, 3, 4])", atol=1e-5, quiet=True)
    passed("rmse", "errors 1, -2, 2, 0 give RMSE 1.5")


#: What computes gradients for you: the exercise asks for the formulas.
_AUTOGRAD = ("*.backward", "torch.autograd.*", "torch.func.*", "functorch*")


def reference_mse_gradients(
    X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exercise 4.1: the gradients (grad_w, grad_b) of mean((X @ w + b - y)²), derived by hand.

    Example:
        >>> reference_mse_gradients(torch.tensor([[1.0], [2.0]]), torch.tensor([1.0, 2.0]), torch.tensor([0.0]),
        ...                         torch.tensor(0.0))
        (tensor([-5.]), tensor(-3.))
    """
    e = X @ w + b - y
    return 2 * X.T @ e / len(y), 2 * e.mean()


def check_mse_gradients(fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Check ``fn(X, y, w, b)``: the hand-derived gradients of MSE = mean((X @ w + b - y)²).

    Example:
        >>> def grads(X, y, w, b):
        ...     r = X @ w + b - y
        ...     return 2 * X.T @ r / len(y), 2 * r.mean()
        >>> check_mse_gradients(grads)
        ✅ mse_gradients is correct (equal to autograd's)
    """
    rule_on_how(
        fn,
        "mse_gradients",
        "mse_gradients used autograd ({use}); the exercise asks for the formulas: "
        "e = X @ w + b - y, grad_w = 2 X^T e / n, grad_b = 2 mean(e).",
        *_AUTOGRAD,
    )
    X, y, w, b = _problem()
    result = call_student(fn, X.clone(), y.clone(), w.clone(), b.clone(), name="mse_gradients")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(
            "mse_gradients should return two things, (grad_w, grad_b); "
            f"it returned {type(result).__name__}."
        )
    w_ = w.clone().requires_grad_(True)
    b_ = b.clone().requires_grad_(True)
    ((X @ w_ + b_ - y) ** 2).mean().backward()
    for got, want, name in ((result[0], w_.grad, "grad_w"), (result[1], b_.grad, "grad_b")):
        if isinstance(got, torch.Tensor) and got.shape == want.shape:
            hints = {
                0.5: "half the right value: the derivative of r² is 2r, keep the factor 2",
                float(
                    len(y)
                ): f"{len(y)} (= n) times too big: average over the examples, don't sum",
                -1.0: "the wrong sign: the residual is (prediction - target)",
            }
            for factor, hint in hints.items():
                if torch.allclose(got, want * factor, rtol=1e-4, atol=1e-6):
                    raise CheckFailed(f"{name} is {hint}.")
        check_tensor(got, want, name=name, atol=1e-5, rtol=1e-4, quiet=True)
    passed("mse_gradients", "equal to autograd's")


def reference_standardize(
    X_train: torch.Tensor, X_test: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Exercise 8.1: both matrices standardised with the training mean and standard deviation of each column.

    Example:
        >>> reference_standardize(torch.tensor([[1.0], [3.0]]), torch.tensor([[5.0]]))[1]
        tensor([[2.1213]])
    """
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    return (X_train - mean) / std, (X_test - mean) / std


def check_standardize(
    fn: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """Check ``fn(X_train, X_test)``: both standardised with the TRAINING mean and std per column.

    Either standard deviation is right: the sample one (``X.std(0)``, PyTorch's default, divides
    by n - 1) or the population one (``X.std(0, unbiased=False)``, NumPy's default, divides by n),
    as long as the same one is used for both matrices.

    Example:
        >>> def standardize(X_train, X_test):
        ...     mean, std = X_train.mean(0), X_train.std(0)
        ...     return (X_train - mean) / std, (X_test - mean) / std
        >>> check_standardize(standardize)
        ✅ standardize is correct (training statistics used for both)
    """
    gen = torch.Generator().manual_seed(5)
    scale = torch.tensor([1.0, 100.0, 0.01])
    X_train = torch.randn(30, 3, generator=gen) * scale + 5
    X_test = torch.randn(10, 3, generator=gen) * scale + 7
    train_in, test_in = X_train.clone(), X_test.clone()
    result = call_student(fn, train_in, test_in, name="standardize")
    if not (torch.equal(train_in, X_train) and torch.equal(test_in, X_test)):
        raise CheckFailed(
            "standardize changed its input matrices in place (e.g. X_train -= mean): return new "
            "tensors, (X_train - mean) / std, and leave the caller's data as it was."
        )
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed("standardize should return two tensors, (X_train_std, X_test_std).")
    got_train, got_test = result
    mean = X_train.mean(0)
    right = {
        unbiased: (
            (X_train - mean) / X_train.std(0, unbiased=unbiased),
            (X_test - mean) / X_train.std(0, unbiased=unbiased),
        )
        for unbiased in (True, False)
    }

    def same(got: object, want: torch.Tensor) -> bool:
        return (
            isinstance(got, torch.Tensor)
            and got.shape == want.shape
            and torch.allclose(got.detach().double(), want.double(), atol=1e-4, rtol=1e-3)
        )

    if any(same(got_train, tr) and same(got_test, te) for tr, te in right.values()):
        passed("standardize", "training statistics used for both")
        return
    low, high = X_train.min(0).values, X_train.max(0).values
    hints = [
        (
            got_train,
            (X_train - X_train.mean()) / X_train.std(),
            "used one mean and std for the whole matrix: "
            "compute them per column (feature) with .mean(dim=0) and .std(dim=0)",
        ),
        (
            got_test,
            (X_test - X_test.mean(0)) / X_test.std(0),
            "standardised X_test with its own mean and std: use "
            "the TRAINING mean and std for both, as a deployed model only knows the training data",
        ),
        (
            got_train,
            X_train - mean,
            "only subtracted the mean: also divide by the standard deviation",
        ),
        (
            got_train,
            (X_train - mean) / X_train.var(0),
            "divided by the variance: divide by the standard "
            "deviation, its square root (.std(dim=0))",
        ),
        (
            got_train,
            (X_train - low) / (high - low),
            "scaled each column to [0, 1] (min-max scaling): "
            "standardising subtracts the mean and divides by the standard deviation",
        ),
    ]
    for got, wrong, hint in hints:
        if same(got, wrong):
            raise CheckFailed(f"standardize {hint}.")
    if same(got_train, right[True][0]) != same(got_test, right[True][1]) or same(
        got_train, right[False][0]
    ) != same(got_test, right[False][1]):
        raise CheckFailed(
            "standardize used different statistics for X_train and X_test: compute the mean and "
            "std once, on X_train, and apply the same two to both."
        )
    check_tensor(got_train, right[True][0], name="X_train_std", atol=1e-4, rtol=1e-3, quiet=True)
    check_tensor(got_test, right[True][1], name="X_test_std", atol=1e-4, rtol=1e-3, quiet=True)
    passed("standardize", "training statistics used for both")
