"""Issue 29, item 6: a way through every blocking exercise. The student version keeps, after each
exercise the course has a reference solution for, a commented "stuck?" line that imports it; the
check passes that reference, the notebook runs on to its end with the lines uncommented, and
``course grade`` gives each such answer "📖 reference", no points, and no less to the exercises the
student wrote."""

import re

import nbformat
import pytest
from grading_submissions import ISOLATE
from notebook_factory import write

from course_tools import student
from course_tools.execution import run_notebook
from course_tools.grading import class_run
from course_tools.grading.limits import Limits
from course_tools.notebook_tools import course_notebooks

NOTEBOOKS = {path.name[:2]: path for path in course_notebooks()}
#: The exercises whose answers later sections of their notebook use: a stuck student would stop there.
BLOCKING = {
    "02": ["mse_gradients", "RegressionData", "train_sgd"],
    "04": ["SpiralNet"],
    "07": ["reparameterise", "vae_loss"],
}
HEAD = "import torch\nfrom torch import nn"


def teacher(number):
    return nbformat.read(NOTEBOOKS[number], as_version=4)


def uncommented(nb, names=None):
    """A copy of the student version ``nb`` with the stuck line of each exercise in ``names`` (all: None) run."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        cell.source = re.sub(
            r"^# (from course_utils\.exercises\.\S+ import reference_\w+ as (\w+))$",
            lambda m: m.group(1) if names is None or m.group(2) in names else m.group(0),
            cell.source,
            flags=re.MULTILINE,
        )
    return nb


def with_references():
    """(notebook number, exercise, stuck line) of every exercise of the course that has a reference."""
    found = []
    for number in sorted(NOTEBOOKS):
        nb = teacher(number)
        found += [
            (number, e, line)
            for e in student.find_exercises(nb)
            for line in [student.reference_import(nb, e.name)]
            if line
        ]
    return found


REFERENCED = with_references()


def test_every_blocking_exercise_has_a_documented_stuck_line_in_the_student_version():
    for number, names in BLOCKING.items():
        cells = student.student_version(teacher(number)).cells
        for exercise in student.find_exercises(teacher(number)):
            if exercise.name in names:
                source = cells[exercise.solution_cell].source
                line = f"# {student.reference_import(teacher(number), exercise.name)}"
                assert f"{student.STUCK}\n{line}" in source, (number, exercise.name, source)
                assert "raise NotImplementedError()" in source, (
                    "the exercise itself is still there to do"
                )
    assert {(n, e.name) for n, e, _ in REFERENCED} >= {
        (n, name) for n, names in BLOCKING.items() for name in names
    }


def test_the_homework_has_no_stuck_line():
    nb = teacher("02")
    assert [
        e.name for e in student.find_exercises(nb) if not student.reference_import(nb, e.name)
    ] == ["fit_linear_regression"]


@pytest.mark.parametrize(
    "number, exercise, line", REFERENCED, ids=lambda v: getattr(v, "name", None)
)
def test_the_check_passes_the_reference_in_the_notebook_and_in_the_grader(number, exercise, line):
    from both_ways import both

    check = teacher(number).cells[exercise.check_cell].source
    call = re.search(rf"^(check_\w+)\({exercise.name}\b.*\)$", check, re.MULTILINE)
    state, printed = both(
        f"from {line.split()[1]} import {call.group(1)}\n{call.group(0)}", [HEAD, line]
    )
    assert state == "pass" and "✅" in printed, printed


def test_a_stuck_line_goes_after_the_definition_so_the_rest_of_the_cell_uses_the_reference():
    source = student._with_stuck_line(
        "def f(x):\n    raise NotImplementedError()\n\nprint(f(2))", "f", "from m import g as f"
    )
    assert source.splitlines()[2:] == [
        "",
        student.STUCK,
        "# from m import g as f",
        "",
        "print(f(2))",
    ]
    magic = student._with_stuck_line(
        "%time x = 1", "x", "from m import y as x"
    )  # not Python: at the end
    assert magic.endswith(f"%time x = 1\n\n{student.STUCK}\n# from m import y as x")


@pytest.mark.parametrize("number", sorted(BLOCKING))
def test_with_the_stuck_lines_uncommented_the_student_version_runs_to_its_end(number, tmp_path):
    nb = uncommented(student.student_version(teacher(number)))
    exercises = student.find_exercises(teacher(number))
    unaided = {e.check_cell for e in exercises if not student.reference_import(nb, e.name)}
    for i in unaided:  # the homework's check fails (its answer is a stub), and the notebook goes on
        nb.cells[i].metadata.setdefault("tags", []).append("raises-exception")
    assert run_notebook(nb, NOTEBOOKS[number].parent, timeout=600) == ""
    for exercise in exercises:
        printed = "".join(
            o.get("text", "") + o.get("evalue", "") for o in nb.cells[exercise.check_cell].outputs
        )
        if exercise.check_cell in unaided:
            assert "NotImplementedError" in printed or "not done" in printed.lower(), printed
        else:
            assert "✅" in printed, (exercise.name, printed)
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "every cell ran"
    errors = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and i not in unaided
        and any(o.output_type == "error" for o in c.outputs)
    ]
    assert errors == []


def test_the_grader_gives_each_stuck_line_no_points_and_each_own_answer_its_points(tmp_path):
    subs = tmp_path / "subs"
    for number in ("02", "07"):
        write(uncommented(student.student_version(teacher(number))), subs / f"stuck_{number}.ipynb")
    # 04 stuck on SpiralNet only; the early-stopping loop is the student's own (the teacher's), and its check cell
    # trains a SpiralNet too: that exercise keeps its point.
    own = teacher("04")
    spiral = next(e for e in student.find_exercises(own) if e.name == "SpiralNet")
    stuck = uncommented(student.student_version(own), ["SpiralNet"])
    own.cells[spiral.solution_cell] = stuck.cells[spiral.solution_cell]
    write(own, subs / "partly_04.ipynb")
    graded = {
        r.submission: r
        for r in class_run.grade(
            subs,
            tmp_path / "report",
            notebooks=[NOTEBOOKS[n] for n in BLOCKING],
            limits=Limits(seconds=600),
            isolate=ISOLATE,
            progress=False,
            jobs=2,
        )
    }
    for number in ("02", "07"):
        r = graded[f"stuck_{number}.ipynb"]
        assert r.status == "ok" and r.passed == 0, r
        references = {e.name for n, e, _ in REFERENCED if n == number}
        assert {label for label, state in r.checks.items() if state == "reference"} == references, (
            r.checks
        )
        for label in references:
            assert f"reference_{label}" in r.messages[label] and "no points" in r.messages[label], (
                r.messages
            )
    assert graded["stuck_02.ipynb"].checks["fit_linear_regression"] == "fail", (
        "the homework is not done"
    )
    assert graded["partly_04.ipynb"].checks == {
        "SpiralNet": "reference",
        "train_early_stopping": "pass",
    }
    assert "📖 reference" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")


def test_the_homework_needs_a_dataset_of_ones_own_even_after_the_stuck_line():
    from both_ways import both

    nb = teacher("02")
    homework = next(e for e in student.find_exercises(nb) if e.name == "fit_linear_regression")
    cells = [
        HEAD + "\nfrom torch.utils.data import DataLoader, Dataset",
        student.reference_import(nb, "RegressionData"),
        nb.cells[homework.solution_cell].source,
    ]
    state, message = both(
        "from course_utils.exercises.nb02_linear_regression import check_homework\n"
        "check_homework(fit_linear_regression, seed=7)",
        cells,
    )
    assert (
        state == "fail" and "no Dataset class of your own" in message and "section 7.1" in message
    ), message
