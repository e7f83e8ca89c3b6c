"""The one way a benchmark reaches a function or class that a notebook defines: run the notebook's own cells.

A benchmark that re-measures a notebook's claim over many seeds needs the notebook's code (its ``fit``,
its ``SpiralNet``), not a hand copy of it: a copy drifts when the notebook changes. ``notebook_namespace``
runs the chosen code cells of a notebook, with IPython's syntax (``%pip``) translated, in a fresh
namespace, and returns that namespace:

- cells are chosen by a tag in their metadata (``tag="generative-core"``: the tag says, in the notebook,
  that a benchmark runs the cell) or by a snippet of their source (``"def fit("``); each snippet must
  match at least one cell, so a renamed function fails loudly here instead of silently measuring nothing;
- the setup cell (the one holding ``SEED = 0``) runs first unless ``setup=False``;
- ``definitions_only=True`` keeps only imports, ``def`` and ``class`` statements (and assignments to the
  names in ``keep``), so that a cell's demo (a training run, a plot) is skipped.

Whole notebooks with another seed or thread count are run by ``notebook_runs.py`` instead. Not a
benchmark itself (``run_benchmarks.py`` runs ``bench_*.py`` only).
"""

from __future__ import annotations

import ast
import contextlib
import io
from collections.abc import Iterable
from pathlib import Path

import matplotlib
import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from course_tools.notebook_tools import SEED_LINE

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _definitions(source: str, keep: Iterable[str]) -> ast.Module:
    tree = ast.parse(source)
    tree.body = [
        node
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
        or (
            isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) in keep for t in node.targets)
        )
    ]
    return tree


def notebook_namespace(
    notebook: str,
    *snippets: str,
    tag: str | None = None,
    setup: bool = True,
    definitions_only: bool = False,
    keep: Iterable[str] = (),
    namespace: dict | None = None,
) -> dict:
    """Run a notebook's setup cell and the code cells tagged ``tag`` or containing a snippet; return the namespace."""
    matplotlib.use(
        "Agg"
    )  # no windows; the environment is left alone (kernels started later inherit it)
    path = NOTEBOOKS / notebook
    code = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    for snippet in snippets:
        if not any(snippet in cell.source for cell in code):
            raise LookupError(
                f"{path.name}: no code cell contains {snippet!r}; update the benchmark that asks for it"
            )
    chosen = [
        cell
        for cell in code
        if (tag and tag in cell.metadata.get("tags", []))
        or any(snippet in cell.source for snippet in snippets)
    ]
    if tag and not any(tag in cell.metadata.get("tags", []) for cell in code):
        raise LookupError(
            f"{path.name}: no code cell is tagged {tag!r}; the tag marks what a benchmark runs"
        )
    setup_cells = [cell for cell in code if SEED_LINE.search(cell.source)] if setup else []
    namespace = {"__name__": "notebook"} if namespace is None else namespace
    transform = TransformerManager().transform_cell
    for cell in setup_cells + [cell for cell in chosen if cell not in setup_cells]:
        source = transform(cell.source)
        tree = _definitions(source, set(keep)) if definitions_only else ast.parse(source)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(tree, f"{path.name}", "exec"), namespace)  # noqa: S102 - the course's own notebook
    return namespace
