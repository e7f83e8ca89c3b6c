"""The browser test's verdicts on the failure modes it must catch, without a browser (runs in `make unit`).

Each case is what JupyterLab reported for a deliberately broken notebook (tests/e2e/broken_notebooks.py)
when `make e2e` was shown failing on it; the good cases are what it reports for a healthy cell.
"""

import nbformat
import pytest
from broken_notebooks import BROKEN, write_broken_notebooks
from e2e_checks import cell_problems, notebook_problems


def code_cell(index=1, execution_count=1, outputs=(), text="", widgets_as_text=0, source="x = 1"):
    return {
        "index": index,
        "type": "code",
        "source": source,
        "execution_count": execution_count,
        "outputs": list(outputs),
        "text": text,
        "widgets_as_text": widgets_as_text,
    }


PROGRESS_BAR = {
    "output_type": "display_data",
    "data": {
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
        "text/plain": "  0%|          | 0/3 [00:00<?, ?it/s]",
    },
}


def test_healthy_cells_pass():
    cells = [
        {"index": 0, "type": "markdown", "source": "# 00 · Start here"},
        code_cell(text="torch.Size([3, 2])"),
        code_cell(index=2, outputs=[PROGRESS_BAR], text="100% 3/3 [00:00<00:00]"),
        code_cell(
            index=5, outputs=[PROGRESS_BAR], text=""
        ),  # a closed bar (leave=False) draws nothing
        code_cell(
            index=3,
            outputs=[{"output_type": "stream", "name": "stderr", "text": "UserWarning: x"}],
            text="UserWarning: x",
        ),
        code_cell(index=4, execution_count=None, source="  \n"),
    ]  # an empty cell need not run
    assert notebook_problems(cells) == []


def test_an_error_and_the_cells_it_stopped_are_reported():
    error = {
        "output_type": "error",
        "ename": "ZeroDivisionError",
        "evalue": "division by zero",
        "traceback": [],
    }
    cells = [
        code_cell(
            index=2,
            execution_count=2,
            outputs=[error],
            text="ZeroDivisionError  Traceback (most recent call last)",
        ),
        code_cell(index=3, execution_count=None, source="print('never reached')"),
    ]
    assert notebook_problems(cells) == [
        "cell 2 raised ZeroDivisionError: division by zero",
        "cell 2 shows 'Traceback (most recent call last)': a traceback is shown",
        "cell 3 did not run (Run All stopped before it)",
    ]


@pytest.mark.parametrize(
    "text, words",
    [
        (
            "TqdmWarning: IProgress not found. Please update jupyter and ipywidgets.",
            "IProgress not found",
        ),
        (
            "HBox(children=(Button(description='Step'), Label(value='epoch 0')))",
            "widget as text (HBox(",
        ),
        ("VBox(children=(FloatProgress(value=0.0),))", "widget as text (VBox("),
        ("Error displaying widget: model not found", "Error displaying widget"),
    ],
)
def test_widgets_shown_as_text_are_reported(text, words):
    problems = cell_problems(code_cell(text=text))
    assert problems and words in problems[0]


def test_a_widget_output_drawn_as_text_is_reported():
    assert cell_problems(code_cell(outputs=[PROGRESS_BAR], widgets_as_text=1)) == [
        "cell 1 shows 1 of its 1 widget outputs as text: the page has no widget manager (jupyterlab_widgets)"
    ]


def test_a_notebook_without_code_cells_is_reported():
    assert notebook_problems([]) == ["the notebook has no code cells: did it open at all?"]


def test_broken_notebooks_are_valid_notebooks(tmp_path):
    written = write_broken_notebooks(tmp_path)
    assert sorted(p.name for p in written) == sorted(BROKEN)
    for path in written:
        nbformat.validate(nbformat.read(path, as_version=4))
