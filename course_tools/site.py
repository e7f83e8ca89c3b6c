"""The rendered course: run every notebook, render it to HTML, add an index page.

Each notebook has a page (``NN_name.html``) and a deck (``slides/NN_name.slides.html``). Run
``course html`` (or ``make html``), then open ``build/html/index.html``: the students' edition,
built from the student versions (``course_tools.editions``: no solutions, no teacher's guide), safe
to publish or copy to a USB stick for the class. ``course html --teacher`` (``make teacher-html``)
writes the teacher's edition into ``build/teacher/html/``: solutions, the speaker notes and, where
``guide/NN_name.md`` exists, the teacher's guide (``NN_name.guide.html``; ``course_tools.guide``).
Either works from its folder, offline, copied anywhere (formulas use a local copy of MathJax when
the ``jupyter-server-mathjax`` package is installed, which the ``teach`` extra provides; the decks
in ``slides/`` take reveal.js from beside them too, see ``course_tools.slides``). Pages and decks
load nothing from a CDN. The index lists every notebook with its title and learning goals (formulas
typeset), and its opening sentence names the notebooks the course has, read from the notebooks.

Built with nbconvert and a generated index rather than Jupyter Book: the course is one flat
list of notebooks, so a table of contents, a theme and a Sphinx or Node tool chain add build time
and dependencies without adding anything a reader needs. Executed notebooks are cached in
``build/executed/`` (``course_tools.execution``), so a second build (and ``make slides``) reuses
them and only re-runs what changed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from course_tools.editions import (
    TEACHER_LABEL,
    Edited,
    check_student_edition,
    edition_notebooks,
    output_dir,
)
from course_tools.guide import Guide
from course_tools.notebook_tools import build_dir, colab_url, course_notebooks
from course_tools.slides import render_deck
from course_tools.web import (
    MATHJAX_BLOCK,
    copy_mathjax,
    exporter_with_template,
    for_the_web,
    mathjax_scripts,
)

__all__ = [
    "PAGE_TEMPLATE",
    "build_site",
    "index_page",
    "notebook_summary",
    "render_guide_page",
    "render_page",
]

# nbconvert's page template without what it loads from CDNs (RequireJS, the widget manager: the
# pages have no kernel, so a widget cannot work there anyway).
PAGE_TEMPLATE = (
    """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""
    + MATHJAX_BLOCK
)
_GOALS = re.compile(r"\*\*Learning goals\*\*\s*\n((?:\s*[-*] .*\n?)+)", re.IGNORECASE)


def render_page(
    nb: nbformat.NotebookNode,
    target: Path,
    mathjax_url: str | None,
    links: list[tuple[str, str]] | None = None,
    label: str | None = None,
) -> Path:
    """Render one executed notebook to a stand-alone HTML page (images embedded).

    ``links`` (address, text) go into the bar at the top, after the link to the course index, and
    ``label`` (the teacher's edition says so) after them.

    Example:
        >>> render_page(nb, Path("build/html/00_start_here.html"), None)  # doctest: +SKIP
    """
    from nbconvert import HTMLExporter

    exporter = exporter_with_template(
        HTMLExporter, PAGE_TEMPLATE, exclude_input_prompt=True, exclude_output_prompt=True
    )
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    body, _ = exporter.from_notebook_node(
        for_the_web(nb), resources={"metadata": {"name": target.stem}}
    )
    nav = [
        f'<a href="{html.escape(href)}">{html.escape(text)}</a>'
        for href, text in [("index.html", "← Course index"), *(links or [])]
    ]
    if label:
        nav.append(f'<strong style="color:#a33">{html.escape(label)}</strong>')
    bar = f'<nav style="padding:0.5em 1em">{" · ".join(nav)}</nav>'
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, body, count=1)
    target.write_text(body, encoding="utf-8")
    return target


def render_guide_page(
    guide: Guide,
    target: Path,
    mathjax_url: str | None,
    notebook_page: str,
    deck: str | None = None,
    label: str | None = None,
) -> Path:
    """Render a teacher's guide (``course_tools.guide``) as a page beside its notebook's page.

    Example:
        >>> render_guide_page(read_guide("notebooks/03_mlp.ipynb"), Path("build/html/03_mlp.guide.html"),
        ...                   None, "03_mlp.html")  # doctest: +SKIP
    """
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(guide.text)])
    links = [(notebook_page, "the notebook")] + (
        [(deck, "its slides (press S for these notes)")] if deck else []
    )
    return render_page(page, target, mathjax_url, links, label)


def notebook_summary(nb: nbformat.NotebookNode) -> tuple[str, list[str]]:
    """The title (``00 · Start here``) and the learning goals of a notebook's first cell.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        ...     "# 09 · X\\n\\n**Learning goals**\\n- one\\n- two\\n")])
        >>> notebook_summary(nb)
        ('09 · X', ['one', 'two'])
    """
    first = nb.cells[0].source if nb.cells and nb.cells[0].cell_type == "markdown" else ""
    title = first.splitlines()[0].lstrip("# ").strip() if first else "untitled"
    match = _GOALS.search(first)
    goals = (
        [line.strip()[2:].strip() for line in match.group(1).splitlines() if line.strip()]
        if match
        else []
    )
    return title, goals


