"""What the site's pages and the slide decks share: links between notebooks, MathJax, templates.

Both ``course_tools.site`` and ``course_tools.slides`` import it, so neither imports the other
for it (the site imports the slides to render its decks).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

__all__ = [
    "MATHJAX_BLOCK",
    "MATHJAX_CONFIG",
    "copy_mathjax",
    "exporter_with_template",
    "for_the_web",
    "mathjax_scripts",
]

MATHJAX_CONFIG = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
# jupyter-server-mathjax ships MathJax 2 with the STIX-Web fonts only, not MathJax's default TeX
# fonts: told so, formulas render offline as formulas, not as plain letters.
MATHJAX_FONTS = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, imageFont: null, webFont: "STIX-Web"}});
</script>"""
MATHJAX_BLOCK = (
    """{%- block html_head_js_mathjax -%}
"""
    + MATHJAX_FONTS
    + """
{{ super() }}
{%- endblock html_head_js_mathjax -%}"""
)
_LOCAL_LINK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+)\.ipynb(#[^)\s]*)?\)")
_REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(https?://[^)\s]+\)")


def for_the_web(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy for the pages and decks: links between notebooks (``02_x.ipynb``) point at the pages
    (``02_x.html``), and a picture from the internet (the Colab badge) becomes its text, so that
    nothing is fetched from the internet when a page opens (a link around it stays a link).
    Displays left empty (a progress bar cleared when it closed, ``course_utils.progress``) are
    dropped: there is nothing to show.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        ...     "[next](01_a.ipynb) [![Open In Colab](https://x.org/badge.svg)](https://colab.x/01_a)")])
        >>> for_the_web(nb).cells[0].source
        '[next](01_a.html) [Open In Colab](https://colab.x/01_a)'
    """
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _LOCAL_LINK.sub(
                lambda m: f"]({m.group(1)}.html{m.group(2) or ''})", cell.source
            )
            cell.source = _REMOTE_IMAGE.sub(r"\1", cell.source)
        elif cell.cell_type == "code":
            cell.outputs = [
                out
                for out in cell.get("outputs", [])
                if not (out.get("output_type") == "display_data" and not out.get("data"))
            ]
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


def mathjax_scripts(url: str) -> str:
    """The script tags that load MathJax from ``url`` and typeset a page of our own (the site's index)
    as nbconvert's pages are typeset: nbconvert's own configuration, with the local fonts.

    Example:
        >>> 'src="mathjax/MathJax.js' in mathjax_scripts("mathjax/MathJax.js")
        True
    """
    from nbconvert import HTMLExporter

    macro = "{% from 'mathjax.html.j2' import mathjax %}{{ mathjax(url) }}"
    return MATHJAX_FONTS + "\n" + HTMLExporter().environment.from_string(macro).render(url=url)


def exporter_with_template(exporter_class: type, template: str, **traits):
    """An nbconvert exporter that renders with ``template``, Jinja text extending one of nbconvert's.

    Example:
        >>> from nbconvert import HTMLExporter
        >>> exporter_with_template(HTMLExporter, "{%- extends 'lab/index.html.j2' -%}").template_file
        'course.html.j2'
    """
    from jinja2 import DictLoader

    return exporter_class(
        extra_loaders=[DictLoader({"course.html.j2": template})],
        template_file="course.html.j2",
        **traits,
    )
