"""The rendered course: run every notebook, render it to HTML, add an index page.

Run ``python -m course_tools.site`` (or ``make html``), then open ``build/html/index.html``:
the site works from the folder, offline (formulas use a local copy of MathJax when the
``jupyter-server-mathjax`` package is installed, which the ``teach`` extra provides).

Built with nbconvert and a generated index rather than Jupyter Book: the course is one flat
list of notebooks, so a table of contents, a theme and a Sphinx or Node tool chain add build time
and dependencies without adding anything a reader needs. Executed notebooks are cached in
``build/executed/`` keyed on the notebook and ``course_utils`` sources, so a second build (and
``make slides``) reuses them and only re-runs what changed.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from course_tools.notebook_tools import colab_url, course_notebooks
from course_utils.paths import REPO_ROOT

SITE_DIR = REPO_ROOT / "build" / "html"
EXECUTED_DIR = REPO_ROOT / "build" / "executed"
MATHJAX_CONFIG = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
_LOCAL_LINK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+)\.ipynb(#[^)\s]*)?\)")
_GOALS = re.compile(r"\*\*Learning goals\*\*\s*\n((?:\s*[-*] .*\n?)+)", re.IGNORECASE)


def _stamp(path: Path) -> str:
    """A hash of the notebook and of every course_utils source it may import."""
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted((REPO_ROOT / "course_utils").rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def executed(path: str | Path, cache_dir: str | Path = EXECUTED_DIR, timeout: int = 900) -> Path:
    """The notebook ``path`` run top to bottom, from the cache when nothing changed; its path.

    It runs in the notebook's own folder, as a student would run it. A cell that raises stops the
    build with nbclient's ``CellExecutionError`` (a course notebook must run cleanly).

    Example:
        >>> executed("notebooks/00_start_here.ipynb")  # doctest: +SKIP
        PosixPath('.../build/executed/00_start_here.ipynb')
    """
    from nbclient import NotebookClient

    path, cache_dir = Path(path), Path(cache_dir)
    target, stamp_file = cache_dir / path.name, cache_dir / f"{path.stem}.sha256"
    stamp = _stamp(path)
    if target.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return target
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    cache_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    stamp_file.write_text(stamp)
    return target


def execute_all(paths: list[Path], jobs: int = 2, cache_dir: str | Path = EXECUTED_DIR) -> list[Path]:
    """Run (or take from the cache) several notebooks, ``jobs`` at a time; the executed copies.

    Example:
        >>> execute_all(course_notebooks(), jobs=2)  # doctest: +SKIP
        [PosixPath('.../build/executed/00_start_here.ipynb'), ...]
    """
    if jobs <= 1 or len(paths) <= 1:
        return [executed(p, cache_dir) for p in paths]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(executed, paths, [cache_dir] * len(paths)))


def for_the_web(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy whose links between notebooks (``02_x.ipynb``) point at the pages (``02_x.html``).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("[next](01_a.ipynb)")])
        >>> for_the_web(nb).cells[0].source
        '[next](01_a.html)'
    """
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _LOCAL_LINK.sub(lambda m: f"]({m.group(1)}.html{m.group(2) or ''})", cell.source)
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


def render_page(nb: nbformat.NotebookNode, target: Path, mathjax_url: str | None) -> Path:
    """Render one executed notebook to a stand-alone HTML page (images embedded).

    Example:
        >>> render_page(nb, Path("build/html/00_start_here.html"), None)  # doctest: +SKIP
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True)
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


def build_site(paths: list[Path] | None = None, out_dir: str | Path = SITE_DIR, jobs: int = 2,
               cache_dir: str | Path = EXECUTED_DIR, slides: bool = True) -> Path:
    """Run the notebooks and write the site (pages, decks, index) into ``out_dir``; the index path.

    Example:
        >>> build_site()  # doctest: +SKIP
        PosixPath('.../build/html/index.html')
    """
    from course_tools.slides import render_deck

    paths = paths or course_notebooks()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mathjax_url = copy_mathjax(out_dir)
    rows = []
    for path, done in zip(paths, execute_all(paths, jobs, cache_dir)):
        nb = nbformat.read(done, as_version=4)
        render_page(nb, out_dir / f"{path.stem}.html", mathjax_url)
        if slides:
            render_deck(nb, out_dir / "slides" / f"{path.stem}.slides.html")
        rows.append((path, nb))
    index = out_dir / "index.html"
    index.write_text(index_page(rows, slides), encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebooks (default: every notebook)")
    parser.add_argument("--out", default=str(SITE_DIR), help="site folder (default: build/html)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")),
                        help="notebooks run at the same time (default: $JOBS or 2)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    index = build_site(course_notebooks(args.notebooks), args.out, args.jobs)
    print(f"site: {index} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
