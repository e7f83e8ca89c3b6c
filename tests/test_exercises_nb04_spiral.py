"""Checks of notebook 04: accept right answers however written, reject a stub and typical mistakes."""

import numpy as np
import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.exercises.nb04_spiral import check_add_features, check_logit_accuracy


def stub(*args):
    raise NotImplementedError()


def right_features(X):
    x1, x2 = X[:, 0], X[:, 1]
    return torch.stack([x1, x2, x1**2, x2**2, x1 * x2, torch.sin(x1), torch.sin(x2)], dim=1)


def features_in_place(X):
    X[:, 0] = X[:, 0] * 1.0  # harmless values, but writes into the caller's tensor
    return right_features(X)


@pytest.mark.parametrize("right", [
    right_features,
    lambda X: torch.cat([X, X**2, X.prod(dim=1, keepdim=True), X.sin()], dim=1),
    lambda X: torch.column_stack([X[:, 0], X[:, 1], X[:, 0] * X[:, 0], X[:, 1].pow(2), X[:, 0] * X[:, 1],
                                  torch.sin(X[:, 0]), torch.sin(X[:, 1])]),
])
def test_right_features_pass(right, capsys):
    check_add_features(right)
    assert capsys.readouterr().out.strip() == "✅ add_features is correct"


@pytest.mark.parametrize("right", [
    lambda z, y: ((z > 0).float() == y).float().mean().item(),
    lambda z, y: ((torch.sigmoid(z) > 0.5).float() == y).float().mean().item(),
    lambda z, y: float(((z >= 0) == y.bool()).sum()) / len(y),
    lambda z, y: np.mean((z.numpy() > 0) == (y.numpy() == 1)),          # NumPy's float64 is a float
])
def test_right_accuracies_pass(right, capsys):
    check_logit_accuracy(right)
    assert capsys.readouterr().out.strip() == "✅ logit_accuracy is correct"


@pytest.mark.parametrize("check", [check_add_features, check_logit_accuracy])
def test_stub_says_not_written_yet(check):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(stub)


@pytest.mark.parametrize("wrong, match", [
    (lambda X: right_features(X)[:, [0, 1, 2, 3, 4, 6, 5]], r"column 5 should be sin\(x1\)"),
    (lambda X: torch.cat([X, X**2, X.prod(dim=1, keepdim=True), X.cos()], dim=1), r"column 5 should be sin\(x1\)"),
    (lambda X: right_features(X)[:, :5], r"shape \(3, 5\)"),
    (lambda X: right_features(X).T, r"shape \(7, 3\)"),
    (lambda X: right_features(X).double(), "dtype torch.float64"),
    (lambda X: right_features(X).numpy(), "should be a torch.Tensor"),
    (features_in_place, "changed the points it was given"),
])
def test_wrong_features_are_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_add_features(wrong)


@pytest.mark.parametrize("wrong, match", [
    (lambda z, y: ((z > 0.5).float() == y).float().mean().item(), "as if the logits were probabilities"),
    (lambda z, y: ((torch.sigmoid(z) > 0).float() == y).float().mean().item(), "as if every point were predicted class 1"),
    (lambda z, y: (z > 0).float().mean().item(), "share of points predicted as class 1"),
    (lambda z, y: ((z > 0).float() != y).float().mean().item(), "error rate"),
    (lambda z, y: ((z > 0).float() == y).sum().item(), "number of correct points"),
    (lambda z, y: ((z > 0).float() == y).float().mean(), "returned a tensor; .* one Python float"),
    (lambda z, y: (z > 0).float() == y, r"tensor of shape \(12,\)"),
    (lambda z, y: "83%", "returned a str"),
    (lambda z, y: ((z < -0.5).float() != y).float().mean().item(), "expected 0.833333"),
])
def test_wrong_accuracy_is_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_logit_accuracy(wrong)
