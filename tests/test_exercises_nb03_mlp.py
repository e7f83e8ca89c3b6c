"""Checks of notebook 03: accept the right answer, reject a stub and typical mistakes."""

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.exercises.nb03_mlp import check_bce, check_count_parameters, reference_count


def stub(*args):
    raise NotImplementedError()


def test_right_answers_pass(capsys):
    check_count_parameters(reference_count)
    check_bce(lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean())
    assert capsys.readouterr().out.count("✅") == 2


@pytest.mark.parametrize("check", [check_count_parameters, check_bce])
def test_stub_says_not_written_yet(check):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(stub)


@pytest.mark.parametrize("wrong, match", [
    (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), "weights only"),
    (lambda s: sum(a * b + a for a, b in zip(s[:-1], s[1:])), "n_in·n_out weights plus n_out biases"),
    (lambda s: float(reference_count(s)), "should return an int"),
])
def test_wrong_counts_are_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_count_parameters(wrong)


@pytest.mark.parametrize("wrong, match", [
    (lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).sum(), "take the mean"),
    (lambda p, y: (y * p.log() + (1 - y) * (1 - p).log()).mean(), "wrong sign"),
    (lambda p, y: -(y * p.log()).mean(), "add the"),
    (lambda p, y: ((p - y) ** 2).mean(), "expected"),
])
def test_wrong_bce_is_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_bce(wrong)
