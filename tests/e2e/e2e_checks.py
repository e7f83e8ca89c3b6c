"""What counts as a broken notebook in the browser test: pure functions, unit-tested without a browser.

The browser test reads each cell from JupyterLab as a dict:
``{"index", "type", "source", "execution_count", "outputs", "text", "widgets_as_text"}`` where
``outputs`` is the cell's output model (nbformat JSON), ``text`` the text its output area shows,
and ``widgets_as_text`` how many of its widget outputs the page drew as text instead (JupyterLab's
fallback when no widget manager is loaded).
"""

from __future__ import annotations

import re

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Text a page shows when widgets do not render: tqdm without ipywidgets, a widget's text repr
# (a front end without the widget manager shows `HBox(children=(...))`), the widget manager's
# own failure messages, and a traceback shown as text.
TEXT_SYMPTOMS = {
    "IProgress not found": "tqdm could not draw a progress bar (ipywidgets missing in the kernel)",
    "Error displaying widget": "the widget manager failed to draw a widget",
    "Loading widget...": "a widget never finished loading",
    "Traceback (most recent call last)": "a traceback is shown",
}
WIDGET_REPR = re.compile(r"\b(?:HBox|VBox|GridBox|IntProgress|FloatProgress)\(")


def widget_outputs(cell: dict) -> int:
    """How many outputs of a cell are widget views in the notebook model."""
    return sum(WIDGET_MIME in output.get("data", {}) for output in cell.get("outputs", []))


def cell_problems(cell: dict) -> list[str]:
    """Everything wrong with one executed cell, one line each (empty when the cell is fine).

    Example:
        >>> cell_problems({"index": 3, "type": "code", "source": "1/0", "execution_count": 4,
        ...                "outputs": [{"output_type": "error", "ename": "ZeroDivisionError",
        ...                             "evalue": "division by zero"}], "text": ""})
        ['cell 3 raised ZeroDivisionError: division by zero']
    """
    if cell["type"] != "code":
        return []
    where = f"cell {cell['index']}"
    problems = []
    if cell["source"].strip() and cell["execution_count"] is None:
        problems.append(f"{where} did not run (Run All stopped before it)")
    for output in cell["outputs"]:
        if output.get("output_type") == "error":
            problems.append(f"{where} raised {output.get('ename')}: {output.get('evalue')}")
    text = cell.get("text", "")
    for symptom, meaning in TEXT_SYMPTOMS.items():
        if symptom in text:
            problems.append(f"{where} shows {symptom!r}: {meaning}")
    match = WIDGET_REPR.search(text)
    if match:
        problems.append(
            f"{where} shows a widget as text ({match.group(0)}...) instead of drawing it"
        )
    if cell.get("widgets_as_text", 0):
        problems.append(
            f"{where} shows {cell['widgets_as_text']} of its {widget_outputs(cell)} widget outputs"
            " as text: the page has no widget manager (jupyterlab_widgets)"
        )
    return problems


def notebook_problems(cells: list[dict]) -> list[str]:
    """Every problem in a notebook's cells, in cell order.

    Example:
        >>> notebook_problems([{"index": 1, "type": "code", "source": "x = 1", "execution_count": None,
        ...                     "outputs": []}])
        ['cell 1 did not run (Run All stopped before it)']
    """
    if not any(cell["type"] == "code" for cell in cells):
        return ["the notebook has no code cells: did it open at all?"]
    return [problem for cell in cells for problem in cell_problems(cell)]
