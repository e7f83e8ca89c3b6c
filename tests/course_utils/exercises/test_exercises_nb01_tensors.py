"""The checks of notebook 01 accept right answers and reject stubs and typical mistakes."""

import re

import numpy as np
import pytest
import torch
from both_ways import both

from course_utils.checks import CheckFailed
from course_utils.exercises.nb01_tensors import (
    check_derivative,
    check_numpy_to_device,
    check_pairwise_sq_distances,
)


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_numpy_to_device_accepts_right_answers(capsys):
    check_numpy_to_device(lambda a, d: torch.from_numpy(a).float().to(d), "cpu")
    check_numpy_to_device(
        lambda a, d: torch.tensor(a, dtype=torch.float32, device=d), torch.device("cpu")
    )
    assert capsys.readouterr().out.count("✅ numpy_to_device is correct") == 2


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (lambda a, d: torch.from_numpy(a), "dtype torch.float64 but should have torch.float32"),
        (lambda a, d: a.astype(np.float32), "returned a NumPy array"),
        (
            lambda a, d: torch.from_numpy(a).float().T,
            r"shape \(3, 2\) but should have shape \(2, 3\)",
        ),
        (lambda a, d: torch.from_numpy(a).float() * 2, "wrong values"),
    ],
)
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


@pytest.mark.parametrize("answer", [right_distances, expanded_square, via_numpy])
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
    with pytest.raises(CheckFailed, match=r"uses a Python loop \((\[|for ).* on line \d of \w+\)"):
        check_pairwise_sq_distances(answer)


def cdist_squared(A, B):
    return torch.cdist(A, B) ** 2


def scipy_cdist(A, B):
    from scipy.spatial.distance import cdist

    return torch.from_numpy(cdist(A.numpy(), B.numpy(), "sqeuclidean")).float()


@pytest.mark.parametrize(
    "answer, use", [(cdist_squared, "torch.cdist"), (scipy_cdist, "scipy.spatial.distance.cdist")]
)
def test_pairwise_sq_distances_rejects_a_library_distance_function(answer, use):
    with pytest.raises(
        CheckFailed,
        match=rf"calls a library's distance function \((\w+ \()?{use}\)? on line \d of \w+\)",
    ):
        check_pairwise_sq_distances(answer)


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (lambda A, B: torch.cdist(A, B), "leave out the square root"),
        (lambda A, B: (A[:3] - B) ** 2, r"shape \(3, 2\) but should have shape \(4, 3\)"),
        (lambda A, B: (A[:, None, :] - B[None, :, :]).sum(-1), "wrong values"),
        (lambda A, B: right_distances(A, B).T, r"shape \(3, 4\)"),
    ],
)
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


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (lambda f, x0: f(torch.tensor(x0)).item(), "returned f\\(x0\\).*not the slope"),
        (grad_as_tensor, "return a plain number with .item"),
        (lambda f, x0: 2 * x0, r"derivative for f\(x\) = x\*\*3 at x0 = 2.0 is 4, expected 12"),
        (
            central_difference,
            r"gives 1.5 for f\(x\) = relu\(x\) - 2\*relu\(-x\) at x0 = 0.0, where autograd gives 0 .* "
            "finite differences, not autograd",
        ),
        (difference_on_grad_tensors, "finite differences, not autograd"),
        (autograd_times_two, "is 24, expected 12"),
        (lambda f, x0: float("nan"), "is nan"),
    ],
)
def test_derivative_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_derivative(answer)


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = "import functools\nimport torch\n"
PAIRWISE_CHECK = (
    "from course_utils.exercises.nb01_tensors import check_pairwise_sq_distances\n"
    "check_pairwise_sq_distances(pairwise_sq_distances)"
)


@pytest.mark.parametrize(
    "cells",
    [
        [
            HEAD,
            "def pairwise_sq_distances(A, B):\n    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)",
        ],
        [
            HEAD,
            "def pairwise_sq_distances(A, B):\n    sq = lambda M: (M * M).sum(1)\n"
            "    return sq(A)[:, None] - 2 * A @ B.T + sq(B)[None, :]",
        ],
    ],
)
def test_loop_free_distances_pass_both_ways(cells):
    assert both(PAIRWISE_CHECK, cells)[0] == "pass"


@pytest.mark.parametrize(
    "cells, use",
    [
        (
            [HEAD, "def pairwise_sq_distances(A, B):\n    return torch.cdist(A, B) ** 2"],
            "torch.cdist",
        ),
        (
            [
                HEAD,
                "from torch import cdist\n\ndef pairwise_sq_distances(A, B):\n    return cdist(A, B).pow(2)",
            ],
            "torch.cdist",
        ),
        (
            [
                HEAD,
                "def dist(A, B):\n    return torch.functional.cdist(A, B)\n\n"
                "def pairwise_sq_distances(A, B):\n    return dist(A, B) ** 2",
            ],
            "torch.functional.cdist",
        ),
    ],
)
def test_a_library_distance_function_is_refused_both_ways(cells, use):
    state, message = both(PAIRWISE_CHECK, cells)
    assert state == "fail" and re.search(
        rf"calls a library's distance function \((\w+ \()?{use}\)? on line 2", message
    ), message


