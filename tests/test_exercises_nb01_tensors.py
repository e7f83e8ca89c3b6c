"""The checks of notebook 01 accept right answers and reject stubs and typical mistakes."""

import numpy as np
import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.exercises.nb01_tensors import check_derivative, check_numpy_to_device, check_pairwise_sq_distances


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_numpy_to_device_accepts_right_answers(capsys):
    check_numpy_to_device(lambda a, d: torch.from_numpy(a).float().to(d), "cpu")
    check_numpy_to_device(lambda a, d: torch.tensor(a, dtype=torch.float32, device=d), torch.device("cpu"))
    assert capsys.readouterr().out.count("✅ numpy_to_device is correct") == 2


@pytest.mark.parametrize("answer, pattern", [
    (stub, "not written yet"),
    (lambda a, d: torch.from_numpy(a), "dtype torch.float64 but should have torch.float32"),
    (lambda a, d: a.astype(np.float32), "returned a NumPy array"),
    (lambda a, d: torch.from_numpy(a).float().T, r"shape \(3, 2\) but should have shape \(2, 3\)"),
    (lambda a, d: torch.from_numpy(a).float() * 2, "wrong values"),
])
def test_numpy_to_device_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_numpy_to_device(answer, "cpu")


def test_numpy_to_device_rejects_the_wrong_device():
    with pytest.raises(CheckFailed, match=r"is on cpu but should be on meta"):
        check_numpy_to_device(lambda a, d: torch.from_numpy(a).float(), "meta")


def right_distances(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)


def expanded_square(A, B):
    return (A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2 * A @ B.T


def via_numpy(A, B):
    a, b = A.numpy(), B.numpy()
    return torch.from_numpy(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


@pytest.mark.parametrize("answer", [right_distances, lambda A, B: torch.cdist(A, B) ** 2, expanded_square, via_numpy])
def test_pairwise_sq_distances_accepts_right_answers_written_differently(answer, capsys):
    check_pairwise_sq_distances(answer)
    assert "✅ pairwise_sq_distances is correct" in capsys.readouterr().out


def loop_over_rows(A, B):
    return torch.stack([((a - B) ** 2).sum(-1) for a in A])


def double_loop(A, B):
    return torch.tensor([[float(((a - b) ** 2).sum()) for b in B] for a in A])


def loop_over_features(A, B):
    total = torch.zeros(len(A), len(B))
    for k in range(A.shape[1]):
        total = total + (A[:, k, None] - B[None, :, k]) ** 2
    return total


@pytest.mark.parametrize("answer", [loop_over_rows, double_loop, loop_over_features])
def test_pairwise_sq_distances_rejects_python_loops(answer):
    with pytest.raises(CheckFailed, match=r"uses a Python loop: it made \d+ torch calls for \(4, 2\)"):
        check_pairwise_sq_distances(answer)


@pytest.mark.parametrize("answer, pattern", [
    (stub, "not written yet"),
    (lambda A, B: torch.cdist(A, B), "leave out the square root"),
    (lambda A, B: ((A[:3] - B) ** 2), r"shape \(3, 2\) but should have shape \(4, 3\)"),
    (lambda A, B: (A[:, None, :] - B[None, :, :]).sum(-1), "wrong values"),
    (lambda A, B: right_distances(A, B).T, r"shape \(3, 4\)"),
])
def test_pairwise_sq_distances_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_pairwise_sq_distances(answer)


def autograd_derivative(f, x0):
    x = torch.tensor(x0, requires_grad=True)
    f(x).backward()
    return x.grad.item()


def autograd_grad_derivative(f, x0):
    x = torch.tensor([x0], dtype=torch.float64, requires_grad=True)
    (slope,) = torch.autograd.grad(f(x).sum(), x)
    return float(slope)


@pytest.mark.parametrize("answer", [autograd_derivative, autograd_grad_derivative])
def test_derivative_accepts_autograd_written_differently(answer, capsys):
    check_derivative(answer)
    assert "✅ derivative is correct" in capsys.readouterr().out


def central_difference(f, x0, h=1e-6):
    x = torch.tensor(x0, dtype=torch.float64)
    return ((f(x + h) - f(x - h)) / (2 * h)).item()


def difference_on_grad_tensors(f, x0, h=1e-6):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    return ((f(x + h) - f(x - h)) / (2 * h)).item()


def autograd_times_two(f, x0):
    return 2 * autograd_derivative(f, x0)


def grad_as_tensor(f, x0):
    x = torch.tensor(x0, requires_grad=True)
    f(x).backward()
    return x.grad


@pytest.mark.parametrize("answer, pattern", [
    (stub, "not written yet"),
    (lambda f, x0: f(torch.tensor(x0)).item(), "returned f\\(x0\\).*not the slope"),
    (grad_as_tensor, "return a plain number with .item"),
    (lambda f, x0: 2 * x0, "did not use autograd for f\\(x\\) = x\\*\\*3"),
    (central_difference, "did not use autograd.*finite differences"),
    (difference_on_grad_tensors, "did not use autograd.*finite differences"),
    (autograd_times_two, "is 24, expected 12"),
    (lambda f, x0: float("nan"), "did not use autograd"),
])
def test_derivative_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_derivative(answer)
