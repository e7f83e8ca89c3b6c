"""The students' edition of the decks and the site shows no solution and no teacher's guide.

Every file of the students' site (pages, decks, index) is built for every course notebook, from
the notebooks as stored (their checked cells' outputs; `make html` adds the rest, and the browser
test checks that build too), and searched for every solution line and guide sentence of every
notebook (course_tools.editions.leaks). The teacher's decks (solutions, the guide as speaker notes)
are the negative control: the same search must find each notebook's solutions and guide there.
"""

from pathlib import Path

import nbformat
import pytest
from notebook_factory import course_guide, course_notebook, write, write_guide

from course_tools import editions, site, slides
from course_tools.guide import read_guide
from course_tools.notebook_tools import course_notebooks
from course_tools.student import find_exercises

NOTEBOOKS = course_notebooks()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The students' site and the teacher's decks of every notebook, from the stored notebooks (nothing is run)."""
    out = tmp_path_factory.mktemp("editions")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(editions, "execute_all", lambda paths, jobs, cache_dir: list(paths))
        site.build_site(NOTEBOOKS, out / "student", jobs=1)
        slides.build_decks(
            NOTEBOOKS, out / "teacher" / "slides", 1, out / "unused", teacher=True
        )  # solutions, notes
        edited = editions.edition_notebooks(NOTEBOOKS, 1, out / "unused", teacher=False)
    pages = {
        name: sorted(p for p in (out / name).glob("**/*.html") if p.parent.name in (name, "slides"))
        for name in ("student", "teacher")
    }
    return pages, edited


def test_every_notebook_has_secrets_to_keep(built):
    """The search is not empty: each notebook's solutions and guide give lines and sentences to look for."""
    _, edited = built
    for e in edited:
        teacher = nbformat.read(e.path, as_version=4)
        if find_exercises(teacher):
            assert len(e.secrets.code) >= len(find_exercises(teacher)), (
                e.path.name,
                e.secrets.code,
            )
        if read_guide(e.path) is not None:
            assert len(e.secrets.sentences) >= 10, (e.path.name, e.secrets.sentences)


def test_the_students_edition_shows_no_solution_and_no_guide(built):
    pages, edited = built
    names = [
        p.relative_to(p.parents[1] if p.parent.name == "slides" else p.parent).as_posix()
        for p in pages["student"]
    ]
    assert sorted(names) == sorted(
        ["index.html"]
        + [f"{p.stem}.html" for p in NOTEBOOKS]
        + [f"slides/{p.stem}.slides.html" for p in NOTEBOOKS]
    ), "no guide pages"
    assert editions.leaks(pages["student"], edited) == []
    for e in edited:
        if find_exercises(nbformat.read(e.path, as_version=4)):
            page = (pages["student"][0].parent / f"{e.path.stem}.html").read_text(encoding="utf-8")
            assert "YOUR CODE HERE" in page, f"{e.path.name}: the exercises are there, as stubs"


def test_the_search_finds_solutions_and_guides_in_the_teachers_edition(built):
    """Negative control: the teacher's edition shows every notebook's solutions and guide, and the search says so."""
    pages, edited = built
    found = "\n".join(editions.leaks(pages["teacher"], edited))
    for e in edited:
        if e.secrets.code:
            assert f"{e.path.name}'s solution line" in found, e.path.name
        if e.secrets.sentences:
            assert f"sentence of {e.path.name}'s guide" in found, e.path.name


def test_a_students_deck_that_would_leak_is_deleted_and_refused(tmp_path, monkeypatch):
    """Should the student edition ever keep a solution (here: a broken student_edition), nothing is left to hand out."""
    path = write(course_notebook("07"), tmp_path / "notebooks" / "07_example.ipynb")
    write_guide(course_guide("07"), path)
    monkeypatch.setattr(editions, "execute_all", lambda paths, jobs, cache_dir: list(paths))
    monkeypatch.setattr(editions, "student_edition", lambda nb: nb)
    with pytest.raises(
        editions.StudentEditionLeak,
        match=r"07_example.slides.html shows 07_example.ipynb's "
        r"solution line 'total = sum\(range\(5\)\)",
    ):
        slides.build_decks([path], tmp_path / "slides", 1, tmp_path / "cache")
    assert not list((tmp_path / "slides").glob("*.html")), "the leaking deck was deleted"


def test_a_guide_page_left_by_an_earlier_build_is_named_not_handed_out(tmp_path, monkeypatch):
    """A teacher's site built into the students' folder (as make html did before the editions) leaves guide pages."""
    path = write(course_notebook("07"), tmp_path / "notebooks" / "07_example.ipynb")
    write_guide(course_guide("07"), path)
    monkeypatch.setattr(editions, "execute_all", lambda paths, jobs, cache_dir: list(paths))
    site.build_site([path], tmp_path / "html", jobs=1, teacher=True)
    with pytest.raises(
        editions.StudentEditionLeak,
        match=r"Left in .*html by an earlier build: 07_example.guide.html",
    ):
        site.build_site([path], tmp_path / "html", jobs=1)
    assert (tmp_path / "html" / "07_example.guide.html").is_file(), "not the tool's to delete"
    (tmp_path / "html" / "07_example.guide.html").unlink()
    site.build_site([path], tmp_path / "html", jobs=1)


def test_default_folders_keep_the_editions_apart():
    student, teacher = (
        editions.output_dir("html", teacher=False),
        editions.output_dir("html", teacher=True),
    )
    assert student.name == teacher.name == "html" and teacher.parent.name == "teacher"
    assert Path(student) not in Path(teacher).parents and Path(teacher) not in Path(student).parents
