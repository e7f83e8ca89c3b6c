"""Grade submitted notebooks: run each one, record which exercise checks pass.

Run ``course grade SUBMISSIONS_FOLDER`` (or ``make grade SUBMISSIONS=folder``).
Every ``*.ipynb`` under the folder is one submission; ``alice/02_linear_regression.ipynb`` and
``alice_02.ipynb`` both work. The course notebook it answers is found from the ``NN_`` number in
the file name, else from its ``# NN · Title`` cell (or given with ``--notebook``).

For each submission:

1. it is copied into a temporary folder (the submission itself is never opened for writing),
   its stored outputs are cleared (a stored ✅ earns nothing);
2. it runs top to bottom in a fresh kernel, in a process of its own, with a time limit;
   a cell that raises does not stop the run, so later checks still count;
3. each check cell of the teacher notebook (the checked cell after each solution) is looked up
   in the submission by its source and marked ``pass`` (it printed ✅), ``fail`` (``CheckFailed``,
   with its message), ``error`` (another exception), ``not run`` (the run stopped before it) or
   ``missing`` (the check cell was deleted or edited).

Submissions that are not valid notebooks, crash the kernel or hang are reported as such and the
grading goes on. The report is ``grades.csv`` and ``grades.md`` in ``build/grades/`` (or ``--out``).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_tools.execution import SUBMISSION_TIMEOUT
from course_tools.notebook_tools import build_dir, course_notebooks
from course_tools.student import find_exercises

__all__ = ["Check", "Result", "grade", "grade_one", "judge", "teacher_checks", "write_reports"]

PASS_MARK = "✅"
SYMBOLS = {"pass": "✅", "fail": "❌", "error": "💥", "not run": "⏭", "missing": "❓"}
_NUMBER = re.compile(r"(?:^|[^0-9])(\d\d)_")
_TITLE = re.compile(r"^#\s+(\d\d)\s+·")


@dataclass(frozen=True)
class Check:
    """A check cell of a teacher notebook, named after the exercise(s) it checks."""

    label: str
    source: str


@dataclass
class Result:
    """The grade of one submission."""

    submission: str
    notebook: str = ""
    status: str = "ok"  # ok, invalid, unknown notebook, crashed, timed out
    detail: str = ""
    checks: dict[str, str] = field(default_factory=dict)  # label -> pass/fail/error/not run/missing
    messages: dict[str, str] = field(default_factory=dict)  # label -> why it did not pass
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(state == "pass" for state in self.checks.values())


def teacher_checks(nb: nbformat.NotebookNode) -> list[Check]:
    """The check cells of a teacher notebook, in order, labelled by the exercises they check.

    Example:
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


def judge(executed: nbformat.NotebookNode, check: Check) -> tuple[str, str]:
    """The state of one check in an executed submission, and why it did not pass.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check()")])
        >>> judge(nb, Check("f", "check()"))
        ('not run', 'the run stopped before this check')
    """
    wanted = _normalised(check.source)
    cell = next((c for c in executed.cells if c.cell_type == "code" and _normalised(c.source) == wanted), None)
    if cell is None:
        return "missing", "the check cell was deleted or edited; restore it from the original notebook"
    if cell.execution_count is None:
        return "not run", "the run stopped before this check"
    for out in cell.outputs:
        if out.output_type == "error":
            message = out.evalue.strip().splitlines()[0] if out.evalue.strip() else ""
            if out.ename == "CheckFailed":
                return "fail", message
            return "error", f"{out.ename}: {message}"
    printed = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
    if PASS_MARK in printed:
        return "pass", ""
    return "fail", "the check printed no ✅"


def _which_notebook(path: Path, nb: nbformat.NotebookNode | None, teachers: dict[str, Path]) -> Path | None:
    numbers = _NUMBER.findall(path.name)
    if not numbers and nb is not None and nb.cells and nb.cells[0].cell_type == "markdown":
        numbers = _TITLE.findall(nb.cells[0].source)
    return teachers.get(numbers[0]) if numbers else None


