"""Points from grades: the gradebook a learning platform imports, and a feedback file per student.

A check earns one point when it passes, unless it prints the items it awards (the homework's
``check_homework``: "✅ answer's form: 1/1", ...): then it earns the points of its items, also when
a later item failed. A check that did not pass or fail (tampered, the course's reference, not run)
earns nothing. A notebook's points are its checks' points; the best submission of a student counts.

``gradebook.csv`` has one row per student: each notebook's points (of its checks that award no
items), each item's, the total (their sum: no point counted twice), and the homework's seed check.
A notebook a student did not hand in is blank; one handed in that earned nothing is 0. Two more
formats, chosen with ``course grade --gradebook``:

- ``moodle`` (``gradebook_moodle.csv``): "ID number" (the student id of the file name), then one column
  per grade item. Moodle: Grades → Import → CSV file; map from "ID number" to "ID number" (or to
  "Email address" when the ids are e-mail addresses), each column to a grade item or "New grade item".
- ``canvas`` (``gradebook_canvas.csv``): "Student", "ID", "SIS User ID", "SIS Login ID", "Section", then
  one column per assignment, and a "Points Possible" row, as Canvas's own export writes them; the
  student id goes to "SIS User ID" (Canvas's own "ID" is left blank). Canvas: Grades → Import.

``tests/data/`` holds a sample of each beside the results it comes from.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path
from typing import Any

from course_tools.grading.result import SYMBOLS

__all__ = ["FORMATS", "check_points", "seed_note", "write_feedback", "write_gradebook"]

FORMATS = ("plain", "moodle", "canvas")
_FILES = {
    "plain": "gradebook.csv",
    "moodle": "gradebook_moodle.csv",
    "canvas": "gradebook_canvas.csv",
}


def check_points(result: Any, label: str) -> tuple[float, float]:
    """(earned, possible) for the check ``label`` of ``result``.

    Example:
        >>> from course_tools.grading.result import Result
        >>> r = Result("a_02.ipynb", checks={"rmse": "pass", "hw": "fail"}, items={"hw": [["form", 1, 1], ["fit", 0, 2]]})
        >>> check_points(r, "rmse"), check_points(r, "hw")
        ((1.0, 1.0), (1.0, 3.0))
    """
    state, items = result.checks.get(label, ""), result.items.get(label)
    possible = float(sum(row[2] for row in items)) if items else 1.0
    if state not in ("pass", "fail"):
        return 0.0, possible
    if items:
        return float(sum(row[1] for row in items)), float(possible)
    return (1.0 if state == "pass" else 0.0), possible


def seed_note(result: Any) -> str:
    """What the homework's seed says against the student's id ("" when it is the student number or unused).

    Example:
        >>> from course_tools.grading.result import Result
        >>> print(seed_note(Result("s1234567_02.ipynb", student="s1234567", seed="2024")))
        MY_SEED is 2024, not the student number 1234567: the homework data is not this student's own
        >>> seed_note(Result("s1234567_02.ipynb", student="s1234567", seed="1234567"))
        ''
    """
    if not result.seed:
        return ""
    number = "".join(re.findall(r"\d", result.student))
    if not number:
        return f"MY_SEED is {result.seed}; the student id {result.student} has no number to compare it with"
    if result.seed.lstrip("-").isdigit() and int(result.seed) == int(number):
        return ""
    return f"MY_SEED is {result.seed}, not the student number {number}: the homework data is not this student's own"


def _itemised(results: list[Any]) -> set[tuple[str, str]]:
    """(notebook, label) of every check that awards items in some submission."""
    return {(r.notebook, label) for r in results for label in r.items}


def _columns(results: list[Any]) -> list[tuple[str, str, str, float]]:
    """(notebook, label, item, possible) of every column, whose points add up to the total: each notebook's
    checks that award no items (label and item ""), then each item of a check that awards them, in its order."""
    itemised = _itemised(results)
    columns: list[tuple[str, str, str, float]] = []
    for notebook in sorted({r.notebook for r in results if r.student and r.notebook}):
        mine = [r for r in results if r.student and r.notebook == notebook]
        plain = max(
            sum(
                check_points(r, label)[1] for label in r.checks if (notebook, label) not in itemised
            )
            for r in mine
        )
        columns += [(notebook, "", "", plain)] if plain else []
        items: dict[tuple[str, str], float] = {}
        for r in mine:
            for label, rows in r.items.items():
                for what, _, possible in rows:
                    items[(label, what)] = max(items.get((label, what), 0.0), possible)
        columns += [(notebook, label, what, possible) for (label, what), possible in items.items()]
    return columns


def _best(results: list[Any]) -> dict[str, dict[str, Any]]:
    """Each student's best submission of each notebook (the most points; the later file on a tie)."""
    best: dict[str, dict[str, Any]] = {}
    for r in sorted(results, key=lambda r: r.submission):
        if r.student and r.notebook:
            mine = best.setdefault(r.student, {})
            earned = sum(check_points(r, label)[0] for label in r.checks)
            if r.notebook not in mine or earned >= sum(
                check_points(mine[r.notebook], label)[0] for label in mine[r.notebook].checks
            ):
                mine[r.notebook] = r
    return best


def _points(r: Any, label: str, what: str, itemised: set[tuple[str, str]]) -> float:
    """The points of one column (``_columns``) in the submission ``r``."""
    if not label:
        return sum(
            check_points(r, name)[0] for name in r.checks if (r.notebook, name) not in itemised
        )
    if r.checks.get(label) not in ("pass", "fail"):
        return 0.0
    return next((row[1] for row in r.items.get(label, []) if row[0] == what), 0.0)


