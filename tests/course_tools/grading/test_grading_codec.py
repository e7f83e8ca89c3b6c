"""Answers as data: checked field by field, records and dicts as the grader's own data, never the student's class."""

import pytest
from both_ways import both
from grading_submissions import GRADIENT_CHECKS, HEAD, RIGHT

from course_tools.grading.codec import decode, encode
from course_tools.grading.protocol import ProtocolError


def test_answers_travel_as_checked_data():
    import torch

    value = {"w": torch.arange(6.0).reshape(2, 3), "n": 3, "s": torch.Size([2]), "f": float("nan")}
    back = decode(encode(value))
    assert (
        torch.equal(back["w"], value["w"])
        and back["n"] == 3
        and back["s"] == torch.Size([2])
        and back["f"] != back["f"]
    )
    for bad in (
        {
            "t": "tensor",
            "dtype": "float32",
            "shape": [1000],
            "data": "",
        },  # data that does not fit its shape
        {"t": "tensor", "dtype": "object", "shape": [], "data": ""},
        {"t": "remote", "key": 1},
        {"t": "list", "v": [{"t": "list", "v": []}] * 3 + [{"t": "x"}]},
        [1, 2],
    ):
        with pytest.raises(ProtocolError):
            decode(bad)


STANDARDIZE_CHECK = GRADIENT_CHECKS["standardize"]
SPLIT = "from typing import NamedTuple\nclass Split(NamedTuple):\n    train: torch.Tensor\n    test: torch.Tensor\n"


def test_a_named_tuple_answer_arrives_as_data():
    named = RIGHT["standardize"].replace(
        "return (X_train - mean) / std, (X_test - mean) / std",
        "return Split((X_train - mean) / std, (X_test - mean) / std)",
    )
    assert both(STANDARDIZE_CHECK, [HEAD, SPLIT + named])[0] == "pass"
    plain_wrong = RIGHT["standardize"].replace(
        "(X_test - mean) / std", "(X_test - X_test.mean(0)) / std"
    )
    named_wrong = named.replace("(X_test - mean) / std", "(X_test - X_test.mean(0)) / std")
    wrong = both(STANDARDIZE_CHECK, [HEAD, plain_wrong])
    assert wrong[0] == "fail" and both(STANDARDIZE_CHECK, [HEAD, SPLIT + named_wrong]) == wrong


def test_records_and_dicts_arrive_as_the_graders_own_data_never_the_students_class():
    import collections
    import dataclasses
    from typing import NamedTuple

    import torch

    class Fit(NamedTuple):
        weight: torch.Tensor
        bias: torch.Tensor

    @dataclasses.dataclass
    class Run:
        losses: list
        model_state: dict

    fit = decode(encode(Fit(torch.ones(3), torch.tensor(0.5))))
    assert (
        fit._fields == ("weight", "bias")
        and torch.equal(fit.weight, torch.ones(3))
        and type(fit) is not Fit
    )
    weight, bias = fit
    assert bias.item() == 0.5 and type(fit).__module__ == "student"
    run = decode(encode(Run([1.0, 0.5], collections.OrderedDict(w=torch.zeros(2)))))
    assert run.losses == [1.0, 0.5] and torch.equal(run.model_state["w"], torch.zeros(2))
    assert type(run.model_state) is dict and dataclasses.is_dataclass(run) and type(run) is not Run
    # What a sandbox could send instead: names that would reach the grader's own machinery.
    for name, fields in (
        ("Fit", ["__class__", "bias"]),
        ("Fit", ["_asdict"]),
        ("__init__", ["w"]),
        ("Fit", ["w", "w"]),
        ("Fit", "weight"),
    ):
        with pytest.raises(ProtocolError):
            decode({"t": "namedtuple", "name": name, "fields": fields, "v": [1, 2]})
