"""The checks of notebook 05's exercises accept right answers and explain wrong ones."""

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.exercises import nb05_cnn as cnn


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_conv_output_size_accepts_the_formula(capsys):
    cnn.check_conv_output_size(cnn.reference_conv_output_size)
    assert capsys.readouterr().out.startswith("✅ conv_output_size is correct")


@pytest.mark.parametrize("wrong, message", [
    (stub, "not written yet"),
    (lambda size, k, stride=1, padding=0: size - k, "one too few: add 1"),
    (lambda size, k, stride=1, padding=0: (size + 2 * padding - k) / stride + 1, "round down"),
    (lambda size, k, stride=1, padding=0: size + padding - k + 1, "BOTH sides"),
    (lambda size, k, stride=1, padding=0: size + 2 * padding - k + 1, "divide by the stride"),
    (lambda size, k, stride=1, padding=0: str(size - k + 1), "whole number"),
])
def test_conv_output_size_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        cnn.check_conv_output_size(wrong)


def test_balanced_accuracy_accepts_floats_and_tensors(capsys):
    cnn.check_balanced_accuracy(cnn.reference_balanced_accuracy)
    cnn.check_balanced_accuracy(lambda cm: (cm.diag() / cm.sum(1)).mean())
    assert capsys.readouterr().out.count("✅") == 2


@pytest.mark.parametrize("wrong, message", [
    (stub, "not written yet"),
    (lambda cm: (cm.diag().sum() / cm.sum()).item(), "plain accuracy"),
    (lambda cm: (cm.diag().float() / cm.sum(0)).mean().item(), "row sums"),
    (lambda cm: (cm.diag().float() / cm.sum(1)).sum().item(), "expected 0.6"),
    (lambda cm: "0.6", "should return a number"),
])
def test_balanced_accuracy_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        cnn.check_balanced_accuracy(wrong)


def test_reference_matches_metrics_module():
    from course_utils.metrics import balanced_accuracy, confusion_matrix

    y_true, y_pred = torch.tensor([0, 0, 1, 1, 1]), torch.tensor([0, 1, 1, 1, 0])
    assert cnn.reference_balanced_accuracy(confusion_matrix(y_true, y_pred)) == pytest.approx(
        balanced_accuracy(y_true, y_pred))
