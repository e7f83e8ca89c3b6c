"""The teacher's guide (issue 21): one per notebook, checked against it, on the site and in the decks'
speaker notes, never in what students get."""

import re
import zipfile

import nbformat
import pytest
from notebook_factory import course_guide, course_notebook, write, write_guide

from course_tools import guide, homework, slides, student
from course_tools.notebook_tools import course_notebooks

NOTEBOOKS = course_notebooks()
GUIDED = [p for p in NOTEBOOKS if guide.guide_path(p).is_file()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_a_guide(path):
    if not guide.guide_path(path).is_file():
        pytest.fail(guide.problems(path)[0], pytrace=False)


@pytest.mark.parametrize("path", GUIDED, ids=lambda p: p.name)
def test_each_guide_fits_its_notebook(path):
    assert guide.problems(path) == []


SLOT = 80  # minutes: a session plans at most this, so the slack is stated, not found in class


@pytest.mark.parametrize("path", GUIDED, ids=lambda p: p.name)
def test_each_session_is_planned_within_the_slot_with_what_to_cut(path):
    text = guide.guide_path(path).read_text(encoding="utf-8")
    minutes = [int(m) for m in re.findall(r"^\|[^|\n]+\|\s*(\d+)\s*\|", text, re.MULTILINE)]
    assert minutes and sum(minutes) <= SLOT, (
        f"the timing table plans {sum(minutes)} minutes; at most {SLOT}"
    )
    assert re.search(r"^\*\*Cut if late\*\*", text, re.MULTILINE), (
        "a '**Cut if late**' list, in order"
    )


@pytest.mark.parametrize("path", GUIDED, ids=lambda p: p.name)
def test_each_exercise_of_the_notebook_is_answered_in_the_guide(path):
    text = guide.guide_path(path).read_text(encoding="utf-8")
    numbers = [
        n
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown"
        for n in re.findall(r"\*\*Exercise (\d+(?:\.\d+)*)", cell.source)
    ]
    assert numbers == [] or re.search(
        r"^## .*Exercise|^- \*\*Answers?\b", text, re.MULTILINE | re.IGNORECASE
    )
    assert [n for n in numbers if not re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", text)] == []


def test_no_guide_without_a_notebook():
    assert guide.stray_guides(NOTEBOOKS[0].parent) == []


@pytest.fixture
def notebook(tmp_path):
    """The factory notebook in a checkout of its own, with its guide."""
    path = write(course_notebook("07"), tmp_path / "notebooks" / "07_example.ipynb")
    write_guide(course_guide("07"), path)
    return path


def test_a_good_guide_passes(notebook):
    assert guide.problems(notebook) == []
    parsed = guide.read_guide(notebook)
    assert [heading for heading, _ in parsed.sections] == ["1. A number", "2. Exercises"]
    assert "guide-intro-marker" in parsed.intro and "| 1. A number | 10 |" in parsed.intro


def test_a_missing_guide_says_where_to_write_it(tmp_path):
    path = write(course_notebook("07"), tmp_path / "notebooks" / "07_example.ipynb")
    assert guide.problems(path) == [
        "07_example.ipynb: no teacher's guide: write guide/07_example.md (its format: "
        "README, 'For teachers', or course_tools/guide.py)"
    ]


@pytest.mark.parametrize(
    "title",
    [
        "# 08 · Example: teacher's guide",  # another notebook's number
        "# 07 · Example",  # not said to be the guide
        "# Example: teacher's guide",  # no number
        "## 07 · Example: teacher's guide",  # not the first-level title
    ],
)
def test_the_title_line_is_fixed(notebook, title):
    text = course_guide("07").replace("# 07 · Example: teacher's guide", title, 1)
    write_guide(text, notebook)
    assert guide.problems(notebook)[0].startswith(
        'guide/07_example.md: the first line must be "# 07 · Title: teacher\'s guide"'
    )


def test_a_heading_must_copy_one_of_the_notebook_exactly(notebook):
    text = (
        course_guide("07")
        .replace("## 1. A number", "## 1. A Number")
        .replace(
            "## 2. Exercises", "## 2. Exercises\n\n```\n## not a heading: inside a code block\n```"
        )
    )
    write_guide(text + "## 1. A Number\n- again\n", notebook)
    assert guide.problems(notebook) == [
        "guide/07_example.md: '## 1. A Number' is no '## ' heading of 07_example.ipynb: each guide section must copy "
        "a heading of the notebook exactly (did you mean '## 1. A number'?)",
        "guide/07_example.md: '## 1. A Number' appears twice; give each section of the notebook one section",
        "guide/07_example.md: '## 1. A Number' is no '## ' heading of 07_example.ipynb: each guide section must copy "
        "a heading of the notebook exactly (did you mean '## 1. A number'?)",
    ]


def test_sections_may_be_left_out(notebook):
    write_guide("# 07 · Example: teacher's guide\n\nOnly an intro.\n", notebook)
    assert guide.problems(notebook) == []


def test_stray_and_misnamed_guides_are_named(notebook):
    folder = notebook.parent.parent / "guide"
    (folder / "08_gone.md").write_text("# 08 · Gone: teacher's guide\n")
    (folder / "Notes.md").write_text("x")
    assert guide.stray_guides(notebook.parent) == [
        "guide/08_gone.md: no notebook 08_gone.ipynb in notebooks/ (renamed? rename the guide too)",
        "guide/Notes.md: a guide is named like its notebook, NN_name.md",
    ]


def notes_by_slide(deck: str) -> list[tuple[str, list[str]]]:
    """(first heading, speaker notes) of each innermost slide of a reveal.js deck."""
    found = []
    for part in re.split(r"<section[^>]*>", deck)[1:]:
        part = part.split("</section>")[0]
        heading = re.search(r"<h[12][^>]*>(.*?)<", part, re.S)
        notes = re.findall(r'<aside class="notes">(.*?)</aside>', part, re.S)
        found.append((heading.group(1).strip() if heading else "", notes))
    return found


def test_the_deck_carries_the_guide_as_speaker_notes_on_the_right_slides(notebook, tmp_path):
    nb = nbformat.read(notebook, as_version=4)
    deck = slides.render_deck(nb, tmp_path / "07.slides.html", guide=guide.read_guide(notebook))
    text = deck.read_text(encoding="utf-8")
    by_slide = dict(notes_by_slide(text))
    assert "guide-intro-marker" in " ".join(by_slide["07 · Example"]), (
        "the intro is on the title slide"
    )
    assert "<table" in " ".join(by_slide["07 · Example"]), "its timing table too, as a table"
    assert "teacher's guide" not in " ".join(by_slide["07 · Example"]), (
        "without the guide's own title"
    )
    assert "guide-demo-marker" in " ".join(by_slide["1. A number"])
    assert "guide-evidence-marker" in " ".join(by_slide["2. Exercises"])
    assert by_slide["3. Summary"] == [], "a section the guide leaves out has no notes"
    assert text.count('<aside class="notes">') == 3
    # the notes plugin is loaded and registered, so S opens the speaker view
    assert 'src="./reveal.js/plugin/notes/notes.js"' in text and "plugins: [RevealNotes]" in text


def test_a_deck_without_a_guide_has_no_notes(notebook, tmp_path):
    deck = slides.render_deck(nbformat.read(notebook, as_version=4), tmp_path / "07.slides.html")
    assert '<aside class="notes">' not in deck.read_text(encoding="utf-8")


def test_a_guide_that_does_not_fit_stops_the_deck(notebook, tmp_path):
    write_guide(course_guide("07") + "## 9. Gone\n- old\n", notebook)
    with pytest.raises(
        guide.GuideError, match=r"07_example\.md: '## 9\. Gone' is no '## ' heading.*course check"
    ):
        slides.render_deck(
            nbformat.read(notebook, as_version=4),
            tmp_path / "07.slides.html",
            guide=guide.read_guide(notebook),
        )


def test_students_never_get_the_guide(tmp_path):
    path = write(course_notebook("07", homework=True), tmp_path / "notebooks" / "07_example.ipynb")
    write_guide(course_guide("07", homework=True), path)
    assert guide.problems(path) == []
    made = student.write_student_version(path, tmp_path / "student")
    assert "guide-" not in made.read_text(encoding="utf-8")
    with zipfile.ZipFile(homework.build_pack(path, tmp_path / "homework")) as zf:
        assert all("guide" not in name for name in zf.namelist())
        assert not any(b"guide-" in zf.read(name) for name in zf.namelist())
