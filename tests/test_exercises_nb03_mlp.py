"""Checks of notebook 03: accept right answers however written, reject a stub and typical mistakes."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.checks import CheckFailed
from course_utils.exercises.nb03_mlp import check_bce, check_count_parameters, reference_count


def stub(*args):
    raise NotImplementedError()


def count_by_loop(sizes):
    total = 0
    for i in range(len(sizes) - 1):
        total += sizes[i] * sizes[i + 1] + sizes[i + 1]
    return total


@pytest.mark.parametrize("right", [
    reference_count,
    count_by_loop,
    lambda s: int(np.dot(np.array(s[:-1]) + 1, s[1:])),
    lambda s: np.dot(np.array(s[:-1]) + 1, s[1:]),                # NumPy's int64 is an integer too
])
def test_right_counts_pass(right, capsys):
    check_count_parameters(right)
    assert capsys.readouterr().out.strip() == "✅ count_parameters is correct"


@pytest.mark.parametrize("right", [
    lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean(),
    lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log1p(-p)).sum() / len(p),
    lambda p, y: -torch.where(y == 1, p, 1 - p).log().mean(),
    lambda p, y: -torch.mean(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p)),
    lambda p, y: -(y * p.clamp(1e-7, 1 - 1e-7).log() + (1 - y) * (1 - p.clamp(1e-7, 1 - 1e-7)).log()).mean(),
])
def test_right_bce_pass(right, capsys):
    check_bce(right)
    assert capsys.readouterr().out.strip() == "✅ bce is correct"


@pytest.mark.parametrize("check", [check_count_parameters, check_bce])
def test_stub_says_not_written_yet(check):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(stub)


def count_with_pytorch(sizes):
    layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    return sum(p.numel() for layer in layers for p in layer.parameters())


@pytest.mark.parametrize("wrong, match", [
    (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), "weights only"),
    (lambda s: sum(a * b + a for a, b in zip(s[:-1], s[1:])), "n_in·n_out weights plus n_out biases"),
    (lambda s: float(reference_count(s)), "returned float 54.0; it should return a Python int"),
    (lambda s: torch.tensor(reference_count(s)), "returned a tensor; it should return a Python int"),
    (lambda s: str(reference_count(s)), "returned str '54'"),
    (lambda s: 54, r"returned 54, expected 3"),
    (count_with_pytorch, "built PyTorch layers"),
])
def test_wrong_counts_are_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_count_parameters(wrong)


@pytest.mark.parametrize("wrong, match", [
    (lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).sum(), "take the mean"),
    (lambda p, y: (y * p.log() + (1 - y) * (1 - p).log()).mean(), "wrong sign"),
    (lambda p, y: -(y * p.log()).mean(), "add the"),
    (lambda p, y: ((p - y) ** 2).mean(), "expected"),
    (lambda p, y: nn.BCELoss()(p, y), r"PyTorch's own loss \(binary_cross_entropy"),
    (lambda p, y: nn.functional.binary_cross_entropy(p, y), "PyTorch's own loss"),
    (lambda p, y: nn.BCEWithLogitsLoss()(torch.logit(p), y), "binary_cross_entropy_with_logits"),
    (lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean().item(), r"returned a float; .*no \.item\(\)"),
    (lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean().detach(), "no gradient"),
    (lambda p, y: torch.tensor(-np.mean([yi * math.log(pi) + (1 - yi) * math.log(1 - pi)
                                         for pi, yi in zip(p.tolist(), y.tolist())])), "no gradient"),
    (lambda p, y: -(y * p.log() + (1 - y) * (1 - p.detach()).log()).mean(), "wrong gradient"),
    (lambda p, y: "0.39", "returned a str"),
])
def test_wrong_bce_is_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_bce(wrong)
