"""The two editions of what the course renders (slide decks, the site): one for students, one for the teacher.

The **student edition** (``course slides``, ``course html``: ``build/slides/``, ``build/html/``) is
what a teacher may publish, hand out or copy to a USB stick for the class: each notebook as its
student version reads (``course_tools.student``: solutions replaced by stubs, no ``### BEGIN
SOLUTION`` markers) with the outputs of the executed notebook, except those of the exercises, from
the solution cell to its check cell (they show what a solution printed); no teacher's guide, no
speaker notes. The **teacher's edition** (``--teacher``, ``make teacher-slides``, ``make
teacher-html``: ``build/teacher/slides/``, ``build/teacher/html/``) has the solutions, the guide
pages and the guide as speaker notes, and says "teacher's edition" on every page and deck.

Both come from the same executed notebooks (``course_tools.execution``, cached). After writing a
student edition the build reads back every file it wrote and fails, deleting those files, if one
contains a line of a solution, a sentence of a guide or a solution marker (``leaks``).
"""

from __future__ import annotations

import html.parser
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_tools.execution import execute_all
from course_tools.guide import Guide, read_guide
from course_tools.notebook_tools import build_dir
from course_tools.student import BEGIN, END, has_solution, student_edition, student_version

__all__ = [
    "Edited",
    "Secrets",
    "StudentEditionLeak",
    "check_student_edition",
    "edition_notebooks",
    "leaks",
    "output_dir",
    "secrets_of",
    "visible_text",
]

TEACHER_FOLDER = "teacher"
TEACHER_LABEL = "Teacher's edition: solutions and teacher's guide, not for students"
MIN_CODE = 12  # characters: a shorter solution line ("return x") is not evidence of a leak
MIN_WORDS = 5  # words: a shorter guide sentence is not evidence of a leak
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


class StudentEditionLeak(RuntimeError):
    """A student edition would show a solution or the teacher's guide."""


@dataclass
class Secrets:
    """What the student edition of one notebook must not show (``secrets_of``)."""

    code: list[str] = field(
        default_factory=list
    )  #: solution lines, white space made single spaces (``_code``)
    sentences: list[str] = field(
        default_factory=list
    )  #: guide sentences as their words (``_words``)


@dataclass
class Edited:
    """One notebook of an edition: the course notebook, what the edition shows, and what it must not."""

    path: Path  #: the course notebook
    nb: nbformat.NotebookNode  #: executed, as the edition shows it
    guide: Guide | None = None  #: the teacher's guide (teacher's edition only)
    secrets: Secrets = field(
        default_factory=Secrets
    )  #: what it must not show (student edition only)


def output_dir(name: str, teacher: bool) -> Path:
    """Where an edition goes by default: ``build/NAME`` for students, ``build/teacher/NAME`` for the teacher.

    Example:
        >>> output_dir("html", teacher=True).relative_to(build_dir("")).as_posix()
        'teacher/html'
    """
    return build_dir(TEACHER_FOLDER) / name if teacher else build_dir(name)


def edition_notebooks(
    paths: list[Path], jobs: int, cache_dir: str | Path, teacher: bool
) -> list[Edited]:
    """Run (or take from the cache) the notebooks at ``paths``; each as the chosen edition shows it.

    Example:
        >>> edition_notebooks([Path("notebooks/00_start_here.ipynb")], 1, "build/executed", False)  # doctest: +SKIP
        [Edited(path=PosixPath('notebooks/00_start_here.ipynb'), nb=..., guide=None, secrets=Secrets(...))]
    """
    done = [
        (path, nbformat.read(copy, as_version=4))
        for path, copy in zip(paths, execute_all(paths, jobs, cache_dir))
    ]
    if teacher:
        return [Edited(path, nb, read_guide(path)) for path, nb in done]
    allowed = "\n".join(_allowed_text(nb) for _, nb in done)
    return [
        Edited(path, student_edition(nb), None, secrets_of(nb, read_guide(path), allowed))
        for path, nb in done
    ]


def _words(text: str) -> str:
    """Text as its lower-case words and numbers, one space apart, with a space at each end."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def _code(text: str) -> str:
    """Text with every run of white space made one space."""
    return " ".join(text.split())


def _allowed_text(executed: nbformat.NotebookNode) -> str:
    """What students may see of an executed notebook, worked out apart from ``student_edition``: the
    student version's cells and the text printed by every cell without a solution."""
    parts = [cell.source for cell in student_version(executed).cells]
    for cell in executed.cells:
        for output in [] if has_solution(cell) else cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts += [
                str(value)
                for mime, value in output.get("data", {}).items()
                if mime.startswith("text/")
            ]
    return "\n".join(parts)


