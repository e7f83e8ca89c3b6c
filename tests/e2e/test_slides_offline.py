"""The static decks work in a classroom without Wi-Fi: `make e2e` opens every deck with the network blocked.

The course site (pages, decks, reveal.js and MathJax beside them) is built from the executed
notebooks (`build/executed/`, which `make html` fills; CI runs it first), then moved to another
folder, as a teacher copies `build/html/` to a USB stick. Each deck is opened from there as a
file:// page in which every request that is not a local file is aborted and recorded; the deck
must start reveal.js, show several slides, go to the next slide on the right-arrow key, and draw
its figures and formulas (MathJax typeset, no error, no local file missing). A screenshot of a
slide of each deck goes to build/e2e/slides/. Negative control: nbconvert's own deck, which loads
reveal.js from a CDN, fails the same check.
"""

from __future__ import annotations

import glob
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from course_tools.site import build_site
from course_utils.paths import REPO_ROOT

NOTEBOOKS = sorted(Path(p) for p in glob.glob(os.environ.get("E2E_NOTEBOOKS", "notebooks/*.ipynb"), root_dir=REPO_ROOT))
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
JS_MATHJAX_DONE = "() => Boolean(window.MathJax && MathJax.Hub && MathJax.Hub.queue && !MathJax.Hub.queue.pending && !MathJax.Hub.queue.running)"


@pytest.fixture(scope="session")
def usb_stick(tmp_path_factory) -> Path:
    """The course site built into one folder, then moved to another: decks must not depend on where they were built."""
    built = tmp_path_factory.mktemp("build") / "html"
    build_site([REPO_ROOT / p for p in NOTEBOOKS], out_dir=built, jobs=2)
    stick = tmp_path_factory.mktemp("usb-stick") / "course"
    shutil.move(built, stick)
    return stick


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
    page.on("requestfailed", lambda request: failed.append(request.url)
            if request.url.startswith("file:") else None)
    page.goto(deck.as_uri())
    return page, blocked, failed


def check_deck(page, name: str, blocked: list[str], failed: list[str], ready_timeout_s: float = 30) -> dict:
    """Fail unless the open page is a working reveal.js deck, drawn with local files only; what it holds."""
    try:
        page.wait_for_function(JS_READY, timeout=ready_timeout_s * 1000, polling=200)
    except Exception:
        raise AssertionError(f"{name}: reveal.js did not start, the deck shows as one long page; "
                             f"requests it tried to send to the internet: {blocked}") from None
    page.wait_for_function(JS_MATHJAX_DONE, timeout=60_000, polling=200)
    content = page.evaluate(JS_CONTENT)
    assert not blocked, f"{name}: tried to load from the internet: {blocked}"
    assert not failed, f"{name}: local files missing: {failed}"
    assert content["slides"] >= 3, f"{name}: only {content['slides']} slides"
    before = page.evaluate("() => Reveal.getIndices()")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(before) => Reveal.getIndices().h !== before.h", arg=before, timeout=10_000)
    assert not content["brokenFigures"], f"{name}: figures not drawn: {content['brokenFigures']}"
    assert not content["mathErrors"] and not content["rawTex"], (
        f"{name}: formulas not typeset: {content['mathErrors']} MathJax errors, raw TeX in {content['rawTex']}")
    if content["formulas"]:
        assert content["mathjaxFont"] == "STIX-Web", f"{name}: MathJax font {content['mathjaxFont']!r}, not the local STIX-Web"
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
        if notebook.name.startswith("02_"):  # the linear regression: its loss as a formula, its fit as a plot
            assert content["figures"] and content["formulas"], f"{deck.name}: {content}"
        at = (both or content["formulas"] or content["figures"] or [{"h": 1, "v": 0}])[0]
        show(page, at, SCREENSHOTS / f"{notebook.stem}.png")
    finally:
        page.close()


def test_a_deck_that_needs_a_cdn_is_caught(browser, usb_stick):
    """Negative control: nbconvert's own deck loads reveal.js (and RequireJS) from CDNs, so offline it is no deck."""
    from nbconvert import SlidesExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text) for text in (
        "# 99 · A deck from a CDN", "## A formula\n\n$$y = w x + b$$", "## The end")])
    body, _ = SlidesExporter().from_notebook_node(nb)
    deck = usb_stick / "slides" / "zz_cdn.slides.html"
    deck.write_text(body, encoding="utf-8")
    page, blocked, failed = open_offline(browser, deck)
    try:
        with pytest.raises(AssertionError, match=r"reveal\.js did not start.*https://"):
            check_deck(page, deck.name, blocked, failed, ready_timeout_s=10)
        assert any("reveal.js" in url for url in blocked) or any("require" in url for url in blocked), blocked
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
    deck = render_deck(nbformat.read(path, as_version=4), tmp_path / "slides" / "07_example.slides.html",
                       guide=read_guide(path))
    page, blocked, failed = open_offline(browser, deck)
    try:
        check_deck(page, deck.name, blocked, failed)
        page.evaluate("() => Reveal.slide(0, 0)")
        with browser.expect_page(timeout=15_000) as opened:
            page.keyboard.press("s")
        speaker = opened.value
        notes = "() => (document.querySelector('.speaker-controls-notes') || {innerText: ''}).innerText"
        speaker.wait_for_function(f"() => ({notes})().includes('guide-intro-marker')", timeout=15_000)
        page.keyboard.press("ArrowRight")
        speaker.wait_for_function(f"() => ({notes})().includes('guide-demo-marker')", timeout=15_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        speaker.screenshot(path=str(SCREENSHOTS / "speaker_view.png"))
        speaker.close()
        assert not blocked, blocked
    finally:
        page.close()