def _title(notebook: str, label: str, what: str) -> str:
    return f"{Path(notebook).stem} · {label}: {what}" if what else Path(notebook).stem


def _number(value: float) -> Any:
    return int(value) if float(value).is_integer() else round(value, 2)


def write_gradebook(results: list[Any], folder: Path, form: str = "plain", cell: Any = str) -> Path:
    """Write the gradebook in ``form`` (``FORMATS``) into ``folder``; its path. ``cell`` makes a text field safe.

    Example:
        >>> from course_tools.grading.result import Result
        >>> import tempfile
        >>> path = write_gradebook([Result("a_00.ipynb", "00_start.ipynb", checks={"f": "pass"}, student="a")],
        ...                        Path(tempfile.mkdtemp()), "moodle")
        >>> path.read_text().splitlines()
        ['ID number,00_start (of 1)', 'a,1']
    """
    if form not in FORMATS:
        raise ValueError(f"--gradebook takes one of {', '.join(FORMATS)}, not {form!r}")
    columns, best, itemised = _columns(results), _best(results), _itemised(results)
    titles = [
        f"{_title(nb, label, what)} (of {_number(possible):g})"
        for nb, label, what, possible in columns
    ]
    path = folder / _FILES[form]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if form == "plain":
            total = sum(p for *_, p in columns)
            writer.writerow(["student", *titles, f"total (of {_number(total):g})", "seed"])
        elif form == "moodle":
            writer.writerow(["ID number", *titles])
        else:
            writer.writerow(
                [
                    "Student",
                    "ID",
                    "SIS User ID",
                    "SIS Login ID",
                    "Section",
                    *(_title(nb, label, what) for nb, label, what, _ in columns),
                ]
            )
            writer.writerow(["Points Possible", "", "", "", "", *(_number(p) for *_, p in columns)])
        for student in sorted(best):
            mine = best[student]
            values = [
                _number(_points(mine[nb], label, what, itemised)) if nb in mine else ""
                for nb, label, what, _ in columns
            ]
            if form == "plain":
                total = sum(check_points(r, label)[0] for r in mine.values() for label in r.checks)
                notes = "; ".join(note for r in mine.values() if (note := seed_note(r)))
                seeds = notes or ("ok" if any(r.seed for r in mine.values()) else "")
                writer.writerow([cell(student), *values, _number(total), cell(seeds)])
            elif form == "moodle":
                writer.writerow([cell(student), *values])
            else:
                writer.writerow([cell(student), "", cell(student), "", "", *values])
    return path


def write_feedback(results: list[Any], folder: Path, md: Any, plain: Any) -> list[Path]:
    """One Markdown and one HTML file per student in ``folder``: each submission's checks, points and
    messages, the items of a check that awards them, and the homework's seed. ``md`` escapes a text for
    Markdown, ``plain`` makes it one safe line; HTML gets ``html.escape`` of ``plain``'s line."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    by_student: dict[str, list[Any]] = {}
    for r in sorted(results, key=lambda r: r.submission):
        if r.student:
            by_student.setdefault(r.student, []).append(r)
    for student, mine in sorted(by_student.items()):
        lines = [f"# Feedback for {md(student)}", ""]
        parts = [f"<h1>Feedback for {html.escape(plain(student))}</h1>"]
        for r in mine:
            earned = sum(check_points(r, label)[0] for label in r.checks)
            possible = sum(check_points(r, label)[1] for label in r.checks)
            head = (
                f"{r.notebook or 'not graded'}: {_number(earned):g} of {_number(possible):g} points"
            )
            lines += [
                f"## {md(head)}",
                "",
                f"File {md(r.submission)}, status {md(r.status)}"
                + (f": {md(r.detail)}" if r.detail else "")
                + ".",
                "",
            ]
            parts += [
                f"<h2>{html.escape(plain(head))}</h2>",
                f"<p>File {html.escape(plain(r.submission))}, status {html.escape(plain(r.status))}"
                + (f": {html.escape(plain(r.detail))}" if r.detail else "")
                + ".</p>",
            ]
            rows = []
            for label, state in r.checks.items():
                got, out_of = check_points(r, label)
                rows.append(
                    (
                        f"{SYMBOLS.get(state, '')} {state}",
                        label,
                        f"{_number(got):g}/{_number(out_of):g}",
                        r.messages.get(label, ""),
                    )
                )
                rows += [
                    ("", f"{label} · {what}", f"{_number(e):g}/{_number(p):g}", "")
                    for what, e, p in r.items.get(label, [])
                ]
            if rows:
                lines += [
                    "| check | result | points | message |",
                    "|---|---|---|---|",
                    *(
                        f"| {md(label)} | {md(state)} | {points} | {md(why)} |"
                        for state, label, points, why in rows
                    ),
                    "",
                ]
                parts += [
                    "<table><tr><th>check</th><th>result</th><th>points</th><th>message</th></tr>",
                    *(
                        f"<tr><td>{html.escape(plain(label))}</td><td>{html.escape(plain(state))}</td><td>{points}</td>"
                        f"<td>{html.escape(plain(why))}</td></tr>"
                        for state, label, points, why in rows
                    ),
                    "</table>",
                ]
            if note := seed_note(r):
                lines += [f"**Seed:** {md(note)}.", ""]
                parts.append(f"<p><b>Seed:</b> {html.escape(plain(note))}.</p>")
        name = re.sub(r"[^A-Za-z0-9.@+\-]", "_", plain(student)).lstrip(".") or "student"
        (folder / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        page = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Feedback for '
            f"{html.escape(plain(student))}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;"
            "vertical-align:top}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
        )
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
        written += [folder / f"{name}.md", folder / f"{name}.html"]
    return written
