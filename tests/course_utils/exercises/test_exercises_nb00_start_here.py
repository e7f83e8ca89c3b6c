"""The check of notebook 00 accepts right answers and rejects stubs and typical mistakes."""

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.exercises.nb00_start_here import check_column_sums


def stub(m):
    raise NotImplementedError()


def loop_over_rows(m):
    total = torch.zeros(m.shape[1], device=m.device)
    for row in m:
        total = total + row
    return total


@pytest.mark.parametrize(
    "answer",
    [
        lambda m: m.sum(dim=0),
        lambda m: m.sum(0),
        lambda m: torch.sum(m, axis=0),
        lambda m: m.T @ torch.ones(m.shape[0]),
        loop_over_rows,
    ],
)
def test_column_sums_accepts_right_answers_written_differently(answer, capsys):
    check_column_sums(answer)
    assert "✅ column_sums is correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (lambda m: m.sum(dim=1), "summed each row"),
        (lambda m: m.sum(), "summed every entry"),
        (lambda m: m.sum(dim=0, keepdim=True), r"keepdim=True.*shape \(3,\)"),
        (lambda m: m.mean(dim=0), "averaged each column"),
        (
            lambda m: torch.tensor([5.0, 7.0, 9.0]),
            r"column_sums of a 4 × 5 matrix has shape \(3,\)",
        ),
        (lambda m: m.sum(dim=0).double(), "dtype torch.float64"),
        (lambda m: m.sum(dim=0).tolist(), "should be a torch.Tensor, but it is a list"),
        (lambda m: m.max(dim=0).values, "wrong values"),
    ],
)
def test_column_sums_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_column_sums(answer)


def test_column_sums_must_stay_on_the_device():
    with pytest.raises(CheckFailed, match="is on cpu but should be on meta"):
        check_column_sums(lambda m: torch.zeros(3), "meta")
