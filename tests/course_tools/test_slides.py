"""Slides: one rule sets the slide metadata, every notebook carries it, decks build and say something."""

import re

import nbformat
import pytest
from notebook_factory import course_notebook

from course_tools import slides
from course_utils.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_rule_on_a_synthetic_notebook():
    nb = course_notebook()
    nb.cells.insert(7, nbformat.v4.new_markdown_cell("### 2.0 A detail"))
    nb.cells[8].metadata["slideshow"] = {"slide_type": "notes"}
    types = [slides.slide_type(nb, i) for i in range(len(nb.cells))]
    assert types == [
        "slide",
        "skip",
        "skip",
        "slide",
        "subslide",
        "fragment",
        "slide",
        "subslide",
        "notes",
        "subslide",
        "fragment",
        "subslide",
        "subslide",
        "slide",
    ]


def test_apply_is_idempotent_and_leaves_no_mismatch():
    nb = course_notebook()
    assert slides.apply_slide_metadata(nb) == len(nb.cells)
    assert slides.apply_slide_metadata(nb) == 0
    assert slides.mismatches(nb) == []
    nb.cells[3].metadata["slideshow"]["slide_type"] = "-"
    assert slides.mismatches(nb) == [
        "cell 3 ('## 1. A number'): slide_type '-', the rule says 'slide'"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_carries_the_slide_metadata(path):
    problems = slides.mismatches(nbformat.read(path, as_version=4))
    assert problems == [], f"run `make slide-tags NB={path.relative_to(REPO_ROOT)}`: {problems[:3]}"


def sections(deck: str) -> int:
    return len(re.findall(r"<section", deck))


def test_deck_of_a_synthetic_notebook(tmp_path):
    deck = slides.render_deck(course_notebook(), tmp_path / "deck.slides.html").read_text(
        encoding="utf-8"
    )
    assert "reveal" in deck and "07 · Example" in deck and "3.142" in deck
    assert sections(deck) >= 8  # 4 slides, 5 sub-slides: each a section (plus the vertical groups)
    assert 'href="08_next.html"' in deck and "google.colab" not in deck  # skipped plumbing


def test_deck_of_notebook_00_is_non_trivial(tmp_path):
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    deck = slides.render_deck(nb, tmp_path / "00.slides.html").read_text(encoding="utf-8")
    headings = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert sections(deck) > len(headings) >= 5
    assert (
        "Summary" in deck and "column_sums" in deck and "BEGIN SOLUTION" in deck
    )  # the teacher's deck