@pytest.mark.parametrize(
    "cells, match",
    [
        (
            [
                HEAD,
                "def pairwise_sq_distances(A, B):\n    return torch.stack(list(map(lambda b: ((A - b) ** 2).sum(-1), B)), 1)",
            ],
            r"\(map\(lambda b: .*\) on line 2 of pairwise_sq_distances\)",
        ),
        (
            [
                HEAD,
                "def pairwise_sq_distances(A, B):\n    out, i = torch.zeros(len(A), len(B)), 0\n    while i < len(A):\n"
                "        out[i] = ((A[i] - B) ** 2).sum(-1)\n        i += 1\n    return out",
            ],
            r"\(while i < len\(A\) on line 3 of pairwise_sq_distances\)",
        ),
        (
            [
                HEAD,
                "def pairwise_sq_distances(A, B):\n    return functools.reduce(lambda acc, k: acc + (A[:, k, None] - "
                "B[None, :, k]) ** 2, range(A.shape[1]), 0)",
            ],
            r"\(functools.reduce\(lambda acc, k: .* on line 2",
        ),
        (
            [
                HEAD,
                "def rows(A, B):\n    return ((A[:1, None] - B[None]) ** 2).sum(-1) if len(A) == 1 else "
                "torch.cat([rows(A[:1], B), rows(A[1:], B)])\n",
                "pairwise_sq_distances = rows",
            ],
            r"\(rows\(A\[:1\], B\) on line 2 of rows\)",
        ),
        (
            [
                HEAD,
                "try:\n    def one_row(a, B):\n        return ((a - B) ** 2).sum(-1)\nexcept Exception:\n    pass\n",
                "def pairwise_sq_distances(A, B):\n    return torch.stack([one_row(a, B) for a in A])",
            ],
            r"\(\[one_row\(a, B\) for a in A\] on line 2 of pairwise_sq_distances\)",
        ),
        (
            [
                HEAD,
                "def pairwise_sq_distances(A, B):\n    if False:\n        for a in A:\n            pass\n"
                "    return ((A[:, None] - B[None]) ** 2).sum(-1)",
            ],
            r"\(for a in A on line 3 of pairwise_sq_distances, "
            r"in code that never runs\)",
        ),
    ],
)
def test_a_python_loop_is_found_however_it_is_spelled_both_ways(cells, match):
    state, message = both(PAIRWISE_CHECK, cells)
    assert state == "fail" and "uses a Python loop" in message and re.search(match, message), (
        message
    )


DERIVATIVE_CHECK = (
    "from course_utils.exercises.nb01_tensors import check_derivative\ncheck_derivative(derivative)"
)


@pytest.mark.parametrize(
    "answer",
    [
        "def derivative(f, x0):\n    return torch.func.grad(f)(torch.tensor(x0)).item()",
        "def derivative(f, x0):\n    x = torch.tensor([x0], dtype=torch.float64, requires_grad=True)\n"
        "    return torch.autograd.functional.jacobian(f, x).item()",
    ],
)
def test_autograd_passes_both_ways(answer):
    assert both(DERIVATIVE_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            "def derivative(f, x0, h=1e-4):\n    x = torch.tensor(x0, dtype=torch.float64)\n"
            "    return ((f(x + h) - f(x)) / h).item()",
            r"gives 12.0006 for f\(x\) = x\*\*3 at x0 = 2.0, close to 12 but "
            r"not exact: a difference quotient only approximates",
        ),
        (
            "def derivative(f, x0, h=1e-7):\n    x = torch.tensor(x0, dtype=torch.float64)\n"
            "    return ((f(x) - f(x - h)) / h).item()",
            r"gives 2 for f\(x\) = relu\(x\) - 2\*relu\(-x\) at x0 = 0.0, "
            r"where autograd gives 0 .* finite differences, not autograd",
        ),
        (
            "def derivative(f, x0, h=1e-3):\n    x = torch.tensor(x0, dtype=torch.float64)\n"
            "    left, mid, right = f(x - h), f(x), f(x + h)\n    if abs(((right - mid) - (mid - left)).item()) > 1e-4:\n"
            "        return 0.0  # a kink: autograd says 0 there, does it not?\n"
            "    return ((right - left) / (2 * h)).item()",
            r"gives 0 for f\(x\) = where\(x >= 0, 3\*x, x\) at x0 = 0.0, where autograd gives 3 \(PyTorch's own choice at "
            r"a kink\): compute it with autograd",
        ),
        (
            "def derivative(f, x0, h=1e-4):\n    x = torch.tensor(x0, requires_grad=True)\n    y = f(x)\n"
            "    return ((f(x + h) - y) / h).item()",
            r"\(finite differences\); autograd computes it exactly",
        ),
        (
            "def derivative(f, x0):\n    x = torch.tensor(x0, requires_grad=True)\n    f(x).backward()\n    return x.grad",
            "return a plain number with .item",
        ),
    ],
)
def test_difference_quotients_are_told_apart_from_autograd_both_ways(answer, match):
    state, message = both(DERIVATIVE_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message
