"""The static decks and the site work in a classroom without Wi-Fi, every slide fits, and the students' edition
keeps the solutions: `make e2e` opens them in Chromium with the network blocked.

Both editions of the course site (pages, decks, reveal.js and MathJax beside them) are built from the
executed notebooks (`build/executed/`, which `make html` fills; CI runs it first), then moved to
another folder, as a teacher copies `build/html/` to a USB stick. Each deck is opened from there as a
file:// page in which every request that is not a local file is aborted and recorded; the deck
must start reveal.js, show several slides, go to the next slide on the right-arrow key, and draw
its figures and formulas (MathJax typeset, no error, no local file missing). Every slide of every
deck of both editions is measured at the deck's size (deck_layout.py): none may overflow or be cut
at the right edge (a slide too tall even zoomed out scrolls, and is counted); each title slide shows
its whole first cell (05's prerequisites line included). The index must typeset its formulas (08's
learning goal) and name every notebook. The students' files must hold no solution line and no
sentence of a guide of the real, executed notebooks (course_tools.editions.leaks). A screenshot of a
slide of each deck goes to build/e2e/slides/, the measurements to build/e2e/slides/fit-student.txt and
fit-teacher.txt (this run's only).
Negative control: nbconvert's own deck, which loads reveal.js from a CDN, fails the same check.
"""

from __future__ import annotations

import glob
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from deck_layout import measure_deck, summary

from course_tools import editions
from course_tools.notebook_tools import build_dir
from course_tools.site import build_site
from course_utils.paths import REPO_ROOT

NOTEBOOKS = sorted(
    Path(p)
    for p in glob.glob(os.environ.get("E2E_NOTEBOOKS", "notebooks/*.ipynb"), root_dir=REPO_ROOT)
)
SCREENSHOTS = REPO_ROOT / "build" / "e2e" / "slides"
LOCAL = ("file:", "data:", "about:", "blob:")

JS_READY = "() => Boolean(window.Reveal && Reveal.isReady && Reveal.isReady())"
# Slides (h, v) holding a drawn figure or a typeset formula, and what went wrong with either.
JS_CONTENT = """() => {
    const where = (el) => { const s = el.closest('section'); return Reveal.getIndices(s); };
    const figures = [...document.querySelectorAll('.reveal .slides img')];
    const formulas = [...document.querySelectorAll('.reveal .slides .MathJax, .reveal .slides .MathJax_Display')];
    return {
        slides: Reveal.getTotalSlides(),
        figures: figures.filter(img => img.complete && img.naturalWidth > 0).map(where),
        brokenFigures: figures.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.alt || img.src.slice(0, 60)),
        formulas: formulas.map(where),
        mathErrors: document.querySelectorAll('.MathJax_Error, merror').length,
        rawTex: [...document.querySelectorAll('.reveal .slides .jp-RenderedMarkdown')]
            .map(el => el.innerText).filter(t => /\\$\\$|\\\\\\(|\\\\\\[/.test(t)).map(t => t.slice(0, 80)),
        mathjaxFont: window.MathJax && MathJax.OutputJax && MathJax.OutputJax['HTML-CSS']
            ? MathJax.OutputJax['HTML-CSS'].fontInUse : null,
    };
}"""
JS_MATHJAX_DONE = (
    "() => Boolean(window.MathJax && MathJax.Hub && MathJax.Hub.queue"
    " && !MathJax.Hub.queue.pending && !MathJax.Hub.queue.running)"
)


def _site(tmp_path_factory, teacher: bool) -> Path:
    """The course site built into one folder, then moved to another: decks must not depend on where they were built."""
    built = tmp_path_factory.mktemp("build") / "html"
    build_site([REPO_ROOT / p for p in NOTEBOOKS], out_dir=built, jobs=2, teacher=teacher)
    stick = tmp_path_factory.mktemp("usb-stick") / "course"
    shutil.move(built, stick)
    return stick


@pytest.fixture(scope="session")
def usb_stick(tmp_path_factory) -> Path:
    """The students' site, as a teacher hands it out."""
    return _site(tmp_path_factory, teacher=False)


@pytest.fixture(scope="session")
def teacher_site(tmp_path_factory) -> Path:
    """The teacher's site: solutions, guides and speaker notes."""
    return _site(tmp_path_factory, teacher=True)


def open_offline(browser, deck: Path):
    """A page showing `deck` (file://) in which every non-local request is aborted; (page, blocked, failed)."""
    page, blocked, failed = browser.new_page(), [], []

    def only_local(route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_local)
    # A local file that is missing. (MathJax probes its web font with an about:blank request; harmless.)
    page.on(
        "requestfailed",
        lambda request: failed.append(request.url) if request.url.startswith("file:") else None,
    )
    page.goto(deck.as_uri())
    return page, blocked, failed


