"""The teacher's check cells: found in a submission by their source, and run in the grader.

``teacher_checks`` lists a teacher notebook's check cells (``Check``), labelled by the exercises they
check; ``_matching_cells`` finds each in a submission by its source (an edited one is missing).
``run_check`` runs a check cell's ``check_statements`` here, in the grader, against the answers a
``handles.Namespace`` brings from the sandbox; ``points_printed`` reads the points it printed.
"""

from __future__ import annotations

import ast
import builtins
import io
import re
from dataclasses import dataclass
from typing import Any

import nbformat

from course_tools.grading.handles import Namespace
from course_tools.student import find_exercises

__all__ = [
    "Check",
    "check_statements",
    "notebook_imports",
    "points_printed",
    "run_check",
    "teacher_checks",
]


@dataclass(frozen=True)
class Check:
    """A check cell of a teacher notebook, named after the exercise(s) it checks."""

    label: str
    source: str


def teacher_checks(nb: nbformat.NotebookNode) -> list[Check]:
    """The check cells of a teacher notebook, in order, labelled by the exercises they check.

    Example:
        >>> from course_tools.notebook_tools import course_notebooks
        >>> nb = nbformat.read(course_notebooks()[0], as_version=4)
        >>> [c.label for c in teacher_checks(nb)]
        ['column_sums']
    """
    labels: dict[int, list[str]] = {}
    for exercise in find_exercises(nb):
        if exercise.check_cell is not None:
            labels.setdefault(exercise.check_cell, []).append(exercise.name)
    return [Check("+".join(names), nb.cells[i].source) for i, names in labels.items()]


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _matching_cells(nb: nbformat.NotebookNode, checks: list[Check]) -> dict[int, Check]:
    """Submission cell index -> the teacher's check it holds (matched by source, blanks ignored)."""
    wanted = {_normalised(c.source): c for c in checks}
    found: dict[int, Check] = {}
    for index, cell in enumerate(nb.cells):
        check = wanted.get(_normalised(cell.source)) if cell.cell_type == "code" else None
        if check is not None and check not in found.values():
            found[index] = check
    return found


def _python(source: str) -> str:
    """A cell's source as plain Python (IPython's magics and ``!`` commands as the calls they are)."""
    from course_utils.code_reading import as_python

    return as_python(source)


def check_statements(source: str) -> str:
    """The statements of a teacher's check cell the grader runs: up to the last call of a
    ``check_*`` function (what follows, such as building a DataLoader for the next section, is the
    notebook's business, run in the sandbox only).

    Example:
        >>> check_statements("from m import check_x\\ncheck_x(f)\\nloader = make(f)")
        'from m import check_x\\ncheck_x(f)'
    """
    code = _python(source)
    tree = ast.parse(code)
    last = -1
    for i, node in enumerate(tree.body):
        if any(
            isinstance(n, ast.Call) and _called_name(n.func).startswith("check_")
            for n in ast.walk(node)
        ):
            last = i
    body = tree.body[: last + 1] if last >= 0 else tree.body
    return "\n".join(ast.get_source_segment(code, node) or ast.unparse(node) for node in body)


def _called_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def run_check(source: str, namespace: Namespace) -> tuple[str, str]:
    """Run the teacher's check cell ``source`` here, in the grader; its state and why.

    ``pass`` when its check statements (``check_statements``) raised nothing and printed ✅
    (printed here, by the course's code), ``fail`` on ``CheckFailed``, ``error`` on another
    exception. A ``GradingStop`` (time limit, sandbox gone, malformed answer) goes through.
    """
    from contextlib import redirect_stdout

    from course_utils.checks import CheckFailed

    printed = io.StringIO()
    namespace.printed = (
        printed  # what the course's code printed: the points of a check that gives items
    )
    try:
        code = compile(check_statements(source), "<check cell>", "exec")
        with redirect_stdout(printed):
            exec(code, {"__builtins__": builtins}, namespace)  # noqa: S102 - the teacher's own cell
    except CheckFailed as err:
        return "fail", " ".join(str(err).split())[:500] or "the check failed"
    except RecursionError:
        return "error", "RecursionError: the answer is nested too deeply"
    except Exception as err:  # noqa: BLE001 - reported for the teacher
        message = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return "error", f"{type(err).__name__}: {message}"[:500]
    if "✅" in printed.getvalue():
        return "pass", ""
    return "fail", "the check printed no ✅"


def notebook_imports(cells_source: list[str]) -> dict[str, tuple[str, str | None]]:
    """Names the teacher notebook binds with ``import`` statements: name -> (module, attribute).

    Example:
        >>> notebook_imports(["import torch\\nfrom torch import nn as N\\nimport numpy.linalg"])
        {'torch': ('torch', None), 'N': ('torch', 'nn'), 'numpy': ('numpy', None)}
    """
    found: dict[str, tuple[str, str | None]] = {}
    for source in cells_source:
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".")[0]
                        found[top] = (top, None)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = (node.module, alias.name)
    return found


#: The line a check prints for each item that earns points: "✅ test RMSE within 10% of the closed form: 2/2".
_ITEM = re.compile(
    r"^[✅❌]\s*(?P<what>[^\n]{1,120}?):\s+(?P<earned>\d+(?:\.\d+)?)/(?P<possible>\d+(?:\.\d+)?)\s*$",
    re.MULTILINE,
)


def points_printed(text: str) -> list[list[Any]]:
    """The items and points a check printed here, in the grader (the course's code; never the sandbox's).

    Example:
        >>> points_printed("✅ answer's form: 1/1\\n❌ weights within 5% of the truth: 0/2\\nautomatic points: 1/7")
        [["answer's form", 1.0, 1.0], ['weights within 5% of the truth', 0.0, 2.0]]
    """
    return [
        [m["what"].strip(), float(m["earned"]), float(m["possible"])]
        for m in _ITEM.finditer(text)
        if float(m["earned"]) <= float(m["possible"])
    ]
