"""The teacher's guide: one markdown file per notebook, ``guide/NN_name.md`` beside ``notebooks/``.

What to demo live and in what order, timings, the mistakes students make, and the evidence (the
multi-seed numbers from ``make bench``) behind each claim of the notebook. The format is fixed::

    # NN · Title: teacher's guide

    A short paragraph: what the session is for, who it is for, how long; a table of timings.

    ## 1. <the exact text of a "## " heading of the notebook>
    - **Demo live:** ...
    - **Students often:** ...
    - **Evidence:** ...

``course check`` runs ``problems`` on every notebook's guide (it must exist, its first line must be
the title above with the notebook's number, and each ``## `` heading must equal a ``## `` heading
of the notebook, so that a renamed section is noticed). ``course html`` renders each guide as a
page of the site (``NN_name.guide.html``); ``course slides`` and the site's decks put each section
into the speaker notes of the slide its heading starts (``with_speaker_notes``; press S in a deck),
and the part before the first ``##`` onto the title slide. Student versions and homework packs are
built from the notebooks alone, so they never contain a guide.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "FOLDER",
    "Guide",
    "GuideError",
    "guide_path",
    "notebook_headings",
    "parse_guide",
    "problems",
    "read_guide",
    "stray_guides",
    "with_speaker_notes",
]

FOLDER = "guide"
_TITLE = re.compile(r"^# (\d\d) · \S.*: teacher's guide$")
_NAME = re.compile(r"^(\d\d)_[a-z0-9]+(?:_[a-z0-9]+)*\.md$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class GuideError(ValueError):
    """A guide that does not fit its notebook (a heading the notebook does not have)."""


@dataclass
class Guide:
    """A parsed guide: its title line, the part before the first ``##``, and its sections."""

    title: str
    intro: str
    sections: list[tuple[str, str]] = field(default_factory=list)  #: (heading text, markdown body)
    path: Path | None = None

    @property
    def text(self) -> str:
        """The whole guide as markdown (title, intro, sections)."""
        parts = [self.title, self.intro] + [
            f"## {heading}\n{body}" for heading, body in self.sections
        ]
        return "\n\n".join(part.strip("\n") for part in parts if part.strip()) + "\n"


def _heading_lines(text: str) -> list[tuple[int, str]]:
    """(line number, heading text) of each ``## `` line outside fenced code blocks."""
    found, fenced = [], False
    for number, line in enumerate(text.splitlines()):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            found.append((number, line[3:].rstrip()))
    return found


def parse_guide(text: str, path: Path | None = None) -> Guide:
    """Split a guide into its title line, intro and ``## `` sections.

    Example:
        >>> g = parse_guide("# 07 · X: teacher's guide\\n\\nWhy.\\n\\n## 1. A\\n- demo\\n")
        >>> g.title, g.intro.strip(), g.sections
        ("# 07 · X: teacher's guide", 'Why.', [('1. A', '- demo\\n')])
    """
    lines = text.splitlines(keepends=True)
    title = lines[0].rstrip("\n") if lines else ""
    headings = _heading_lines(text)
    starts = [number for number, _ in headings] + [len(lines)]
    intro = "".join(lines[1 : starts[0]])
    sections = [
        (heading, "".join(lines[starts[i] + 1 : starts[i + 1]]))
        for i, (_, heading) in enumerate(headings)
    ]
    return Guide(title, intro, sections, path)


def guide_path(notebook: str | Path) -> Path:
    """Where the guide of a notebook lives: ``guide/NN_name.md`` beside the notebooks' folder.

    Example:
        >>> guide_path("notebooks/03_mlp.ipynb").as_posix()
        'guide/03_mlp.md'
    """
    notebook = Path(notebook)
    return notebook.parent.parent / FOLDER / f"{notebook.stem}.md"


def read_guide(notebook: str | Path) -> Guide | None:
    """The parsed guide of a notebook, or None when it has none yet."""
    path = guide_path(notebook)
    return parse_guide(path.read_text(encoding="utf-8"), path) if path.is_file() else None


def notebook_headings(nb: nbformat.NotebookNode) -> list[str]:
    """The text of every ``## `` heading in the notebook's markdown cells, in order.

    Example:
        >>> notebook_headings(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\\n## 1. A")]))
        ['1. A']
    """
    return [
        heading
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for _, heading in _heading_lines(cell.source)
    ]