def _run_in_subprocess(notebook: Path, executed: Path, timeout: float) -> tuple[str, str]:
    """Execute ``notebook`` into ``executed`` in a child process; the run's status and detail."""
    command = [sys.executable, "-m", "course_tools", "execute", str(notebook), str(executed),
               "--timeout", str(timeout)]
    proc = subprocess.Popen(command, cwd=notebook.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout + 150)  # the child stops itself at `timeout`
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "timed out", f"killed after {timeout + 150:.0f} s"
    lines = [line for line in out.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if proc.returncode == 0:
        return "ok", ""
    if last.startswith(("timed out", "crashed")):
        status, _, detail = last.partition(": ")
        return status, detail
    return "crashed", last or f"the grader's child process exited with code {proc.returncode}"


def grade_one(path: Path, root: Path, teachers: dict[str, Path], timeout: float,
              notebook: Path | None = None) -> Result:
    """Grade the submission ``path`` (never modified) against its teacher notebook.

    ``teachers`` maps a notebook number ("02") to the teacher notebook; ``notebook`` overrides it.

    Example:
        >>> grade_one(Path("subs/alice_02.ipynb"), Path("subs"), {"02": teacher}, 300)  # doctest: +SKIP
        Result(submission='alice_02.ipynb', notebook='02_linear_regression.ipynb', status='ok', ...)
    """
    result = Result(submission=str(path.relative_to(root)))
    start = time.perf_counter()
    try:
        _grade_copy(path, result, teachers, timeout, notebook)
    finally:
        result.seconds = time.perf_counter() - start
    return result


def _grade_copy(path: Path, result: Result, teachers: dict[str, Path], timeout: float,
                notebook: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        copy = Path(tmp) / "submission.ipynb"
        shutil.copyfile(path, copy)
        try:
            nb = nbformat.read(copy, as_version=4)
            nbformat.validate(nb)
        except Exception as err:  # noqa: BLE001 - every unreadable file is reported, not raised
            result.status, result.detail = "invalid", f"not a valid notebook: {str(err).splitlines()[0][:200]}"
            nb = None
        teacher = notebook or _which_notebook(path, nb, teachers)
        if teacher is None:
            if nb is not None:
                result.status = "unknown notebook"
                result.detail = "no NN_ number in the file name or title; pass --notebook"
            return
        result.notebook = teacher.name
        checks = teacher_checks(nbformat.read(teacher, as_version=4))
        if nb is None:
            result.checks = {c.label: "not run" for c in checks}
            return
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, copy)
        executed = Path(tmp) / "executed.ipynb"
        result.status, result.detail = _run_in_subprocess(copy, executed, timeout)
        ran = nbformat.read(executed, as_version=4) if executed.exists() else nb
        for check in checks:
            state, why = judge(ran, check)
            result.checks[check.label] = state
            if why:
                result.messages[check.label] = why


def write_reports(results: list[Result], out_dir: Path) -> tuple[Path, Path]:
    """Write ``grades.csv`` and ``grades.md`` into ``out_dir``; their paths.

    Example:
        >>> write_reports([Result("alice.ipynb", "00_start_here.ipynb", checks={"f": "pass"})],
        ...               Path(tempfile.mkdtemp()))[0].name
        'grades.csv'
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = list(dict.fromkeys(label for r in results for label in r.checks))
    csv_path, md_path = out_dir / "grades.csv", out_dir / "grades.md"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "notebook", "status", "passed", "total", *(f"check:{label}" for label in labels), "detail", "seconds"])
        for r in results:
            problems = "; ".join(f"{label}: {why}" for label, why in r.messages.items())
            detail = "; ".join(part for part in (r.detail, problems) if part)
            writer.writerow([r.submission, r.notebook, r.status, r.passed, len(r.checks),
                             *(r.checks.get(label, "") for label in labels), detail, f"{r.seconds:.1f}"])
    lines = ["# Grades", "",
             "| submission | notebook | status | passed | " + " | ".join(labels) + " |",
             "|---|---|---|---|" + "---|" * len(labels)]
    for r in results:
        marks = " | ".join(SYMBOLS.get(r.checks.get(label, ""), "") for label in labels)
        lines.append(f"| {r.submission} | {r.notebook} | {r.status} | {r.passed}/{len(r.checks)} | {marks} |")
    lines += ["", "Legend: " + ", ".join(f"{s} {name}" for name, s in SYMBOLS.items()), "", "## Problems", ""]
    for r in results:
        if r.detail:
            lines.append(f"- **{r.submission}**: {r.status}: {r.detail}")
        lines += [f"- **{r.submission}**, `{label}` ({r.checks[label]}): {why}" for label, why in r.messages.items()]
    if lines[-1] == "":
        lines.append("None: every check passed.")
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path, md_path


def grade(submissions: str | Path, out_dir: str | Path | None = None, timeout: float = SUBMISSION_TIMEOUT,
          notebook: str | Path | None = None, notebooks: list[Path] | None = None) -> list[Result]:
    """Grade every ``*.ipynb`` under ``submissions``; write the reports into ``out_dir`` (``build/grades``).

    Example:
        >>> results = grade("submissions/", timeout=120)  # doctest: +SKIP
        >>> [(r.submission, r.status, r.passed) for r in results]  # doctest: +SKIP
        [('alice.ipynb', 'ok', 1), ('bob.ipynb', 'ok', 0)]
    """
    root = Path(submissions)
    if not root.is_dir():
        raise NotADirectoryError(f"SUBMISSIONS must be a folder of submitted notebooks; {root} is not a folder.")
    teachers = {p.name[:2]: p for p in (notebooks or course_notebooks())}
    paths = sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        raise FileNotFoundError(f"No .ipynb files under {root}.")
    results = []
    for path in paths:
        print(f"grading {path.relative_to(root)} ...", flush=True)
        result = grade_one(path, root, teachers, timeout, Path(notebook) if notebook else None)
        print(f"  {result.status}: {result.passed}/{len(result.checks)} checks passed"
              + (f" ({result.detail})" if result.detail else ""), flush=True)
        results.append(result)
    write_reports(results, Path(out_dir or build_dir("grades")))
    return results

