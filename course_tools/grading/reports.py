"""The reports of a class: ``grades.csv``, ``grades.md``, the gradebook, feedback and ``results.json``.

Nothing a submission writes or is named can break them: every string is made plain (``_plain``: no
control characters, nothing UTF-8 cannot hold) and escaped for its format (no CSV formulas, no HTML or
table syntax in the markdown, web addresses made inert), so one student's problem stays in one row.
"""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from course_tools.gradebook import write_feedback, write_gradebook
from course_tools.grading.result import SYMBOLS, Result
from course_tools.grading.sandbox import isolation

__all__ = ["write_reports"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(
    r"[\ud800-\udfff]"
)  # a lone half of a UTF-16 pair, or a file name's undecodable byte
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,15}):(?=//)|\b(www)\.(?=\S)")


def _plain(text: Any) -> str:
    """One line of text any file or terminal can hold: control characters (newlines, terminal escapes, bidi
    overrides) as spaces, what UTF-8 cannot encode (a lone surrogate, an undecodable byte of a file name) as �.

    Example:
        >>> _plain("caf" + chr(0xDCE9) + chr(10) + "| x")
        'caf� | x'
    """
    return _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", str(text)))


def _inert(text: Any) -> str:
    """``_plain`` text whose web addresses no report makes a live link: ``http[:]//``, ``www[.]``.

    Example:
        >>> _inert("see https://evil.example or www.evil.example")
        'see https[:]//evil.example or www[.]evil.example'
    """
    return _SCHEME.sub(lambda m: f"{m[1]}[:]" if m[1] else f"{m[2]}[.]", _plain(text))


def _csv_cell(value: Any) -> Any:
    """A CSV field a spreadsheet shows as text: never a formula (OWASP's leading-character rule)."""
    if isinstance(value, (int, float)):
        return value
    text = _inert(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _md(text: Any) -> str:
    """Text for a markdown table cell or list item: one line, no HTML but ``<code>`` for a message's
    `code`, no table or link syntax, no address a renderer links by itself (a web address is made
    inert, an e-mail address broken after its ``@``).

    Example:
        >>> print(_md("use `x[0]` | <b>"))
        use <code>x\\[0\\]</code> \\| &lt;b&gt;
    """
    escaped = re.sub(
        r"([\\*\[\]|])", r"\\\1", html.escape(_inert(text), quote=False).replace("@", "@\u200b")
    )
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped).replace(
        "`", "&#96;"
    )  # `code` as code, never "\`"


def write_reports(
    results: list[Result],
    out_dir: Path,
    isolated: bool = True,
    run: dict[str, Any] | None = None,
    gradebook: str = "plain",
) -> tuple[Path, Path]:
    """Write ``grades.csv``, ``grades.md``, ``gradebook.csv`` (and the ``gradebook`` format's file, see
    ``course_tools.gradebook``), ``feedback/STUDENT.md`` and ``.html``, and ``results.json`` into
    ``out_dir``; the paths of the first two. Every name and message is escaped for its format.

    Example:
        >>> import tempfile
        >>> write_reports([Result("alice_00.ipynb", "00_start_here.ipynb", checks={"f": "pass"}, student="alice")],
        ...               Path(tempfile.mkdtemp()))[0].name
        'grades.csv'
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: r.submission)
    labels = list(dict.fromkeys(label for r in results for label in r.checks))
    csv_path, md_path = out_dir / "grades.csv", out_dir / "grades.md"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "submission",
                "student",
                "notebook",
                "status",
                "passed",
                "total",
                *(f"check:{label}" for label in labels),
                "detail",
                "seconds",
            ]
        )
        for r in results:
            problems = "; ".join(f"{label}: {why}" for label, why in r.messages.items())
            detail = "; ".join(part for part in (r.detail, problems) if part)
            writer.writerow(
                [
                    _csv_cell(v)
                    for v in (
                        r.submission,
                        r.student,
                        r.notebook,
                        r.status,
                        r.passed,
                        len(r.checks),
                        *(r.checks.get(label, "") for label in labels),
                        detail,
                        round(r.seconds, 1),
                    )
                ]
            )
    md_path.write_text(_grades_md(results, isolated), encoding="utf-8")
    for form in dict.fromkeys(("plain", gradebook)):
        write_gradebook(results, out_dir, form, _csv_cell)
    write_feedback(results, out_dir / "feedback", _md, _inert)
    (out_dir / "results.json").write_text(
        json.dumps(
            {"isolated": isolated, "run": run, "results": [_stored(asdict(r)) for r in results]},
            indent=1,
            ensure_ascii=True,
        ),
        encoding="utf-8",
    )
    return csv_path, md_path


def _grades_md(results: list[Result], isolated: bool) -> str:
    """grades.md: a table per notebook (its own checks only), each followed by its problems."""
    lines = [
        "# Grades",
        "",
        f"Submissions: {_md(isolation(isolated))}.",
        "",
        "Legend: "
        + ", ".join(f"{s} {name}" for name, s in SYMBOLS.items())
        + ". Points: see gradebook.csv; "
        "each student's checks and messages: feedback/STUDENT.md.",
        "",
    ]
    for notebook in sorted({r.notebook for r in results}, key=lambda nb: (nb == "", nb)):
        mine = [r for r in results if r.notebook == notebook]
        labels = list(dict.fromkeys(label for r in mine for label in r.checks))
        lines += [
            f"## {_md(notebook or 'Not graded')} ({len(mine)} submission{'s' * (len(mine) != 1)})",
            "",
            "| submission | student | status | passed | "
            + "".join(f"{_md(label)} | " for label in labels),
            "|---|---|---|---|" + "---|" * len(labels),
        ]
        lines += [
            f"| {_md(r.submission)} | {_md(r.student)} | {_md(r.status)} | {r.passed}/{len(r.checks)} | "
            + "".join(f"{SYMBOLS.get(r.checks.get(label, ''), '')} | " for label in labels)
            for r in mine
        ]
        problems = [
            f"- **{_md(r.submission)}**: {_md(r.status)}: {_md(r.detail)}" for r in mine if r.detail
        ]
        problems += [
            f"- **{_md(r.submission)}**, {_md(label)} ({_md(r.checks.get(label, ''))}): {_md(why)}"
            for r in mine
            for label, why in r.messages.items()
        ]
        lines += [
            "",
            *(
                ["Problems:", "", *problems, ""]
                if problems
                else ["No problems: every check passed.", ""]
            ),
        ]
    return "\n".join(lines)


def _stored(value: Any) -> Any:
    """A result's fields with every string ``_plain``: what ``results.json`` holds is valid UTF-8 for any reader."""
    if isinstance(value, dict):
        return {_plain(k): _stored(v) for k, v in value.items()}
    return _plain(value) if isinstance(value, str) else value