def check_deck(
    page, name: str, blocked: list[str], failed: list[str], ready_timeout_s: float = 30
) -> dict:
    """Fail unless the open page is a working reveal.js deck, drawn with local files only; what it holds."""
    try:
        page.wait_for_function(JS_READY, timeout=ready_timeout_s * 1000, polling=200)
    except Exception:
        raise AssertionError(
            f"{name}: reveal.js did not start, the deck shows as one long page; "
            f"requests it tried to send to the internet: {blocked}"
        ) from None
    page.wait_for_function(JS_MATHJAX_DONE, timeout=60_000, polling=200)
    content = page.evaluate(JS_CONTENT)
    assert not blocked, f"{name}: tried to load from the internet: {blocked}"
    assert not failed, f"{name}: local files missing: {failed}"
    assert content["slides"] >= 3, f"{name}: only {content['slides']} slides"
    before = page.evaluate("() => Reveal.getIndices()")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(before) => Reveal.getIndices().h !== before.h", arg=before, timeout=10_000
    )
    assert not content["brokenFigures"], f"{name}: figures not drawn: {content['brokenFigures']}"
    assert not content["mathErrors"] and not content["rawTex"], (
        f"{name}: formulas not typeset: {content['mathErrors']} MathJax errors, raw TeX in {content['rawTex']}"
    )
    if content["formulas"]:
        assert content["mathjaxFont"] == "STIX-Web", (
            f"{name}: MathJax font {content['mathjaxFont']!r}, not the local STIX-Web"
        )
    return content


def show(page, where: dict, shot: Path) -> None:
    """Go to slide `where` (h, v) and take a screenshot of it."""
    page.evaluate("(at) => Reveal.slide(at.h, at.v || 0)", where)
    time.sleep(1)  # reveal.js's slide transition
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_deck_works_offline_from_a_copied_folder(browser, usb_stick, notebook):
    deck = usb_stick / "slides" / f"{notebook.stem}.slides.html"
    page, blocked, failed = open_offline(browser, deck)
    try:
        content = check_deck(page, deck.name, blocked, failed)
        both = [at for at in content["formulas"] if at in content["figures"]]
        if notebook.name.startswith(
            "02_"
        ):  # the linear regression: its loss as a formula, its fit as a plot
            assert content["figures"] and content["formulas"], f"{deck.name}: {content}"
        at = (both or content["formulas"] or content["figures"] or [{"h": 1, "v": 0}])[0]
        show(page, at, SCREENSHOTS / f"{notebook.stem}.png")
    finally:
        page.close()


def test_a_deck_that_needs_a_cdn_is_caught(browser, usb_stick):
    """Negative control: nbconvert's own deck loads reveal.js (and RequireJS) from CDNs, so offline it is no deck."""
    from nbconvert import SlidesExporter

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(text)
            for text in (
                "# 99 · A deck from a CDN",
                "## A formula\n\n$$y = w x + b$$",
                "## The end",
            )
        ]
    )
    body, _ = SlidesExporter().from_notebook_node(nb)
    deck = usb_stick / "slides" / "zz_cdn.slides.html"
    deck.write_text(body, encoding="utf-8")
    page, blocked, failed = open_offline(browser, deck)
    try:
        with pytest.raises(AssertionError, match=r"reveal\.js did not start.*https://"):
            check_deck(page, deck.name, blocked, failed, ready_timeout_s=10)
        assert any("reveal.js" in url for url in blocked) or any(
            "require" in url for url in blocked
        ), blocked
    finally:
        page.close()
        deck.unlink()


