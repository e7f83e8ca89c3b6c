"""Metrics from the confusion matrix, checked against values computed by hand."""

import pytest
import torch

from course_utils import metrics as m

# 6 cats (class 0), 4 dogs (class 1): cats 4 right 2 wrong, dogs 3 right 1 wrong.
Y_TRUE = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
Y_PRED = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])


def test_confusion_matrix_rows_are_true_classes():
    assert m.confusion_matrix(Y_TRUE, Y_PRED).tolist() == [[4, 2], [1, 3]]
    assert m.confusion_matrix([0, 0], [0, 0], num_classes=3).shape == (3, 3)


def test_scores_match_hand_computation():
    assert m.accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.7)
    p, r, f1 = m.precision_recall_f1(Y_TRUE, Y_PRED)
    assert p.tolist() == pytest.approx([4 / 5, 3 / 5])
    assert r.tolist() == pytest.approx([4 / 6, 3 / 4])
    assert f1[0].item() == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))
    assert m.balanced_accuracy(Y_TRUE, Y_PRED) == pytest.approx((4 / 6 + 3 / 4) / 2)


def test_class_never_predicted_has_zero_precision_not_nan():
    p, r, f1 = m.precision_recall_f1([0, 1, 1], [1, 1, 1])
    assert (
        p.tolist() == [0.0, pytest.approx(2 / 3)]
        and f1[0].item() == 0.0
        and not torch.isnan(f1).any()
    )


def test_majority_baseline_and_report():
    base = m.majority_baseline([1, 1, 0], Y_TRUE)
    assert base == {
        "class": 1,
        "accuracy": pytest.approx(0.4),
        "balanced_accuracy": pytest.approx(0.5),
    }
    report = m.classification_report(Y_TRUE, Y_PRED, ["cat", "dog"])
    assert report["recall dog"] == pytest.approx(0.75) and report["accuracy"] == pytest.approx(0.7)
    assert set(report) == {
        "accuracy",
        "balanced accuracy",
        "precision cat",
        "recall cat",
        "F1 cat",
        "precision dog",
        "recall dog",
        "F1 dog",
    }


def test_bad_inputs_say_what_to_do():
    with pytest.raises(ValueError, match=r"argmax\(1\)"):
        m.confusion_matrix(torch.rand(4, 2), Y_PRED[:4])
    with pytest.raises(ValueError, match="same length"):
        m.confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        m.confusion_matrix([0, 2], [0, 1], num_classes=2)


def test_plot_confusion_matrix():
    ax = m.plot_confusion_matrix(m.confusion_matrix(Y_TRUE, Y_PRED), ["cat", "dog"])
    assert (
        ax.get_xlabel() == "predicted class"
        and len(ax.texts) == 4
        and "4\n(67%)" in [t.get_text() for t in ax.texts]
    )
    with pytest.raises(ValueError, match="2×2"):
        m.plot_confusion_matrix(torch.zeros(3, 3), ["cat", "dog"])
