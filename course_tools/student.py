"""Student versions of the notebooks: solutions replaced by stubs, outputs cleared, checks kept.

Run ``course student`` (or ``make student``): it writes one student notebook per course notebook
into ``build/student/`` (or ``--out``) and never touches ``notebooks/``.

An exercise is a code cell with a solution region (the nbgrader convention)::

    def column_sums(m):
        ### BEGIN SOLUTION
        return m.sum(dim=0)
        ### END SOLUTION

nbgrader's ``ClearSolutions`` preprocessor replaces each region with ``# YOUR CODE HERE`` and
``raise NotImplementedError()``; the check cell after it (a ``# NBVAL_CHECK_OUTPUT`` cell) stays,
so a student who runs it gets a ``CheckFailed`` message until the exercise is done.

Where the course has a reference solution for an exercise, the student version also keeps a way
through for a student who is stuck, as a commented line after the cleared definition::

    # Stuck? Uncomment the next line to use the course's solution and keep going (it earns no points when graded):
    # from course_utils.exercises.nb02_linear_regression import reference_mse_gradients as mse_gradients

The line is derived, never written into a notebook: the notebook's number (its title ``# NN · ...``)
names the module ``course_utils.exercises.nbNN_*``, and the answer ``NAME`` (a function or a class)
has a line when that module defines ``reference_NAME``. ``course grade`` recognises the import and
gives the check "📖 reference", no points.
The same notebook always gives the same bytes, so the build can be compared and cached.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions

from course_tools.notebook_tools import build_dir, is_checked

__all__ = [
    "BEGIN",
    "END",
    "STUB",
    "STUCK",
    "Exercise",
    "find_exercises",
    "has_solution",
    "reference_import",
    "student_edition",
    "student_version",
    "write_student_version",
]

BEGIN = "BEGIN SOLUTION"
END = "END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_DEFINED = re.compile(r"^(?:class\s+(\w+)|def\s+(\w+)\s*\(|(\w+)\s*(?::[^=]*)?=[^=])")
_EXERCISE = re.compile(r"Exercise\s+(\d+(?:\.\d+)*)")
_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
_NUMBER = re.compile(r"^#\s+(\d\d)\s+·")
STUCK = "# Stuck? Uncomment the next line to use the course's solution and keep going (it earns no points when graded):"


@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook: where the solution is and which cell checks it."""

    name: str  # the function or variable the student writes, e.g. "column_sums"
    number: str  # "7.1" from the markdown "**Exercise 7.1.**" before it, "" if none
    solution_cell: int
    check_cell: int | None  # the first checked code cell after the solution, None if none


def has_solution(cell: nbformat.NotebookNode) -> bool:
    """True for a cell that contains a ``### BEGIN SOLUTION`` region.

    Example:
        >>> has_solution(nbformat.v4.new_code_cell("x = 1"))
        False
    """
    return any(BEGIN in line for line in cell.source.splitlines())


def _defined_name(source: str, fallback: str) -> str:
    """The last top-level name (``class C``, ``def f(``, ``x = ...``) before a solution's BEGIN line."""
    name = fallback
    for line in source.splitlines():
        if BEGIN in line:
            break
        match = _DEFINED.match(line)
        if match:
            name = next(group for group in match.groups() if group)
    return name


def find_exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """The exercises of a teacher notebook, in order.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("**Exercise 2.1.** Write double."),
        ...     nbformat.v4.new_code_cell("def double(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION"),
        ...     nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\\ncheck_double(double)")])
        >>> find_exercises(nb)
        [Exercise(name='double', number='2.1', solution_cell=1, check_cell=2)]
    """
    found = []
    number = ""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            numbers = _EXERCISE.findall(cell.source)
            # A new heading without an exercise number ends the previous exercise's numbering.
            number = numbers[-1] if numbers else ("" if _HEADING.search(cell.source) else number)
        if cell.cell_type != "code" or not has_solution(cell):
            continue
        check = next((j for j in range(i + 1, len(nb.cells)) if is_checked(nb.cells[j])), None)
        found.append(
            Exercise(_defined_name(cell.source, f"exercise_{len(found) + 1}"), number, i, check)
        )
    return found


@functools.cache
def _references(number: str) -> tuple[str, frozenset[str]]:
    """The exercises module of notebook ``number`` and the names it has references for (("", {}) if none)."""
    import course_utils.exercises as exercises

    found = [
        info.name
        for info in pkgutil.iter_modules(exercises.__path__)
        if info.name.startswith(f"nb{number}_")
    ]
    if len(found) != 1:
        return "", frozenset()
    module = importlib.import_module(f"{exercises.__name__}.{found[0]}")
    return module.__name__, frozenset(
        n.removeprefix("reference_") for n in vars(module) if n.startswith("reference_")
    )


