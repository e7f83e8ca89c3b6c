"""Decks and pages load nothing from the internet: every script, style sheet and image is a file beside them.

The browser proof (a deck opened with the network blocked) is tests/e2e/test_slides_offline.py;
these checks are the cheap guard that `make test` runs.
"""

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from notebook_factory import course_guide, course_notebook, write, write_guide

from course_tools import site, slides

# What a browser fetches by itself when it opens a page: scripts, style sheets, images, CSS imports.
_FETCHED = re.compile(
    r"""<(?:script|img|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']|@import\s+url\(["']?([^)"']+)"""
)


def fetched_urls(html: str) -> list[str]:
    return [a or b for a, b in _FETCHED.findall(html) if not (a or b).startswith("data:")]


def assert_offline(page: Path) -> None:
    """Every URL the page fetches is relative and names a file that exists."""
    urls = fetched_urls(page.read_text(encoding="utf-8"))
    remote = [url for url in urls if urlsplit(url).scheme or url.startswith("//")]
    assert not remote, f"{page.name} loads from the internet: {remote}"
    missing = [url for url in urls if not (page.parent / unquote(urlsplit(url).path)).is_file()]
    assert not missing, f"{page.name} points at files that are not there: {missing}"


def test_deck_loads_reveal_js_and_mathjax_from_beside_it(tmp_path):
    deck = slides.render_deck(
        course_notebook(), tmp_path / "slides" / "07.slides.html", assets_dir=tmp_path
    )
    urls = fetched_urls(deck.read_text(encoding="utf-8"))
    assert "../reveal.js/dist/reveal.js" in urls and "../reveal.js/plugin/notes/notes.js" in urls
    assert any(url.startswith("../mathjax/MathJax.js?config=") for url in urls)
    assert_offline(deck)
    assert "require(" not in deck.read_text(encoding="utf-8"), "no RequireJS, which came from a CDN"
    theme = tmp_path / "reveal.js" / "dist" / "theme" / "white.css"
    for css in [theme, *theme.parent.glob("fonts/*/*.css")]:  # the theme's fonts are local too
        assert_offline(css)


def test_site_pages_and_decks_load_nothing_from_the_internet(tmp_path):
    first = write(course_notebook("07"), tmp_path / "nb" / "07_example.ipynb")
    write_guide(course_guide("07"), first)
    site.build_site([first], tmp_path / "html", jobs=1, cache_dir=tmp_path / "cache", teacher=True)
    for page in [
        tmp_path / "html" / "07_example.html",
        tmp_path / "html" / "slides" / "07_example.slides.html",
        tmp_path / "html" / "07_example.guide.html",
        tmp_path / "html" / "index.html",
    ]:
        assert_offline(page)


def test_a_changed_reveal_js_stops_the_build(tmp_path, monkeypatch):
    monkeypatch.setitem(slides.REVEAL_FILES, "dist/reveal.js", "0" * 64)
    with pytest.raises(
        slides.OfflineAssetError,
        match=r"dist/reveal\.js is not the reveal\.js file the course checked",
    ):
        slides.copy_deck_assets(tmp_path)


def test_without_the_package_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sphinx_revealjs", None)  # import fails as if not installed
    with pytest.raises(
        slides.OfflineAssetError, match=r"sphinx-revealjs package, which is not installed.*teach"
    ):
        slides.render_deck(course_notebook(), tmp_path / "deck.slides.html")


def test_the_static_check_catches_a_cdn_deck(tmp_path):
    """Negative control for assert_offline: nbconvert's own deck loads reveal.js from a CDN."""
    from nbconvert import SlidesExporter

    body, _ = SlidesExporter().from_notebook_node(course_notebook())
    (tmp_path / "cdn.slides.html").write_text(body, encoding="utf-8")
    with pytest.raises(
        AssertionError, match=r"loads from the internet: .*https://unpkg\.com/reveal\.js"
    ):
        assert_offline(tmp_path / "cdn.slides.html")
