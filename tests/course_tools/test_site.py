"""make html: the notebooks are run and rendered, with an index, into a folder that works offline."""

import html
import re

import nbformat
import pytest
from notebook_factory import course_guide, course_notebook, write, write_guide

from course_tools import execution, site, web


def test_site_of_two_small_notebooks(tmp_path, monkeypatch):
    first = write(course_notebook("07"), tmp_path / "nb" / "07_example.ipynb")
    second = write(course_notebook("08"), tmp_path / "nb" / "08_next.ipynb")
    write_guide(course_guide("07"), first)  # 08 has no teacher's guide yet
    cache = tmp_path / "cache"
    index = site.build_site(
        [first, second], tmp_path / "teacher", jobs=1, cache_dir=cache, teacher=True
    )
    text = index.read_text(encoding="utf-8")
    assert (
        "07 · Example" in text and "08 · Example" in text and "double them" in text
    )  # titles and goals
    assert "2 notebooks, one lab session each: 07 · Example, 08 · Example." in text
    assert "teacher's edition" in html.unescape(text)
    links = re.findall(r'href="([^"]+)"', text)
    local = [link for link in links if not link.startswith("https://colab.research.google.com/")]
    assert {
        "07_example.html",
        "08_next.html",
        "slides/07_example.slides.html",
        "07_example.guide.html",
    } <= set(local)
    assert "08_next.guide.html" not in local
    assert all((tmp_path / "teacher" / link).is_file() for link in local), local
    page = (tmp_path / "teacher" / "07_example.html").read_text(encoding="utf-8")
    assert "3.142" in page, "the page shows the outputs of the executed notebook"
    assert "secret-function-answer" in page, "the teacher's edition shows the solutions"
    assert 'href="08_next.html"' in page and 'href="index.html"' in page
    assert 'href="07_example.guide.html"' in page, "the notebook's page links to its guide"
    assert ".guide.html" not in (tmp_path / "teacher" / "08_next.html").read_text(encoding="utf-8")
    guide_page = (tmp_path / "teacher" / "07_example.guide.html").read_text(encoding="utf-8")
    assert (
        "07 · Example: teacher&#39;s guide" in guide_page
        or "07 · Example: teacher's guide" in guide_page
    )
    assert "guide-demo-marker" in guide_page and "<table" in guide_page
    for href in ("index.html", "07_example.html", "slides/07_example.slides.html"):
        assert f'href="{href}"' in guide_page
    deck = (tmp_path / "teacher" / "slides" / "07_example.slides.html").read_text(encoding="utf-8")
    assert '<aside class="notes">' in deck and "guide-evidence-marker" in deck, (
        "the teacher's deck has the notes"
    )
    assert str(tmp_path) not in page and "/work/" not in page
    if (tmp_path / "teacher" / "mathjax").is_dir():  # with the teach extra, formulas render offline
        assert 'src="mathjax/MathJax.js' in page and 'src="mathjax/MathJax.js' in text
        assert (tmp_path / "teacher" / "mathjax" / "MathJax.js").is_file()

    # The students' edition comes from the same executed notebooks (no second run), without what is the teacher's.
    monkeypatch.setattr(
        execution, "run_notebook", lambda *a, **k: pytest.fail("ran a cached notebook")
    )
    index = site.build_site([first, second], tmp_path / "student", jobs=1, cache_dir=cache)
    built = sorted(
        p.relative_to(tmp_path / "student").as_posix()
        for p in (tmp_path / "student").glob("**/*.html")
        if p.parts[-2] in ("student", "slides")
    )
    assert built == [
        "07_example.html",
        "08_next.html",
        "index.html",
        "slides/07_example.slides.html",
        "slides/08_next.slides.html",
    ], built
    for path in (tmp_path / "student").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert ".guide.html" not in text and "teacher's guide" not in text.replace("&#39;", "'"), (
            path.name
        )
        for secret in (
            "secret-function-answer",
            "secret-variable-answer",
            "secret-markdown-answer",
            "SOLUTION",
            "guide-intro-marker",
            "guide-demo-marker",
            "edition: solutions",
        ):
            assert secret not in text, (path.name, secret)
    deck = (tmp_path / "student" / "slides" / "07_example.slides.html").read_text(encoding="utf-8")
    assert "YOUR CODE HERE" in deck and "3.142" in deck and '<aside class="notes">' not in deck
    assert "✅ double(21) is correct" not in deck, "what the solution printed is not shown"


def test_links_between_notebooks_point_at_pages():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "[next](02_linear_regression.ipynb) · [there](03_mlp.ipynb#1-neurons) · [web](https://x.org/a.ipynb)"
            )
        ]
    )
    assert web.for_the_web(nb).cells[0].source == (
        "[next](02_linear_regression.html) · [there](03_mlp.html#1-neurons) · [web](https://x.org/a.ipynb)"
    )
    assert "02_linear_regression.ipynb" in nb.cells[0].source, "the original is not modified"


def test_summary_reads_title_and_goals():
    assert site.notebook_summary(course_notebook()) == (
        "07 · Example",
        ["add numbers", "double them"],
    )