def problems(notebook: str | Path) -> list[str]:
    """Everything wrong with a notebook's guide, one line each (empty: the guide exists and fits).

    Example:
        >>> problems("notebooks/99_none.ipynb")  # doctest: +ELLIPSIS
        ["99_none.ipynb: no teacher's guide: write guide/99_none.md (...)"]
    """
    notebook = Path(notebook)
    path = guide_path(notebook)
    shown = f"{FOLDER}/{path.name}"
    if not path.is_file():
        return [
            f"{notebook.name}: no teacher's guide: write {shown} (its format: README, 'For teachers', "
            "or course_tools/guide.py)"
        ]
    guide = parse_guide(path.read_text(encoding="utf-8"), path)
    found = []
    number = notebook.name[:2]
    if not _TITLE.match(guide.title) or guide.title[2:4] != number:
        found.append(
            f'{shown}: the first line must be "# {number} · Title: teacher\'s guide" '
            f"(found {guide.title[:60]!r})"
        )
    headings = (
        notebook_headings(nbformat.read(notebook, as_version=4)) if notebook.is_file() else []
    )
    seen = set()
    for heading, _ in guide.sections:
        if heading in seen:
            found.append(
                f"{shown}: '## {heading}' appears twice; give each section of the notebook one section"
            )
        seen.add(heading)
        if heading not in headings:
            close = difflib.get_close_matches(heading, headings, n=1, cutoff=0.5)
            hint = f" (did you mean '## {close[0]}'?)" if close else ""
            found.append(
                f"{shown}: '## {heading}' is no '## ' heading of {notebook.name}: each guide section "
                f"must copy a heading of the notebook exactly{hint}"
            )
    return found


def stray_guides(notebooks_dir: str | Path) -> list[str]:
    """A line for each file in the guide folder that is not the guide of a notebook in ``notebooks_dir``.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> for name in ("notebooks/07_x.ipynb", "guide/07_x.md", "guide/08_gone.md"):
        ...     (root / name).parent.mkdir(exist_ok=True); _ = (root / name).write_text("")
        >>> stray_guides(root / "notebooks")
        ['guide/08_gone.md: no notebook 08_gone.ipynb in notebooks/ (renamed? rename the guide too)']
    """
    notebooks_dir = Path(notebooks_dir)
    folder = notebooks_dir.parent / FOLDER
    stems = {p.stem for p in notebooks_dir.glob("*.ipynb")}
    found = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix == ".md" and path.stem in stems:
            continue
        if not _NAME.match(path.name):
            found.append(f"{FOLDER}/{path.name}: a guide is named like its notebook, NN_name.md")
        else:
            found.append(
                f"{FOLDER}/{path.name}: no notebook {path.stem}.ipynb in {notebooks_dir.name}/ "
                "(renamed? rename the guide too)"
            )
    return found


def _notes_cell(markdown: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(markdown.strip("\n"))
    cell.metadata["slideshow"] = {"slide_type": "notes"}
    return cell


def with_speaker_notes(nb: nbformat.NotebookNode, guide: Guide) -> nbformat.NotebookNode:
    """A copy of ``nb`` with the guide as reveal.js speaker notes (cells of slide type ``notes``).

    The intro goes after the title cell, each section after the cell holding its ``## `` heading,
    so that it belongs to the slide that heading starts. A section whose heading the notebook does
    not have raises ``GuideError`` (``course check`` says the same).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 07 · X"),
        ...                                      nbformat.v4.new_markdown_cell("## 1. A")])
        >>> out = with_speaker_notes(nb, parse_guide("# 07 · X: teacher's guide\\nWhy.\\n## 1. A\\nShow it.\\n"))
        >>> [(c.source, c.metadata.get("slideshow", {}).get("slide_type")) for c in out.cells]
        [('# 07 · X', None), ('Why.', 'notes'), ('## 1. A', None), ('Show it.', 'notes')]
    """
    nb = nbformat.from_dict(nb)
    inserts: list[tuple[int, str]] = []
    if guide.intro.strip():
        inserts.append((0, guide.intro))
    where = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for _, heading in _heading_lines(cell.source):
                where.setdefault(heading, index)
    for heading, body in guide.sections:
        if heading not in where:
            name = guide.path.name if guide.path else "the guide"
            raise GuideError(
                f"{name}: '## {heading}' is no '## ' heading of the notebook; run `course check`"
            )
        if body.strip():
            inserts.append((where[heading], body))
    for index, markdown in sorted(inserts, key=lambda item: item[0])[
        ::-1
    ]:  # from the end: indices hold
        nb.cells.insert(index + 1, _notes_cell(markdown))
    return nb
