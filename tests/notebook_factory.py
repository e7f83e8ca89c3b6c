"""Small synthetic course notebooks for the teaching-workflow tests (fast to run)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_tools import notebook_tools as nt

REPO = "https://github.com/example/course"

FUNCTION_EXERCISE = """def double(x):
    ### BEGIN SOLUTION
    return 2 * x  # secret-function-answer
    ### END SOLUTION"""
FUNCTION_CHECK = """# NBVAL_CHECK_OUTPUT
from course_utils.checks import call_student, check_close
check_close(call_student(double, 21), 42.0, name="double(21)")"""
VARIABLE_EXERCISE = """total = None
### BEGIN SOLUTION
total = sum(range(5))  # secret-variable-answer
### END SOLUTION"""
VARIABLE_CHECK = """# NBVAL_CHECK_OUTPUT
from course_utils.checks import check_close
check_close(total, 10.0, name="total")"""


def course_notebook(number: str = "07", homework: bool = False) -> nbformat.NotebookNode:
    """A tiny teacher notebook following the conventions, with two exercises and their checks."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = dict(nt.KERNELSPEC)
    nb.metadata["language_info"] = dict(nt.LANGUAGE_INFO)
    exercise_heading = "## 2. Homework" if homework else "## 2. Exercises"
    nb.cells = [
        new_markdown_cell(
            f"# {number} · Example\n\n{nt.badge(f'{number}_example.ipynb', REPO)}\n\n"
            "You build a tiny thing.\n\n**Learning goals**\n- add numbers\n- double them\n"
        ),
        new_code_cell(
            f"import sys\nif 'google.colab' in sys.modules:\n    {nt.colab_install_line(REPO)}"
        ),
        new_code_cell("import math\n\nSEED = 0"),
        new_markdown_cell(
            "## 1. A number\n\nThe area of the unit circle is $\\pi r^2$; see [next](08_next.ipynb)."
        ),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(round(math.pi, 3))"),
        new_markdown_cell("It printed π."),
        new_markdown_cell(f"{exercise_heading}\n\n**Exercise 2.1.** Write `double(x)`."),
        new_code_cell(FUNCTION_EXERCISE),
        new_code_cell(FUNCTION_CHECK),
        new_markdown_cell(
            "**Exercise 2.2.** Set `total` to 0 + 1 + 2 + 3 + 4.\n\n"
            "Why?\n\n### BEGIN SOLUTION\nsecret-markdown-answer\n### END SOLUTION"
        ),
        new_code_cell(VARIABLE_EXERCISE),
        new_code_cell(VARIABLE_CHECK),
        new_markdown_cell("## 3. Summary\n\n- learned"),
    ]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    for i, text in (
        (4, "3.142\n"),
        (8, "✅ double(21) is correct\n"),
        (11, "✅ total is correct\n"),
    ):
        nb.cells[i].execution_count = i
        nb.cells[i].outputs = [new_output("stream", name="stdout", text=text)]
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def course_guide(number: str = "07", homework: bool = False) -> str:
    """The teacher's guide of ``course_notebook(number)``, in the format of course_tools.guide."""
    exercises = "2. Homework" if homework else "2. Exercises"
    return (
        f"# {number} · Example: teacher's guide\n\n"
        "A 45-minute session for beginners: guide-intro-marker.\n\n"
        "| section | minutes | live in class |\n|---|---|---|\n| 1. A number | 10 | print π |\n\n"
        "## 1. A number\n- **Demo live:** guide-demo-marker, run the checked cell.\n"
        "- **Students often:** forget the radius.\n\n"
        f"## {exercises}\n- **Evidence:** guide-evidence-marker, seeds 0–4: mean 0.864 ± 0.02.\n"
    )


def write_guide(text: str, notebook: Path) -> Path:
    """Write ``text`` as the guide of the notebook at ``notebook`` (``../guide/NN_name.md``)."""
    path = notebook.parent.parent / "guide" / f"{notebook.stem}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
