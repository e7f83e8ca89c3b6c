"""The rendered course: run every notebook, render it to HTML, add an index page.

Run ``course html`` (or ``make html``), then open ``build/html/index.html``:
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
import shutil
from pathlib import Path

import nbformat

from course_tools.execution import execute_all
from course_tools.notebook_tools import build_dir, colab_url, course_notebooks

__all__ = [
    "build_site", "copy_mathjax", "exporter_with_template", "for_the_web", "index_page",
    "notebook_summary", "render_page",
]

MATHJAX_CONFIG = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
# jupyter-server-mathjax ships MathJax 2 with the STIX-Web fonts only, not MathJax's default TeX
# fonts: told so, formulas render offline as formulas, not as plain letters.
MATHJAX_BLOCK = """{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, imageFont: null, webFont: "STIX-Web"}});
</script>
{{ super() }}
{%- endblock html_head_js_mathjax -%}"""
# nbconvert's page template without what it loads from CDNs (RequireJS, the widget manager: the
# pages have no kernel, so a widget cannot work there anyway).
PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
""" + MATHJAX_BLOCK
_LOCAL_LINK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+)\.ipynb(#[^)\s]*)?\)")
_REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(https?://[^)\s]+\)")
_GOALS = re.compile(r"\*\*Learning goals\*\*\s*\n((?:\s*[-*] .*\n?)+)", re.IGNORECASE)


def for_the_web(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy for the pages and decks: links between notebooks (``02_x.ipynb``) point at the pages
    (``02_x.html``), and a picture from the internet (the Colab badge) becomes its text, so that
    nothing is fetched from the internet when a page opens (a link around it stays a link).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        ...     "[next](01_a.ipynb) [![Open In Colab](https://x.org/badge.svg)](https://colab.x/01_a)")])
        >>> for_the_web(nb).cells[0].source
        '[next](01_a.html) [Open In Colab](https://colab.x/01_a)'
    """
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _LOCAL_LINK.sub(lambda m: f"]({m.group(1)}.html{m.group(2) or ''})", cell.source)
            cell.source = _REMOTE_IMAGE.sub(r"\1", cell.source)
    return nb


def copy_mathjax(out_dir: Path) -> str | None:
    """Copy MathJax next to the pages; the URL the pages should load it from (None: not installed).

    Example:
        >>> copy_mathjax(Path("build/html"))  # doctest: +SKIP
        'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe'
    """
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(source, out_dir / "mathjax", dirs_exist_ok=True)
    return f"mathjax/{MATHJAX_CONFIG}"


def exporter_with_template(exporter_class: type, template: str, **traits):
    """An nbconvert exporter that renders with ``template``, Jinja text extending one of nbconvert's.

    Example:
        >>> from nbconvert import HTMLExporter
        >>> exporter_with_template(HTMLExporter, PAGE_TEMPLATE).template_file
        'course.html.j2'
    """
    from jinja2 import DictLoader

    return exporter_class(extra_loaders=[DictLoader({"course.html.j2": template})], template_file="course.html.j2",
                          **traits)


def render_page(nb: nbformat.NotebookNode, target: Path, mathjax_url: str | None) -> Path:
    """Render one executed notebook to a stand-alone HTML page (images embedded).

    Example:
        >>> render_page(nb, Path("build/html/00_start_here.html"), None)  # doctest: +SKIP
    """
    from nbconvert import HTMLExporter

    exporter = exporter_with_template(HTMLExporter, PAGE_TEMPLATE, exclude_input_prompt=True,
                                      exclude_output_prompt=True)
    if mathjax_url:
        exporter.mathjax_url = mathjax_url
    body, _ = exporter.from_notebook_node(for_the_web(nb), resources={"metadata": {"name": target.stem}})
    nav = '<nav style="padding:0.5em 1em"><a href="index.html">← Course index</a></nav>'
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav, body, count=1)
    target.write_text(body, encoding="utf-8")
    return target


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
    """The index page: one table row per notebook, with its goals and links.

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
    from course_tools.slides import render_deck

    paths = paths or course_notebooks()
    out_dir = Path(out_dir or build_dir("html"))
    out_dir.mkdir(parents=True, exist_ok=True)
    mathjax_url = copy_mathjax(out_dir)
    rows = []
    for path, done in zip(paths, execute_all(paths, jobs, cache_dir or build_dir("executed"))):
        nb = nbformat.read(done, as_version=4)
        render_page(nb, out_dir / f"{path.stem}.html", mathjax_url)
        if slides:
            render_deck(nb, out_dir / "slides" / f"{path.stem}.slides.html", assets_dir=out_dir)
        rows.append((path, nb))
    index = out_dir / "index.html"
    index.write_text(index_page(rows, slides), encoding="utf-8")
    return index