def reference_import(nb: nbformat.NotebookNode, name: str) -> str:
    """The line that imports the course's reference solution of the answer ``name`` of ``nb`` as ``name``
    ("" if the course has none): from the exercises module of the notebook's number, ``reference_<name>``.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 07 · Generative models")])
        >>> reference_import(nb, "vae_loss")
        'from course_utils.exercises.nb07_generative import reference_vae_loss as vae_loss'
        >>> reference_import(nb, "my_own_helper")
        ''
    """
    first = nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    number = _NUMBER.match(first)
    module, names = _references(number.group(1)) if number else ("", frozenset())
    return f"from {module} import reference_{name} as {name}" if name in names else ""


def _binds(node: ast.stmt, name: str) -> bool:
    """Whether a top-level statement defines ``name`` (``def``, ``class``, or an assignment to it)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    targets = (
        node.targets
        if isinstance(node, ast.Assign)
        else [node.target]
        if isinstance(node, ast.AnnAssign)
        else []
    )
    return any(isinstance(target, ast.Name) and target.id == name for target in targets)


def _with_stuck_line(source: str, name: str, line: str) -> str:
    """``source`` with the commented stuck line right after the statement that defines ``name`` (so that code
    after it in the cell uses the reference once the line is uncommented), or at the end."""
    lines = source.splitlines()
    try:
        ends = [node.end_lineno for node in ast.parse(source).body if _binds(node, name)]
    except SyntaxError:  # IPython syntax (a %magic): the end of the cell
        ends = []
    end = ends[-1] if ends else len(lines)
    return "\n".join(lines[:end] + ["", STUCK, f"# {line}"] + lines[end:])


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with solutions replaced by stubs and every output cleared; after an exercise the
    course has a reference solution for, the commented "stuck?" line that imports it (``reference_import``).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        ...     "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION")])
        >>> print(student_version(nb).cells[0].source)
        def f():
            # YOUR CODE HERE
            raise NotImplementedError()
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 07 · Generative models"),
        ...     nbformat.v4.new_code_cell("def vae_loss(logits, x, mu, log_var, beta=1.0):\\n"
        ...                               "    ### BEGIN SOLUTION\\n    return 0\\n    ### END SOLUTION\\nprint(1)")])
        >>> print(student_version(nb).cells[1].source)
        def vae_loss(logits, x, mu, log_var, beta=1.0):
            # YOUR CODE HERE
            raise NotImplementedError()
        <BLANKLINE>
        # Stuck? Uncomment the next line to use the course's solution and keep going (it earns no points when graded):
        # from course_utils.exercises.nb07_generative import reference_vae_loss as vae_loss
        print(1)
    """
    stuck = {
        e.solution_cell: (e.name, line)
        for e in find_exercises(nb)
        for line in [reference_import(nb, e.name)]
        if line
    }
    nb = copy.deepcopy(nb)
    nb.metadata.setdefault("kernelspec", {}).setdefault("language", "python")
    clear = ClearSolutions(enforce_metadata=False, code_stub={"python": STUB})
    nb, _ = clear.preprocess(nb, {})
    for i, (name, line) in stuck.items():
        nb.cells[i].source = _with_stuck_line(nb.cells[i].source, name, line)
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if "id" not in cell and nb.nbformat_minor >= 5:
            # nbformat would invent random ids; derive them from the content to stay repeatable.
            cell.id = hashlib.sha1(f"{i}:{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def student_edition(executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """An executed teacher notebook as the student edition of the decks and the site shows it.

    The student version's cells (``student_version``) with the executed notebook's outputs, except
    those of each exercise from its solution cell to its check cell: what a solution printed stays
    out, like the solution itself.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (
        ...     "print(1)", "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION",
        ...     "# NBVAL_CHECK_OUTPUT\\nprint(f())")])
        >>> for cell in nb.cells:
        ...     cell.outputs = [nbformat.v4.new_output("stream", text="1\\n")]
        >>> [len(cell.outputs) for cell in student_edition(nb).cells]
        [1, 0, 0]
    """
    shown = student_version(executed)
    hidden = {
        i
        for exercise in find_exercises(executed)
        for i in range(exercise.solution_cell, (exercise.check_cell or exercise.solution_cell) + 1)
    }
    for i, (cell, done) in enumerate(zip(shown.cells, executed.cells)):
        if cell.cell_type == "code" and i not in hidden:
            cell.outputs, cell.execution_count = copy.deepcopy(done.outputs), done.execution_count
    return shown


def write_student_version(path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the student version of the notebook ``path`` into ``out_dir`` (``build/student``).

    Refuses to write into the folder the teacher notebook lives in, so the course's own
    notebooks can never be overwritten.

    Example:
        >>> write_student_version("notebooks/00_start_here.ipynb", "build/student")  # doctest: +SKIP
        PosixPath('build/student/00_start_here.ipynb')
    """
    path, out_dir = Path(path), Path(out_dir or build_dir("student"))
    if out_dir.resolve() == path.parent.resolve():
        raise ValueError(
            f"Refusing to write the student version over {path}: choose another out_dir."
        )
    nb = nbformat.read(path, as_version=4)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / path.name
    target.write_text(nbformat.writes(student_version(nb)) + "\n", encoding="utf-8")
    return target