def secrets_of(teacher: nbformat.NotebookNode, guide: Guide | None, allowed: str) -> Secrets:
    """What no student edition may show of the executed notebook ``teacher`` and its ``guide``.

    Every line of a solution region at least ``MIN_CODE`` characters long, and every sentence of
    the guide of at least ``MIN_WORDS`` words (as ``_words``: markup and link targets gone), that
    the text students may see anyway, ``allowed`` (``_allowed_text`` of every notebook: a
    heading the guide copies, a line of code another cell has), does not hold.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        ...     "def f(m):\\n    ### BEGIN SOLUTION\\n    return m.sum(dim=0)\\n    ### END SOLUTION")])
        >>> from course_tools.guide import parse_guide
        >>> guide = parse_guide("# 00 · X: teacher's guide\\n\\nShow the sum over columns live. Short.\\n")
        >>> secrets_of(nb, guide, _allowed_text(nb))
        Secrets(code=['return m.sum(dim=0)'], sentences=[' show the sum over columns live '])
    """
    own_code, own_words = _code(allowed), _words(allowed)
    found, inside = Secrets(), False
    for cell in teacher.cells:
        for line in cell.source.splitlines():
            if BEGIN in line or END in line:
                inside = BEGIN in line
            elif inside and len(line.strip()) >= MIN_CODE and _code(line) not in own_code:
                found.code.append(_code(line))
    body = guide.text.split("\n", 1)[-1] if guide is not None else ""  # without the title line
    for sentence in _SENTENCE_END.split(_LINK_TARGET.sub("]", body)):
        words = _words(sentence)
        if (
            not sentence.lstrip().startswith("#")
            and len(words.split()) >= MIN_WORDS
            and words not in own_words
        ):
            found.sentences.append(words)
    found.code, found.sentences = (
        list(dict.fromkeys(found.code)),
        list(dict.fromkeys(found.sentences)),
    )
    return found


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(page: str) -> str:
    """The text of an HTML page (every text node, scripts and speaker notes included), tags gone.

    Example:
        >>> visible_text('<pre><span class="k">return</span> <span>m</span>.sum()</pre>')
        'return m.sum()'
    """
    parser = _Text()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def leaks(files: list[Path], notebooks: list[Edited]) -> list[str]:
    """One line per secret of ``notebooks`` (``secrets_of``) or solution marker found in ``files``.

    Example:
        >>> page = Path(__import__("tempfile").mkdtemp()) / "00.html"
        >>> _ = page.write_text("<pre>return <b>m.sum(dim=0)</b></pre>")
        >>> leaks([page], [Edited(Path("00_x.ipynb"), None, secrets=Secrets(code=["return m.sum(dim=0)"]))])
        ["00.html shows 00_x.ipynb's solution line 'return m.sum(dim=0)'"]
    """
    found = []
    for file in files:
        raw = file.read_text(encoding="utf-8", errors="replace")
        text = visible_text(raw)
        code, words = _code(text), _words(text)
        found += [
            f"{file.name} shows a solution marker ({marker})"
            for marker in (BEGIN, END)
            if marker in raw
        ]
        for edited in notebooks:
            name = edited.path.name
            found += [
                f"{file.name} shows {name}'s solution line {line!r}"
                for line in edited.secrets.code
                if line in code
            ]
            found += [
                f"{file.name} shows a sentence of {name}'s guide: {sentence.strip()!r}"
                for sentence in edited.secrets.sentences
                if sentence in words
            ]
    return found


def check_student_edition(folder: Path, written: list[Path], notebooks: list[Edited]) -> None:
    """Raise ``StudentEditionLeak`` if a page or deck in ``folder`` shows what students must not see.

    Every ``.html`` file of the folder is read (not reveal.js's or MathJax's): the ``written`` ones
    (this build's), which are then all deleted, and any other, left from an earlier build (a guide
    page an older ``make html`` put there), which is named for the teacher to delete.
    """
    assets = {folder / "mathjax", folder / "reveal.js"}
    others = sorted(
        set(p for p in folder.glob("**/*.html") if not assets & set(p.parents)) - set(written)
    )
    found = leaks(written, notebooks)
    left = leaks(others, notebooks)
    if not found and not left:
        return
    if found:
        for file in written:
            file.unlink(missing_ok=True)
    shown = (found + left)[:20]
    more = f"\n  ... and {len(found) + len(left) - 20} more" if len(found) + len(left) > 20 else ""
    stale = sorted({line.split(" shows ")[0] for line in left})
    raise StudentEditionLeak(
        "the students' edition would show what students must not see:\n  "
        + "\n  ".join(shown)
        + more
        + (
            "\nThis build's files were deleted; please report this as a bug of the course tools."
            if found
            else ""
        )
        + (
            f"\nLeft in {folder} by an earlier build: {', '.join(stale)}. Delete them (or the whole folder) and build "
            "again before you hand the folder out."
            if left
            else ""
        )
    )