def index_page(
    edited: list[Edited], slides: bool, mathjax_url: str | None = None, teacher: bool = False
) -> str:
    """The index page: an opening sentence naming the notebooks (from their titles), then one table
    row per notebook with its learning goals (formulas typeset with MathJax from ``mathjax_url``)
    and links (the teacher's edition: the teacher's guide too).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        ...     "# 09 · Transformers\\n\\n**Learning goals**\\n- use $\\\\sqrt{d}$\\n")])
        >>> page = index_page([Edited(Path("notebooks/09_transformers.ipynb"), nb)], slides=True)
        >>> "1 notebook, one lab session each: 09 · Transformers." in page, "$\\\\sqrt{d}$" in page
        (True, True)
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    body, titles = [], []
    for e in edited:
        path, (title, goals) = e.path, notebook_summary(e.nb)
        titles.append(title)
        goals_html = markdown2html_mistune("\n".join(f"- {g}" for g in goals)) if goals else ""
        links = [f'<a href="{path.stem}.html">read</a>']
        if slides:
            links.append(f'<a href="slides/{path.stem}.slides.html">slides</a>')
        if e.guide is not None:
            links.append(f'<a href="{path.stem}.guide.html">teacher\'s guide</a>')
        links.append(f'<a href="{html.escape(colab_url(path.name))}">open in Colab</a>')
        body.append(
            f'<tr><td><a href="{path.stem}.html">{html.escape(title)}</a></td>'
            f"<td>{goals_html}</td><td>{' · '.join(links)}</td></tr>"
        )
    count = f"{len(edited)} notebook{'' if len(edited) == 1 else 's'}"
    edition = (
        f'</p>\n<p class="edition"><strong>{html.escape(TEACHER_LABEL)}.</strong> Give students the site '
        "<code>make html</code> builds instead."
        if teacher
        else " The exercises are left for you to solve."
    )
    name = "Open PyTorch course" + (" · teacher's edition" if teacher else "")
    return (
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.5em; vertical-align: top; text-align: left; }}
td ul {{ margin: 0; padding-left: 1.2em; }} .edition {{ color: #a33; }}
</style>
{mathjax_scripts(mathjax_url) if mathjax_url else ""}
</head>
<body>
<h1>{html.escape(name)}</h1>
<p class="course">{count}, one lab session each: {html.escape(", ".join(titles))}.</p>
<p>Each notebook below was run from top to bottom to make this page; open it on Colab (or with
<code>make lab</code>) to run it yourself.{edition}</p>
<table><thead><tr><th>notebook</th><th>learning goals</th><th>links</th></tr></thead>
<tbody>
"""
        + "\n".join(body)
        + "\n</tbody></table>\n</body></html>\n"
    )


def build_site(
    paths: list[Path] | None = None,
    out_dir: str | Path | None = None,
    jobs: int = 2,
    cache_dir: str | Path | None = None,
    slides: bool = True,
    teacher: bool = False,
) -> Path:
    """Run the notebooks (cached) and write the site (pages, decks, index) into ``out_dir``: the
    students' edition, or with ``teacher`` the teacher's (``course_tools.editions``); the index path.

    ``out_dir`` defaults to ``build/html`` (``build/teacher/html``) and ``cache_dir`` to
    ``build/executed`` in the checkout. A students' site that would show a solution or a guide is
    deleted and ``StudentEditionLeak`` raised.

    Example:
        >>> build_site()  # doctest: +SKIP
        PosixPath('.../build/html/index.html')
    """
    paths = paths or course_notebooks()
    out_dir = Path(out_dir or output_dir("html", teacher))
    out_dir.mkdir(parents=True, exist_ok=True)
    mathjax_url = copy_mathjax(out_dir)
    label = TEACHER_LABEL if teacher else None
    edited = edition_notebooks(paths, jobs, cache_dir or build_dir("executed"), teacher)
    written = []
    for e in edited:
        stem = e.path.stem
        deck = f"slides/{stem}.slides.html" if slides else None
        guide_page = f"{stem}.guide.html" if e.guide is not None else None
        written.append(
            render_page(
                e.nb,
                out_dir / f"{stem}.html",
                mathjax_url,
                [(guide_page, "teacher's guide")] if guide_page else None,
                label,
            )
        )
        if guide_page:
            written.append(
                render_guide_page(
                    e.guide, out_dir / guide_page, mathjax_url, f"{stem}.html", deck, label
                )
            )
        if deck:
            written.append(
                render_deck(e.nb, out_dir / deck, assets_dir=out_dir, guide=e.guide, label=label)
            )
    index = out_dir / "index.html"
    index.write_text(index_page(edited, slides, mathjax_url, teacher), encoding="utf-8")
    if not teacher:
        check_student_edition(out_dir, written + [index], edited)
    return index
