"""Checks of notebook 04: accept the right answer, reject a stub and typical mistakes."""

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.exercises.nb04_spiral import check_accuracy, check_add_features


def stub(*args):
    raise NotImplementedError()


def right_features(X):
    x1, x2 = X[:, 0], X[:, 1]
    return torch.stack([x1, x2, x1**2, x2**2, x1 * x2, torch.sin(x1), torch.sin(x2)], dim=1)


def test_right_answers_pass(capsys):
    check_add_features(right_features)
    check_accuracy(lambda z, y: ((z > 0).float() == y).float().mean().item())
    check_accuracy(lambda z, y: ((torch.sigmoid(z) > 0.5).float() == y).float().mean())
    assert capsys.readouterr().out.count("✅") == 3


@pytest.mark.parametrize("check", [check_add_features, check_accuracy])
def test_stub_says_not_written_yet(check):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(stub)


@pytest.mark.parametrize("wrong, match", [
    (lambda X: right_features(X)[:, [0, 1, 2, 3, 4, 6, 5]], r"column 5 should be sin\(x1\)"),
    (lambda X: right_features(X)[:, :5], r"shape \(3, 5\)"),
    (lambda X: right_features(X).T, r"shape \(7, 3\)"),
])
def test_wrong_features_are_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_add_features(wrong)


@pytest.mark.parametrize("wrong, match", [
    (lambda z, y: ((z > 0.5).float() == y).float().mean(), "as if the logits were probabilities"),
    (lambda z, y: ((z > 0).float() == y).sum(), "number of correct points"),
    (lambda z, y: (z > 0).float() == y, "single number"),
])
def test_wrong_accuracy_is_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_accuracy(wrong)
