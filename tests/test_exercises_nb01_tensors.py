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


def test_pairwise_sq_distances_accepts_right_answers(capsys):
    check_pairwise_sq_distances(right_distances)
    check_pairwise_sq_distances(lambda A, B: torch.cdist(A, B) ** 2)
    assert capsys.readouterr().out.count("✅ pairwise_sq_distances is correct") == 2


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


def test_derivative_accepts_autograd(capsys):
    check_derivative(autograd_derivative)
    assert "✅ derivative is correct" in capsys.readouterr().out


def grad_as_tensor(f, x0):
    x = torch.tensor(x0, requires_grad=True)
    f(x).backward()
    return x.grad


@pytest.mark.parametrize("answer, pattern", [
    (stub, "not written yet"),
    (lambda f, x0: f(torch.tensor(x0)).item(), "returned f\\(x0\\).*not the slope"),
    (grad_as_tensor, "return a plain number with .item"),
    (lambda f, x0: 2 * x0, "is 4, expected 12"),
])
def test_derivative_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_derivative(answer)
