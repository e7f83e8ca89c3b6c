"""Homework packs: the student notebook, an instructions file, zipped.

Run ``course homework`` (or ``make homework``). A notebook is an assignment when
one of its markdown headings contains "Homework" (any level, any case). Its pack,
``build/homework/NN_name_homework.zip``, holds ``NN_name_homework/NN_name.ipynb`` (the student
version, see ``course_tools.student``) and ``NN_name_homework/INSTRUCTIONS.md``: the task (the
Homework section's own text), what to submit, how it is checked (``make grade``) and the points:
the exercises inside the Homework section (every exercise of the notebook if it has none) share
the total stated in its heading, e.g. ``### Homework · ... (8 points)``, else one point each.
The same notebook always gives the same zip, byte for byte.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import nbformat

from course_tools.execution import SUBMISSION_TIMEOUT
from course_tools.grading.limits import time_limit
from course_tools.notebook_tools import build_dir
from course_tools.student import find_exercises, student_version

__all__ = ["build_pack", "homework_section", "instructions"]
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*\S)[ \t]*$", re.MULTILINE)
_POINTS = re.compile(r"\((\d+(?:\.\d+)?)\s+points?\)", re.IGNORECASE)
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # a fixed date keeps the zip repeatable


def _headings(cell: nbformat.NotebookNode) -> list[tuple[int, str]]:
    if cell.cell_type != "markdown":
        return []
    return [(len(m.group(1)), m.group(2)) for m in _HEADING.finditer(cell.source)]


def homework_section(nb: nbformat.NotebookNode) -> tuple[int, int] | None:
    """Cell range ``(start, stop)`` of the section whose heading contains "Homework", else None.

    The section runs from that heading's cell to the next heading of the same or a higher level.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## 5. Homework"),
        ...     nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_markdown_cell("## 6. Summary")])
        >>> homework_section(nb)
        (0, 2)
    """
    for start, cell in enumerate(nb.cells):
        level = next((lvl for lvl, text in _headings(cell) if "homework" in text.lower()), None)
        if level is None:
            continue
        for stop in range(start + 1, len(nb.cells)):
            if any(lvl <= level for lvl, _ in _headings(nb.cells[stop])):
                return start, stop
        return start, len(nb.cells)
    return None


def instructions(nb: nbformat.NotebookNode, name: str, timeout: float = SUBMISSION_TIMEOUT) -> str:
    """The INSTRUCTIONS.md text for the assignment notebook ``nb`` saved as ``name``.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 09 · X"),
        ...     nbformat.v4.new_markdown_cell("## Homework (4 points)\\n\\nDo it.")])
        >>> print(instructions(nb, "09_x.ipynb").splitlines()[0])
        # Homework: 09 · X
    """
    section = homework_section(nb)
    if section is None:
        raise ValueError(
            f"{name} has no markdown heading containing 'Homework', so it has no assignment."
        )
    start, stop = section
    title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip() if nb.cells else name
    # From the student version: a solution region in a markdown cell must not leak.
    task = "\n\n".join(
        c.source.strip() for c in student_version(nb).cells[start:stop] if c.cell_type == "markdown"
    )
    task = _HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + 1) + " " + m.group(2), task)
    found = find_exercises(nb)
    graded = [e for e in found if start <= e.solution_cell < stop] or found
    stated = _POINTS.search(nb.cells[start].source)  # "(8 points)" in the heading: the total
    total = float(stated.group(1)) if stated else float(len(graded))
    checked = ", ".join(f"`{e.name}`" for e in graded)
    if not graded:
        points = [
            f"**Total: {total:g} points.** The homework has no automatic checks: your teacher reads it."
        ]
    elif _POINTS.search(task.split("\n", 1)[-1]) or "points |" in task:
        # The task itself breaks the points down: refer to it rather than invent another split.
        points = [
            f"**Total: {total:g} points**, broken down in the task above. `make grade` runs the checks "
            f"of {checked}; the items marked for the teacher are read by hand."
        ]
    else:
        points = [
            "| exercise | what you write | points |",
            "|---|---|---|",
            *(f"| {e.number or '-'} | `{e.name}` | {total / len(graded):g} |" for e in graded),
            f"| | **total** | **{total:g}** |",
            "",
            "Each exercise earns its points when its check passes.",
        ]
    return "\n".join(
        [
            f"# Homework: {title}",
            "",
            "## Task",
            "",
            task,
            "",
            "## What to submit",
            "",
            f"- The notebook `{name}` from this pack, with your code in the cells that say `# YOUR CODE HERE`",
            "  (replace the `raise NotImplementedError()` line), renamed to start with your student id and",
            f"  an underscore: `s1234567_{name}` (an id without `_`; the grader reads it from the name).",
            "- Do not edit or delete the check cells: they are matched with the original notebook, and an",
            "  edited check counts as missing.",
            "- Before you hand it in: **Kernel → Restart Kernel and Run All Cells**, and read every check.",
            "",
            "## How it is checked",
            "",
            "Your notebook runs from top to bottom in a fresh kernel (`make grade`), with a time limit of",
            f"{time_limit(timeout)}. A check earns its points when it prints ✅; a check",
            "that fails prints what is wrong, the same message you see when you run it yourself.",
            "Stored outputs are ignored: only what the notebook computes during grading counts.",
            "",
            "## Points",
            "",
            *points,
            "",
        ]
    )


def build_pack(
    path: str | Path, out_dir: str | Path | None = None, timeout: float = SUBMISSION_TIMEOUT
) -> Path:
    """Write the homework zip for the assignment notebook ``path`` into ``out_dir`` (``build/homework``).

    Example:
        >>> build_pack("notebooks/02_linear_regression.ipynb")  # doctest: +SKIP
        PosixPath('.../build/homework/02_linear_regression_homework.zip')
    """
    path, out_dir = Path(path), Path(out_dir or build_dir("homework"))
    nb = nbformat.read(path, as_version=4)
    text = instructions(nb, path.name, timeout)
    folder = f"{path.stem}_homework"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{folder}.zip"
    files = {
        f"{folder}/INSTRUCTIONS.md": text,
        f"{folder}/{path.name}": nbformat.writes(student_version(nb)) + "\n",
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, content in files.items():
            info = zipfile.ZipInfo(arcname, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, content.encode("utf-8"))
    return target