def test_s_opens_the_speaker_view_with_the_teachers_guide(browser, tmp_path):
    """The guide's sections are the speaker notes: S opens reveal.js's speaker view (offline), whose notes
    follow the slides (the intro on the title slide, a section on the slide its heading starts)."""
    import sys

    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from notebook_factory import course_guide, course_notebook, write, write_guide

    from course_tools.guide import read_guide
    from course_tools.slides import render_deck

    path = write(course_notebook("07"), tmp_path / "notebooks" / "07_example.ipynb")
    write_guide(course_guide("07"), path)
    deck = render_deck(
        nbformat.read(path, as_version=4),
        tmp_path / "slides" / "07_example.slides.html",
        guide=read_guide(path),
    )
    page, blocked, failed = open_offline(browser, deck)
    try:
        check_deck(page, deck.name, blocked, failed)
        page.evaluate("() => Reveal.slide(0, 0)")
        with browser.expect_page(timeout=15_000) as opened:
            page.keyboard.press("s")
        speaker = opened.value
        notes = (
            "() => (document.querySelector('.speaker-controls-notes') || {innerText: ''}).innerText"
        )
        speaker.wait_for_function(
            f"() => ({notes})().includes('guide-intro-marker')", timeout=15_000
        )
        page.keyboard.press("ArrowRight")
        speaker.wait_for_function(
            f"() => ({notes})().includes('guide-demo-marker')", timeout=15_000
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        speaker.screenshot(path=str(SCREENSHOTS / "speaker_view.png"))
        speaker.close()
        assert not blocked, blocked
    finally:
        page.close()


JS_TITLE_CELL = """() => {
    const box = document.querySelector('.reveal .slides').getBoundingClientRect();
    const cell = document.querySelector('.reveal .slides section .jp-Cell');
    const shown = [...cell.querySelectorAll('p, li, h1')].filter(el => el.getBoundingClientRect().height > 0);
    const last = shown[shown.length - 1], r = last.getBoundingClientRect();
    return {last: last.innerText.slice(0, 80), inside: r.top >= box.top - 1 && r.bottom <= box.bottom + 1};
}"""


@pytest.mark.parametrize("edition", ["student", "teacher"])
def test_every_slide_fits(browser, usb_stick, teacher_site, edition):
    """No slide's content overflows the deck's 960 x 700 pixels or is cut at the right edge; title slides fit whole."""
    site = usb_stick if edition == "student" else teacher_site
    page, report, rows = browser.new_page(), [], []
    try:
        for notebook in NOTEBOOKS:
            deck = site / "slides" / f"{notebook.stem}.slides.html"
            page.goto(deck.as_uri())
            found = measure_deck(page)
            rows += [dict(row, deck=deck.name) for row in found]
            report.append(f"{edition} {deck.name}: {summary(found)}")
            report += [
                f"    {r['h']}.{r['v']} {r['title']!r}: overflow {r['overflow']} px, cut {r['cut']}"
                + (", scrolls" if r["scrolls"] else "")
                for r in found
                if r["overflow"] or r["cut"] or r["scrolls"]
            ]
            page.evaluate("() => Reveal.slide(0, 0)")
            page.wait_for_timeout(300)
            title = page.evaluate(JS_TITLE_CELL)
            assert title["inside"], (
                f"{deck.name}: the title slide loses its last line, {title['last']!r}"
            )
            if notebook.name.startswith("05_"):
                assert title["last"].startswith("Prerequisites"), title
    finally:
        page.close()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"fit-{edition}.txt").write_text(
            "\n".join(report + [f"{edition} all decks: {summary(rows)}"]) + "\n"
        )
    bad = [
        f"{r['deck']} {r['h']}.{r['v']} {r['title']!r}: overflow {r['overflow']} px, cut {r['cut']}"
        for r in rows
        if r["overflow"] or r["cut"]
    ]
    assert not bad, f"{len(bad)} of {len(rows)} slides do not fit:\n  " + "\n  ".join(bad)
    title_slides = [r for r in rows if (r["h"], r["v"]) == (0, 0)]
    assert not any(r["scrolls"] for r in title_slides), [
        r["deck"] for r in title_slides if r["scrolls"]
    ]


def test_the_students_site_shows_no_solution_and_no_guide(usb_stick, teacher_site):
    """The executed notebooks' students' edition, every file: no solution line, no guide sentence (the teacher's: both)."""
    paths = [REPO_ROOT / p for p in NOTEBOOKS]
    edited = editions.edition_notebooks(paths, 2, build_dir("executed"), teacher=False)
    student_files = sorted(usb_stick.glob("*.html")) + sorted((usb_stick / "slides").glob("*.html"))
    assert len(student_files) == 2 * len(paths) + 1 and not list(usb_stick.glob("*.guide.html"))
    assert editions.leaks(student_files, edited) == []
    teacher_files = sorted(teacher_site.glob("*.html")) + sorted(
        (teacher_site / "slides").glob("*.html")
    )
    found = "\n".join(editions.leaks(teacher_files, edited))
    for e in edited:  # negative control
        assert not e.secrets.code or f"{e.path.name}'s solution line" in found, e.path.name
        assert not e.secrets.sentences or f"sentence of {e.path.name}'s guide" in found, e.path.name


JS_INDEX = r"""() => ({
    opening: document.querySelector('p.course').innerText,
    formulas: document.querySelectorAll('.MathJax, .MathJax_Display').length,
    errors: document.querySelectorAll('.MathJax_Error, merror').length,
    rawTex: [...document.querySelectorAll('td')].map(td => td.innerText).filter(t => /\$|\\\(/.test(t)),
})"""


def test_the_index_typesets_its_formulas_and_names_every_notebook(browser, usb_stick):
    page, blocked, failed = open_offline(browser, usb_stick / "index.html")
    try:
        page.wait_for_function(JS_MATHJAX_DONE, timeout=60_000, polling=200)
        shown = page.evaluate(JS_INDEX)
        assert not blocked and not failed, (blocked, failed)
        firsts = [nbformat.read(REPO_ROOT / p, as_version=4).cells[0].source for p in NOTEBOOKS]
        if any("$" in first for first in firsts):  # 08's learning goal
            assert shown["formulas"] and not shown["errors"] and not shown["rawTex"], shown
        for first in firsts:
            title = first.splitlines()[0].lstrip("# ")
            assert title in shown["opening"], (
                f"the opening sentence does not name {title!r}: {shown['opening']}"
            )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)
    finally:
        page.close()
