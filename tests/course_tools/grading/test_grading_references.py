"""The course's reference solutions: used, called or pasted, they earn no points, and the report says why."""

import nbformat
from both_ways import notebook as both_notebook
from grading_submissions import HEAD, LIMITS, needs_bwrap, solution, stored_notebook
from notebook_factory import write

from course_tools.grading import class_run
from course_tools.grading.references import reference_use

REPARAMETERISE_CHECK = (
    "from course_utils.exercises.nb07_generative import check_reparameterise\n"
    "check_reparameterise(reparameterise)"
)
OWN_REPARAMETERISE = (
    "def reparameterise(mu, logvar, eps):\n    return mu + torch.exp(0.5 * logvar) * eps"
)
STUCK = (
    "from course_utils.exercises.nb07_generative import reference_reparameterise as reparameterise"
    "  # stuck? the course's reference: the lab goes on, no points"
)
CALLS_REFERENCE = (
    "import course_utils.exercises.nb07_generative as course\n"
    "def reparameterise(mu, logvar, eps):\n    return course.reference_reparameterise(mu, logvar, eps)"
)


def reference_notebook(answer):
    cells = [
        nbformat.v4.new_markdown_cell("# 07 · References"),
        nbformat.v4.new_code_cell(HEAD),
        nbformat.v4.new_markdown_cell("**Exercise 1.1.** `reparameterise`"),
        nbformat.v4.new_code_cell(solution(OWN_REPARAMETERISE) if answer is None else answer),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\n" + REPARAMETERISE_CHECK),
    ]
    return stored_notebook(cells, "r")


@needs_bwrap
def test_the_courses_reference_solution_earns_no_points_and_the_report_says_why(tmp_path):
    teacher = write(reference_notebook(None), tmp_path / "notebooks" / "07_references.ipynb")
    subs = tmp_path / "subs"
    for name, answer in (
        ("own", OWN_REPARAMETERISE),
        ("wrong", OWN_REPARAMETERISE.replace("0.5 *", "")),
        ("stuck", STUCK),
        ("calls", CALLS_REFERENCE),
    ):
        write(reference_notebook(answer), subs / f"{name}_07.ipynb")
    graded = {
        r.student: r
        for r in class_run.grade(
            subs, tmp_path / "report", notebooks=[teacher], limits=LIMITS, progress=False, jobs=2
        )
    }
    assert graded["own"].checks == {"reparameterise": "pass"} and graded["wrong"].checks == {
        "reparameterise": "fail"
    }
    for name in ("stuck", "calls"):
        r = graded[name]
        assert r.passed == 0 and r.checks == {"reparameterise": "reference"}, r
        assert (
            "reference_reparameterise" in r.messages["reparameterise"]
            and "no points" in r.messages["reparameterise"]
        )
    assert "📖 reference" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")
    # In the notebook the line keeps the lab going: the check passes there.
    assert both_notebook(REPARAMETERISE_CHECK, [HEAD, STUCK])[0] == "pass"


def test_a_pasted_copy_of_a_long_reference_is_recognised_and_an_own_answer_is_not():
    import inspect

    from course_utils.exercises import nb04_spiral

    pasted = inspect.getsource(nb04_spiral.reference_early_stopping).replace(
        "def reference_early_stopping", "def train_early_stopping"
    )
    head = "import copy\nimport torch\nfrom torch import nn"
    assert (
        reference_use([head, pasted], "train_early_stopping")
        == "train_early_stopping is a copy of course_utils.exercises.nb04_spiral.reference_early_stopping"
    )
    own = pasted.replace(
        "best", "lowest"
    )  # the same algorithm, written by someone: not the reference's text
    assert reference_use([head, own], "train_early_stopping") == ""
