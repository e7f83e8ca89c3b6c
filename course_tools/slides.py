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

In a deck (not in the stored metadata), a markdown cell with a heading below its first line is
split there, so that the heading starts its own slide as the rule says.

``course slide-tags [NB...]`` (``make slide-tags``) stores the rule's metadata in the notebooks (the
JupyterLab slideshow extension, ``jupyterlab-rise`` in the ``lab`` extra, presents the live
notebook from it); ``tests/course_tools/test_slides.py`` checks every notebook carries it.
``course slides`` (``make slides``) runs the notebooks (cached, see ``course_tools.execution``) and
writes the students' decks, ``build/slides/NN_name.slides.html``: the student versions, without
solutions or notes (``course_tools.editions``). ``course slides --teacher`` (``make teacher-slides``)
writes the teacher's, ``build/teacher/slides/``, with the solutions and the teacher's guide
(``guide/NN_name.md``, ``course_tools.guide``) as speaker notes: press S in a deck for the speaker
view (reveal.js's notes plugin, shipped beside the deck).

Slides fit the deck's 960 x 700 pixels: code is set small enough for about 100 characters a line,
and longer lines and printed output wrap; a picture takes at most three quarters of the height, a
formula or a table wider than the slide is zoomed out to its width, a slide taller than the deck
is zoomed out to fit (to 60 % at the least) and what is still taller scrolls
(``tests/e2e/test_slides_offline.py`` measures every slide in Chromium).

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

from course_tools.editions import TEACHER_LABEL, check_student_edition, edition_notebooks
from course_tools.guide import Guide, with_speaker_notes
from course_tools.web import (
    MATHJAX_BLOCK,
    MATHJAX_CONFIG,
    copy_mathjax,
    exporter_with_template,
    for_the_web,
)

__all__ = [
    "OfflineAssetError",
    "apply_slide_metadata",
    "build_decks",
    "copy_deck_assets",
    "mismatches",
    "render_deck",
    "slide_type",
    "split_at_headings",
]

KEPT = {"notes"}
_FIRST_HEADING = re.compile(r"^\s*(#{1,6})\s")
_FENCE = re.compile(r"^\s*(```|~~~)")

# reveal.js 5.2.0 as sphinx-revealjs 3.2.1 ships it (pinned in constraints.txt): the SHA-256 of the
# files a deck loads. Another copy (a new sphinx-revealjs) stops the build until someone checked it.
REVEAL_DIR = "reveal.js"
REVEAL_FILES = {
    "LICENSE": "34014800f4126ac2525e224166f099f26628612e95c41f76d70841b63138c989",
    "dist/reveal.js": "46538b52db48724192f59bf46f5e851a18e302777c46f4a34c32709d010d6a29",
    "dist/reveal.css": "68f915a11ebf7203c0446576b7e952ff61c5dd02134a8a226ffaf62ed42136d2",
    "dist/theme/white.css": "97f64970ffd6c745ffab96ad26c504950f665e18fa851ac8864fc1851ce99780",
    "dist/theme/fonts/source-sans-pro/source-sans-pro.css": "5292b4fb38f4e609bf20cd98b3e5c039dbd7271d1c9174302305fbaaf42035cc",
    "plugin/notes/notes.js": "df1201d19d03241a2897d39c3d38768177df1cbd4bde06327b321cb83461ae89",
}
REVEAL_FONTS = "dist/theme/fonts/source-sans-pro"  # the white theme's font files, beside its CSS
# nbconvert's reveal template without what it loads from CDNs (jQuery, RequireJS, Mermaid, the
# widget manager): reveal.js and its speaker-notes plugin from the folder beside the deck.
DECK_TEMPLATE = (
    """{%- extends 'reveal/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""
    + MATHJAX_BLOCK
    + """
{%- block html_head_css -%}
<style type="text/css">
/* Slides that fit (tests/e2e/test_slides_offline.py measures every slide). Code at a size that
   holds about 100 characters across the slide; longer lines, and printed output, wrap instead of
   running off the right edge; a picture never takes more than three quarters of the slide. */
:root { --jp-code-font-size: 15px; }
.reveal .jp-InputArea-editor pre, .reveal .jp-OutputArea-output pre {
    white-space: pre-wrap; overflow-wrap: anywhere; overflow-x: hidden; box-sizing: border-box; max-width: 100%;
}
.reveal .jp-OutputArea-output img { max-width: 100%; max-height: {{ (reveal_height | int) * 3 // 4 }}px;
    width: auto; height: auto; }
.reveal .jp-RenderedHTMLCommon table { max-width: 100%; }
.reveal .jp-RenderedHTMLCommon td, .reveal .jp-RenderedHTMLCommon th { overflow-wrap: anywhere; }
.reveal .MathJax_Display { overflow: hidden; }
.course-edition { position: fixed; top: 0.4em; left: 0.6em; z-index: 40; font: 13px sans-serif; color: #a33; }
</style>
{%- endblock html_head_css -%}
{% block body_footer %}
</div>
</div>
</main>
{%- if resources.edition_label %}
<div class="course-edition">{{ resources.edition_label | e }}</div>
{%- endif %}
</body>
{% endblock body_footer %}
{% block footer_js %}
<script src="{{ reveal_url_prefix }}/dist/reveal.js"></script>
<script src="{{ reveal_url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
    controls: true, progress: true, history: true,
    transition: "{{ reveal_transition }}", slideNumber: "{{ reveal_number }}",
    width: {{ reveal_width }}, height: {{ reveal_height }}, plugins: [RevealNotes],
});
// A slide taller than the deck is zoomed out to fit, down to MIN_ZOOM (its lines keep their
// length: the same layout, smaller and centred); what is still taller scrolls.
var MIN_ZOOM = 0.6;
function fitSlide(slide) {
    if (!slide || slide.classList.contains('stack')) return;
    var width = Reveal.getConfig().width, height = Reveal.getConfig().height;
    ['zoom', 'width', 'height', 'marginLeft', 'overflowY'].forEach(function (key) { slide.style[key] = ''; });
    slide.querySelectorAll('.MathJax_Display, .jp-RenderedHTMLCommon table').forEach(function (wide) {
        wide.style.zoom = '';  // a formula or a table wider than the slide is zoomed out to its width
        var room = wide.parentElement.clientWidth;
        if (wide.scrollWidth > room) wide.style.zoom = room / wide.scrollWidth;
    });
    if (slide.scrollHeight > height) {
        slide.style.width = width + 'px';
        var zoom = 1;
        for (var tries = 0; tries < 3 && slide.scrollHeight * zoom > height && zoom > MIN_ZOOM; tries++) {
            zoom = Math.max(MIN_ZOOM, zoom * height / (slide.scrollHeight * zoom + 2));  // text renders a
            slide.style.zoom = zoom;                                                // little taller zoomed
            slide.style.marginLeft = (width * (1 - zoom) / 2 / zoom) + 'px';
        }
        if (slide.scrollHeight * zoom > height) {
            slide.style.height = (height / zoom) + 'px';
            slide.style.overflowY = 'auto';
        }
    }
    Reveal.layout();
}
Reveal.on('ready', function (event) { fitSlide(event.currentSlide); });
Reveal.on('slidechanged', function (event) {
    if (window.MathJax && MathJax.Hub) {
        MathJax.Hub.Queue(['Rerender', MathJax.Hub, event.currentSlide], [fitSlide, event.currentSlide]);
    } else {
        fitSlide(event.currentSlide);
    }
});
</script>
{% endblock footer_js %}
"""
)


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
        raise OfflineAssetError(
            "the decks take reveal.js from the sphinx-revealjs package, which is not installed: "
            "run `make setup` (or pip install -c constraints.txt -e '.[teach]')"
        ) from None
    source, target = (
        Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs",
        Path(out_dir) / REVEAL_DIR,
    )
    for name, digest in REVEAL_FILES.items():
        if hashlib.sha256((source / name).read_bytes()).hexdigest() != digest:
            raise OfflineAssetError(
                f"{source / name} is not the reveal.js file the course checked (its SHA-256 "
                "differs; a new sphinx-revealjs?): look at the new reveal.js, then update "
                "REVEAL_FILES in course_tools/slides.py"
            )
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
    shutil.copytree(source / REVEAL_FONTS, target / REVEAL_FONTS, dirs_exist_ok=True)
    if copy_mathjax(Path(out_dir)) is None:
        raise OfflineAssetError(
            "the decks take MathJax from the jupyter-server-mathjax package, which is not "
            "installed: run `make setup` (or pip install -c constraints.txt -e '.[teach]')"
        )
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


def split_at_headings(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with each markdown cell cut before every heading below its first line (outside code fences).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Text.\\n\\n## 2. Next\\nMore.")])
        >>> [c.source for c in split_at_headings(nb).cells]
        ['Text.\\n', '## 2. Next\\nMore.']
    """
    cells = []
    for cell in nb.cells:
        parts, fenced = [[]], False
        notes = cell.metadata.get("slideshow", {}).get("slide_type") in KEPT
        for line in (
            cell.source.splitlines(keepends=True)
            if cell.cell_type == "markdown" and not notes
            else []
        ):
            fenced ^= bool(_FENCE.match(line))
            if (
                not fenced
                and _FIRST_HEADING.match(line)
                and any(part.strip() for part in parts[-1])
            ):
                parts.append([])
            parts[-1].append(line)
        if len(parts) == 1:
            cells.append(cell)
            continue
        for k, part in enumerate(parts):
            piece = nbformat.v4.new_markdown_cell(
                "".join(part).strip("\n") + ("\n" if k < len(parts) - 1 else "")
            )
            piece.id = cell.get("id", "cell") if k == 0 else f"{cell.get('id', 'cell')}-{k}"
            cells.append(piece)
    nb.cells = cells
    return nb


def render_deck(
    nb: nbformat.NotebookNode,
    target: str | Path,
    assets_dir: str | Path | None = None,
    guide: Guide | None = None,
    label: str | None = None,
) -> Path:
    """Render ``nb`` (executed, for its outputs) as a reveal.js deck at ``target``.

    The deck loads reveal.js and MathJax from ``assets_dir`` (default: the deck's folder) by
    relative links; they are copied there first if they are not. The rule is applied to a copy
    first, so a deck is right even before ``tag`` was run. A teacher's ``guide``
    (``course_tools.guide``) becomes the speaker notes: press S in the deck for the speaker view.
    ``label`` is shown in a corner of every slide (the teacher's edition says so).

    Example:
        >>> render_deck(nb, "build/slides/00_start_here.slides.html")  # doctest: +SKIP
    """
    from nbconvert import SlidesExporter

    target = Path(target)
    assets = Path(assets_dir) if assets_dir is not None else target.parent
    if not all((assets / REVEAL_DIR / name).is_file() for name in REVEAL_FILES):
        copy_deck_assets(assets)
    prefix = Path(os.path.relpath(assets, target.parent)).as_posix()
    nb = split_at_headings(for_the_web(nb))
    apply_slide_metadata(nb)
    if guide is not None:
        nb = for_the_web(with_speaker_notes(nb, guide))
    exporter = exporter_with_template(
        SlidesExporter,
        DECK_TEMPLATE,
        reveal_theme="white",
        reveal_url_prefix=f"{prefix}/{REVEAL_DIR}",
        mathjax_url=f"{prefix}/mathjax/{MATHJAX_CONFIG}",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"edition_label": label})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


def build_decks(
    paths: list[Path], out_dir: str | Path, jobs: int, cache_dir: str | Path, teacher: bool = False
) -> list[Path]:
    """Run the notebooks (cached) and write one deck each into ``out_dir``: the students' edition, or
    with ``teacher`` the teacher's (solutions, the guide as speaker notes); the decks' paths.

    A students' deck that would show a solution or the guide is deleted and ``StudentEditionLeak`` raised.

    Example:
        >>> build_decks(course_notebooks(), build_dir("slides"), 2, build_dir("executed"))  # doctest: +SKIP
        [PosixPath('.../build/slides/00_start_here.slides.html'), ...]
    """
    edited = edition_notebooks(paths, jobs, cache_dir, teacher)
    decks = [
        render_deck(
            e.nb,
            Path(out_dir) / f"{e.path.stem}.slides.html",
            guide=e.guide,
            label=TEACHER_LABEL if teacher else None,
        )
        for e in edited
    ]
    if not teacher:
        check_student_edition(Path(out_dir), decks, edited)
    return decks
