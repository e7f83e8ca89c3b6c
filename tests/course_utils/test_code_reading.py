"""The one reading of an answer's code: found the same way in the notebook, in the grader and in a file;
imports and aliases resolved; nested, dead and string code seen; what it cannot follow is a problem."""

import pytest
import torch
from both_ways import _kernel

from course_utils.code_reading import canonical, read_answer, read_cells

HEAD = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
LOSSES = ("torch.*binary_cross_entropy*", "torch.*BCELoss")


def found(cells, name="f", patterns=LOSSES):
    return [str(use) for use in read_cells(cells, name).uses(*patterns)]


def test_the_last_definition_of_a_name_is_the_answer():
    cells = [
        HEAD,
        "def f(p, y):\n    return F.binary_cross_entropy(p, y)",
        "def f(p, y):\n    return -(y * p.log()).mean()",
    ]
    assert found(cells) == []
    assert found(cells[:2]) == [
        "F.binary_cross_entropy (torch.nn.functional.binary_cross_entropy) on line 2 of f"
    ]


@pytest.mark.parametrize(
    "cells, expected",
    [
        (
            [
                "from torch.nn.functional import binary_cross_entropy as loss\ndef f(p, y):\n    return loss(p, y)"
            ],
            "loss (torch.nn.functional.binary_cross_entropy) on line 2 of f",
        ),
        (
            [HEAD, "G = F\nL = G.binary_cross_entropy\n", "def f(p, y):\n    return L(p, y)"],
            "L (torch.nn.functional.binary_cross_entropy) on line 2 of f",
        ),
        (
            [HEAD, "def f(p, y, loss=nn.BCELoss()):\n    return loss(p, y)"],
            "nn.BCELoss (torch.nn.BCELoss) on line 1 of f",
        ),
        (
            [
                HEAD,
                "def f(p, y):\n    import torch.nn.functional as G\n    return G.binary_cross_entropy(p, y)",
            ],
            "G.binary_cross_entropy (torch.nn.functional.binary_cross_entropy) on line 3 of f",
        ),
        (
            [HEAD, "def f(p, y):\n    return vars(F)['binary_cross_entropy'](p, y)"],
            "vars(F)['binary_cross_entropy'] (torch.nn.functional.binary_cross_entropy) on line 2 of f",
        ),
        (
            [HEAD, "def f(p, y):\n    return eval('F.binary_cross_entropy')(p, y)"],
            "F.binary_cross_entropy (torch.nn.functional.binary_cross_entropy) on line 2 of f",
        ),
        (
            [
                "import importlib\ndef f(p, y):\n"
                "    return importlib.import_module('torch.nn.functional').binary_cross_entropy(p, y)"
            ],
            "importlib.import_module('torch.nn.functional').binary_cross_entropy "
            "(torch.nn.functional.binary_cross_entropy) on line 2 of f",
        ),
        (
            [
                HEAD,
                "%time x = 1\n"
                + "with torch.no_grad():\n    class Loss(nn.BCELoss):\n        pass\n",
                "def f(p, y):\n    return Loss()(p, y)",
            ],
            "nn.BCELoss (torch.nn.BCELoss) on line 1 of Loss",
        ),
        (
            [
                HEAD,
                "def f(p, y):\n    while False:\n        F.binary_cross_entropy(p, y)\n    return p",
            ],
            "F.binary_cross_entropy (torch.nn.functional.binary_cross_entropy) on line 3 of f, in code that never runs",
        ),
        (
            [HEAD, "def f(p, y):\n    return p\n    nn.BCELoss()"],
            "nn.BCELoss (torch.nn.BCELoss) on line 3 of f, in code that never runs",
        ),
    ],
)
def test_imports_aliases_and_nested_dead_and_string_code_are_seen(cells, expected):
    assert found(cells)[:1] == [expected]


def test_a_parameter_or_local_shadows_a_global_of_the_same_name():
    cells = [HEAD, "X = torch.linalg.lstsq\n", "def f(X, y):\n    return X.mean()"]
    assert found(cells, patterns=("torch.linalg.*",)) == []
    assert "X (torch.linalg.lstsq) on line 2 of f" in found(
        cells[:2] + ["def f(A, y):\n    return X(A, y)"], patterns=("torch.linalg.*",)
    )


