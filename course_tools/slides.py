"""Slides for live demos: one rule sets every cell's slide type, nbconvert renders reveal.js decks.

The rule (``slide_type``), chosen so a notebook reads well both as a notebook and as slides:

- the title cell starts the deck (``slide``);
- the Colab install cell and the setup cell (code among the first three cells) are plumbing:
  ``skip`` (run them before presenting);
- a markdown cell that starts with a ``#`` or ``##`` heading starts a new ``slide``, one with a
  ``###`` (or deeper) heading a ``subslide``;
- every other code cell gets a ``subslide`` of its own, so the code and its plot fill the screen;
- a markdown cell without a heading after a code cell (the sentence on what the output showed)
  is a ``fragment`` below that output; after a markdown cell it simply continues (``-``);
- a cell set to ``notes`` by hand keeps it (speaker notes).

``course slide-tags [NB...]`` (``make slide-tags``) stores the rule's metadata in the notebooks (the
JupyterLab slideshow extension, ``jupyterlab-rise`` in the ``lab`` extra, presents the live
notebook from it); ``tests/test_slides.py`` checks every notebook carries it.
``course slides`` (``make slides``) runs the notebooks (cached, see
``course_tools.execution``) and writes ``build/slides/NN_name.slides.html``. reveal.js itself is
loaded from its CDN when a deck opens.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

KEPT = {"notes"}
_FIRST_HEADING = re.compile(r"^\s*(#{1,6})\s")


def slide_type(nb: nbformat.NotebookNode, index: int) -> str:
    """The slide type the course's rule gives cell ``index`` (see the module docstring).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 00 · Title"),
        ...     nbformat.v4.new_markdown_cell("### 1.1 Detail")])
        >>> [slide_type(nb, i) for i in range(2)]
        ['slide', 'subslide']
    """
    cell = nb.cells[index]
    current = cell.metadata.get("slideshow", {}).get("slide_type")
    if current in KEPT:
        return current
    if index == 0:
        return "slide"
    if cell.cell_type == "code":
        return "skip" if index < 3 else "subslide"
    heading = _FIRST_HEADING.match(cell.source)
    if heading:
        return "slide" if len(heading.group(1)) <= 2 else "subslide"
    previous = nb.cells[index - 1]
    return "fragment" if previous.cell_type == "code" else "-"


def apply_slide_metadata(nb: nbformat.NotebookNode) -> int:
    """Set every cell's ``slideshow.slide_type`` by the rule; the number of cells changed.

    Example:
        >>> apply_slide_metadata(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T")]))
        1
    """
    changed = 0
    for i, cell in enumerate(nb.cells):
        wanted = slide_type(nb, i)
        if cell.metadata.get("slideshow", {}).get("slide_type") != wanted:
            cell.metadata.setdefault("slideshow", {})["slide_type"] = wanted
            changed += 1
    return changed


def mismatches(nb: nbformat.NotebookNode) -> list[str]:
    """Cells whose stored slide type differs from the rule, one readable line each.

    Example:
        >>> mismatches(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T")]))
        ["cell 0 ('# T'): slide_type None, the rule says 'slide'"]
    """
    found = []
    for i, cell in enumerate(nb.cells):
        stored = cell.metadata.get("slideshow", {}).get("slide_type")
        wanted = slide_type(nb, i)
        if stored != wanted:
            first = cell.source.splitlines()[0][:50] if cell.source else ""
            found.append(f"cell {i} ({first!r}): slide_type {stored!r}, the rule says {wanted!r}")
    return found


def render_deck(nb: nbformat.NotebookNode, target: str | Path) -> Path:
    """Render ``nb`` (executed, for its outputs) as a reveal.js deck at ``target``.

    The rule is applied to a copy first, so a deck is right even before ``tag`` was run.

    Example:
        >>> render_deck(nb, "build/slides/00_start_here.slides.html")  # doctest: +SKIP
    """
    from nbconvert import SlidesExporter

    from course_tools.site import for_the_web

    nb = for_the_web(nb)
    apply_slide_metadata(nb)
    exporter = SlidesExporter(reveal_scroll=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target

