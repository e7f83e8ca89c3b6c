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

The teacher's guide (``guide/NN_name.md``, ``course_tools.guide``) is added to each deck as speaker
notes: press S in a deck for the speaker view (reveal.js's notes plugin, shipped beside the deck).

``course slide-tags [NB...]`` (``make slide-tags``) stores the rule's metadata in the notebooks (the
JupyterLab slideshow extension, ``jupyterlab-rise`` in the ``lab`` extra, presents the live
notebook from it); ``tests/test_slides.py`` checks every notebook carries it.
``course slides`` (``make slides``) runs the notebooks (cached, see
``course_tools.execution``) and writes ``build/slides/NN_name.slides.html``.

Decks work offline, from any folder (a USB stick): reveal.js and MathJax are copied beside them
(``reveal.js/``, ``mathjax/``) and loaded by relative links; nothing comes from a CDN. reveal.js
comes from the ``sphinx-revealjs`` package (the teach extra; its wheel ships reveal.js's built
files, MIT licence) and is checked against the SHA-256 below before a deck uses it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import nbformat

from course_tools.guide import Guide, with_speaker_notes
from course_tools.web import (MATHJAX_BLOCK, MATHJAX_CONFIG, copy_mathjax, exporter_with_template,
                              for_the_web)

__all__ = [
    "OfflineAssetError", "apply_slide_metadata", "copy_deck_assets", "mismatches", "render_deck",
    "slide_type",
]

KEPT = {"notes"}
_FIRST_HEADING = re.compile(r"^\s*(#{1,6})\s")

# reveal.js 5.2.0 as sphinx-revealjs 3.2.1 ships it (pinned in constraints.txt): the SHA-256 of the
# files a deck loads. Another copy (a new sphinx-revealjs) stops the build until someone checked it.
REVEAL_DIR = "reveal.js"
REVEAL_FILES = {
    "LICENSE": "34014800f4126ac2525e224166f099f26628612e95c41f76d70841b63138c989",
    "dist/reveal.js": "46538b52db48724192f59bf46f5e851a18e302777c46f4a34c32709d010d6a29",
    "dist/reveal.css": "68f915a11ebf7203c0446576b7e952ff61c5dd02134a8a226ffaf62ed42136d2",
    "dist/theme/white.css": "97f64970ffd6c745ffab96ad26c504950f665e18fa851ac8864fc1851ce99780",
    "dist/theme/fonts/source-sans-pro/source-sans-pro.css":
        "5292b4fb38f4e609bf20cd98b3e5c039dbd7271d1c9174302305fbaaf42035cc",
    "plugin/notes/notes.js": "df1201d19d03241a2897d39c3d38768177df1cbd4bde06327b321cb83461ae89",
}
REVEAL_FONTS = "dist/theme/fonts/source-sans-pro"  # the white theme's font files, beside its CSS
# nbconvert's reveal template without what it loads from CDNs (jQuery, RequireJS, Mermaid, the
# widget manager): reveal.js and its speaker-notes plugin from the folder beside the deck.
DECK_TEMPLATE = """{%- extends 'reveal/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
""" + MATHJAX_BLOCK + """
{% block footer_js %}
<script src="{{ reveal_url_prefix }}/dist/reveal.js"></script>
<script src="{{ reveal_url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
    controls: true, progress: true, history: true,
    transition: "{{ reveal_transition }}", slideNumber: "{{ reveal_number }}",
    width: {{ reveal_width }}, height: {{ reveal_height }}, plugins: [RevealNotes],
});
// A slide taller than the screen scrolls (nbconvert's reveal_scroll, without jQuery).
function scrollTallSlides() {
    if (!{{ reveal_scroll }}) return;
    var limit = document.querySelector('.reveal').offsetHeight * 0.95;
    document.querySelectorAll('section.present section').forEach(function (section) {
        if (section.offsetHeight > limit) {
            section.style.height = 'calc(95vh)';
            section.style.overflowY = 'scroll';
            section.style.marginTop = '20px';
        }
    });
}
Reveal.on('ready', scrollTallSlides);
Reveal.on('slidechanged', function (event) {
    if (window.MathJax && MathJax.Hub) MathJax.Hub.Queue(['Rerender', MathJax.Hub, event.currentSlide]);
    scrollTallSlides();
});
</script>
{% endblock footer_js %}
"""


class OfflineAssetError(RuntimeError):
    """A file an offline deck needs is not installed, or is not the copy the course checked."""


def copy_deck_assets(out_dir: str | Path) -> Path:
    """Copy reveal.js (checked) and MathJax into ``out_dir``, where decks load them from; ``out_dir``.

    Example:
        >>> copy_deck_assets("build/slides")  # doctest: +SKIP
        PosixPath('build/slides')
    """
    try:
        import sphinx_revealjs
    except ImportError:
        raise OfflineAssetError("the decks take reveal.js from the sphinx-revealjs package, which is not installed: "
                                "run `make setup` (or pip install -c constraints.txt -e '.[teach]')") from None
    source, target = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs", Path(out_dir) / REVEAL_DIR
    for name, digest in REVEAL_FILES.items():
        if hashlib.sha256((source / name).read_bytes()).hexdigest() != digest:
            raise OfflineAssetError(f"{source / name} is not the reveal.js file the course checked (its SHA-256 "
                                    "differs; a new sphinx-revealjs?): look at the new reveal.js, then update "
                                    "REVEAL_FILES in course_tools/slides.py")
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
    shutil.copytree(source / REVEAL_FONTS, target / REVEAL_FONTS, dirs_exist_ok=True)
    if copy_mathjax(Path(out_dir)) is None:
        raise OfflineAssetError("the decks take MathJax from the jupyter-server-mathjax package, which is not "
                                "installed: run `make setup` (or pip install -c constraints.txt -e '.[teach]')")
    return Path(out_dir)


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


def render_deck(nb: nbformat.NotebookNode, target: str | Path, assets_dir: str | Path | None = None,
                guide: Guide | None = None) -> Path:
    """Render ``nb`` (executed, for its outputs) as a reveal.js deck at ``target``.

    The deck loads reveal.js and MathJax from ``assets_dir`` (default: the deck's folder) by
    relative links; they are copied there first if they are not. The rule is applied to a copy
    first, so a deck is right even before ``tag`` was run. A teacher's ``guide``
    (``course_tools.guide``) becomes the speaker notes: press S in the deck for the speaker view.

    Example:
        >>> render_deck(nb, "build/slides/00_start_here.slides.html")  # doctest: +SKIP
    """
    from nbconvert import SlidesExporter

    target = Path(target)
    assets = Path(assets_dir) if assets_dir is not None else target.parent
    if not all((assets / REVEAL_DIR / name).is_file() for name in REVEAL_FILES):
        copy_deck_assets(assets)
    prefix = Path(os.path.relpath(assets, target.parent)).as_posix()
    nb = for_the_web(nb)
    apply_slide_metadata(nb)
    if guide is not None:
        nb = for_the_web(with_speaker_notes(nb, guide))
    exporter = exporter_with_template(
        SlidesExporter, DECK_TEMPLATE, reveal_scroll=True, reveal_theme="white",
        reveal_url_prefix=f"{prefix}/{REVEAL_DIR}", mathjax_url=f"{prefix}/mathjax/{MATHJAX_CONFIG}",
        exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target