@pytest.mark.parametrize(
    "cells, problem",
    [
        (
            [HEAD, "def f(p, y):\n    return getattr(F, 'binary_' + 'cross_entropy')(p, y)"],
            "f runs code the check cannot read (getattr(F, 'binary_' + 'cross_entropy') on line 2 of f): write the "
            "computation as plain code.",
        ),
        (
            [HEAD, "code = 'F.binary_cross_entropy'\ndef f(p, y):\n    return eval(code)(p, y)"],
            "f runs code the check cannot read (eval(code) on line 2 of f): write the computation as plain code.",
        ),
        (
            ["from my_helpers import f"],
            "f is imported (from my_helpers), not written in the notebook: the check cannot "
            "read how it computes. Write it in the notebook.",
        ),
        ([HEAD], "the check cannot find the code of f: define it with `def` in the notebook"),
    ],
)
def test_what_the_reading_cannot_follow_is_a_problem(cells, problem):
    assert read_cells(cells, "f").problem == problem


def test_loops_calls_and_classes():
    cells = [
        "from torch.utils.data import DataLoader, Dataset\nBATCH = 32\n",
        "class Pairs(Dataset):\n    pass\n",
        "def f(X, shuffle=True):\n    total = sum(x for x in X)\n    return DataLoader(Pairs(), batch_size=BATCH, "
        "shuffle=shuffle, drop_last=len(X) > 3)",
    ]
    reading = read_cells(cells, "f")
    assert [str(u) for u in reading.loops()] == ["(x for x in X) on line 2 of f"]
    assert [c.keywords for c in reading.calls("torch.utils.data*DataLoader")] == [
        {"batch_size": 32, "shuffle": True, "drop_last": ...}
    ]
    assert reading.classes("torch.utils.data*Dataset") == ["Pairs"]
    assert (
        canonical("torch.nn.BCELoss") == "torch.nn.modules.loss.BCELoss"
        and canonical("my_module.f") is None
    )


def lambda_twins():
    return (lambda p, y: -(y * p.log()).mean()), (lambda p, y: torch.nn.BCELoss()(p, y))


def test_outside_a_notebook_the_answer_is_found_in_its_file_even_among_lambdas_on_one_line():
    honest, ready = lambda_twins()
    assert found_in(honest) == [] and found_in(ready) == ["torch.nn.BCELoss on line 1 of bce"]


def found_in(answer):
    return [str(use) for use in read_answer(answer, "bce").uses(*LOSSES)]


def test_in_ipython_the_answer_is_read_from_the_cells_it_ran_as_the_grader_reads_the_submitted_cells():
    cells = [HEAD, "loss = nn.BCELoss()\n", "%time x = 1", "def bce(p, y):\n    return loss(p, y)"]
    with _kernel() as shell:
        for cell in cells:
            assert shell.run_cell(cell, store_history=True).success
        in_notebook = read_answer(shell.user_ns["bce"], "bce")
        renamed = read_answer(shell.user_ns["bce"], "other_name")  # found by its code, not its name
        assert (
            [str(u) for u in in_notebook.uses(*LOSSES)]
            == found(cells, "bce")
            == ["nn.BCELoss (torch.nn.BCELoss) on line 1 of loss"]
        )
        assert [str(u) for u in renamed.uses(*LOSSES)] == [
            "nn.BCELoss (torch.nn.BCELoss) on line 1 of loss"
        ]

    class Handle:  # what the grader's handle on a student's function offers
        def __course_source__(self):
            return "bce", cells

    assert [str(u) for u in read_answer(Handle(), "bce").uses(*LOSSES)] == found(cells, "bce")


def test_in_ipython_a_cell_run_again_is_read_as_the_answer_the_notebook_holds():
    with _kernel() as shell:
        for cell in (
            HEAD,
            "def bce(p, y):\n    return nn.BCELoss()(p, y)",
            "def bce(p, y):\n    return -(y * p.log()).mean()",
            "def bce(p, y):\n    return nn.BCELoss()(p, y)",
        ):  # the first answer's cell, run again last
            assert shell.run_cell(cell, store_history=False).success
        assert found_in(shell.user_ns["bce"]) == ["nn.BCELoss (torch.nn.BCELoss) on line 2 of bce"]
