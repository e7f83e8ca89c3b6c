"""The rendered course: run every notebook, render it to HTML, add an index page.

Each notebook has a page (``NN_name.html``), a deck (``slides/NN_name.slides.html``) and, where
``guide/NN_name.md`` exists, its teacher's guide (``NN_name.guide.html``, also the deck's speaker
notes; ``course_tools.guide``). Run ``course html`` (or ``make html``), then open ``build/html/index.html``:
the site works from the folder, offline, copied anywhere (formulas use a local copy of MathJax when
the ``jupyter-server-mathjax`` package is installed, which the ``teach`` extra provides; the decks
in ``slides/`` take reveal.js from beside them too, see ``course_tools.slides``). Pages and decks
load nothing from a CDN.

Built with nbconvert and a generated index rather than Jupyter Book: the course is one flat
list of notebooks, so a table of contents, a theme and a Sphinx or Node tool chain add build time
and dependencies without adding anything a reader needs. Executed notebooks are cached in
``build/executed/`` keyed on the notebook and ``course_utils`` sources (``course_tools.execution``),
so a second build (and ``make slides``) reuses them and only re-runs what changed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from course_tools.execution import execute_all
from course_tools.guide import Guide, guide_path, read_guide
from course_tools.notebook_tools import build_dir, colab_url, course_notebooks
from course_tools.slides import render_deck
from course_tools.web import MATHJAX_BLOCK, copy_mathjax, exporter_with_template, for_the_web

__all__ = ["PAGE_TEMPLATE", "build_site", "index_page", "notebook_summary", "render_guide_page", "render_page"]

# nbconvert's page template without what it loads from CDNs (RequireJS, the widget manager: the
# pages have no kernel, so a widget cannot work there anyway).
PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
""" + MATHJAX_BLOCK
_GOALS = re.compile(r"\*\*Learning goals\*\*\s*\n((?:\s*[-*] .*\n?)+)", re.IGNORECASE)


def render_page(nb: nbformat.NotebookNode, target: Path, mathjax_url: str | None,
                links: list[tuple[str, str]] | None = None) -> Path:
    """Render one executed notebook to a stand-alone HTML page (images embedded).

    ``links`` (address, text) go into the bar at the top, after the link to the course index.

    Example:
        >>> render_page(nb, Path("build/html/00_start_here.html"), None)  # doctest: +SKIP
    """
    from nbconvert import HTMLExporter

    exporter = exporter_with_template(HTMLExporter, PAGE_TEMPLATE, exclude_input_prompt=True,
                                      exclude_output_prompt=True)
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    body, _ = exporter.from_notebook_node(for_the_web(nb), resources={"metadata": {"name": target.stem}})
    nav = " · ".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a>'
                     for href, text in [("index.html", "← Course index"), *(links or [])])
    nav = f'<nav style="padding:0.5em 1em">{nav}</nav>'
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav, body, count=1)
    target.write_text(body, encoding="utf-8")
    return target


def render_guide_page(guide: Guide, target: Path, mathjax_url: str | None, notebook_page: str,
                      deck: str | None = None) -> Path:
    """Render a teacher's guide (``course_tools.guide``) as a page beside its notebook's page.

    Example:
        >>> render_guide_page(read_guide("notebooks/03_mlp.ipynb"), Path("build/html/03_mlp.guide.html"),
        ...                   None, "03_mlp.html")  # doctest: +SKIP
    """
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(guide.text)])
    links = [(notebook_page, "the notebook")] + ([(deck, "its slides (press S for these notes)")] if deck else [])
    return render_page(page, target, mathjax_url, links)


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
    goals = [line.strip()[2:].strip() for line in match.group(1).splitlines() if line.strip()] if match else []
    return title, goals


def index_page(rows: list[tuple[Path, nbformat.NotebookNode]], slides: bool) -> str:
    """The index page: one table row per notebook, with its goals and links (the teacher's guide
    where the notebook has one).

    Example:
        >>> "<table>" in index_page([], slides=False)
        True
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    body = []
    for path, nb in rows:
        title, goals = notebook_summary(nb)
        goals_html = markdown2html_mistune("\n".join(f"- {g}" for g in goals)) if goals else ""
        links = [f'<a href="{path.stem}.html">read</a>']
        if slides:
            links.append(f'<a href="slides/{path.stem}.slides.html">slides</a>')
        if guide_path(path).is_file():
            links.append(f'<a href="{path.stem}.guide.html">teacher\'s guide</a>')
        links.append(f'<a href="{html.escape(colab_url(path.name))}">open in Colab</a>')
        body.append(f'<tr><td><a href="{path.stem}.html">{html.escape(title)}</a></td>'
                    f"<td>{goals_html}</td><td>{' · '.join(links)}</td></tr>")
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Open PyTorch course</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: 0.5em; vertical-align: top; text-align: left; }
td ul { margin: 0; padding-left: 1.2em; }
</style></head>
<body>
<h1>Open PyTorch course</h1>
<p>From tensors to a CNN that tells cats from dogs. Each notebook below was run from top to bottom to
make this page; open it on Colab (or with <code>make lab</code>) to run it yourself.</p>
<table><thead><tr><th>notebook</th><th>learning goals</th><th>links</th></tr></thead>
<tbody>
""" + "\n".join(body) + "\n</tbody></table>\n</body></html>\n"


def build_site(paths: list[Path] | None = None, out_dir: str | Path | None = None, jobs: int = 2,
               cache_dir: str | Path | None = None, slides: bool = True) -> Path:
    """Run the notebooks and write the site (pages, decks, index) into ``out_dir``; the index path.

    ``out_dir`` defaults to ``build/html`` and ``cache_dir`` to ``build/executed`` in the checkout.

    Example:
        >>> build_site()  # doctest: +SKIP
        PosixPath('.../build/html/index.html')
    """
    paths = paths or course_notebooks()
    out_dir = Path(out_dir or build_dir("html"))
    out_dir.mkdir(parents=True, exist_ok=True)
    mathjax_url = copy_mathjax(out_dir)
    rows = []
    for path, done in zip(paths, execute_all(paths, jobs, cache_dir or build_dir("executed"))):
        nb = nbformat.read(done, as_version=4)
        guide = read_guide(path)
        deck = f"slides/{path.stem}.slides.html" if slides else None
        guide_page = f"{path.stem}.guide.html"
        render_page(nb, out_dir / f"{path.stem}.html", mathjax_url,
                    [(guide_page, "teacher's guide")] if guide is not None else None)
        if guide is not None:
            render_guide_page(guide, out_dir / guide_page, mathjax_url, f"{path.stem}.html", deck)
        if slides:
            render_deck(nb, out_dir / deck, assets_dir=out_dir, guide=guide)
        rows.append((path, nb))
    index = out_dir / "index.html"
    index.write_text(index_page(rows, slides), encoding="utf-8")
    return index

