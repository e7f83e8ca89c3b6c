"""Deliberately broken notebooks: the browser test must fail on each (a negative control).

They are written at test time into a temporary folder, never into notebooks/ (nbval would
collect them there). `python tests/e2e/broken_notebooks.py DIR` writes them into DIR, for
`make e2e NB=DIR/*.ipynb` to show the test failing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

# file name -> (cell sources, words the browser test's report must contain)
BROKEN = {
    "zz_raises.ipynb": (
        ["print('the first cell runs')", "1 / 0", "print('never reached')"],
        ["raised ZeroDivisionError", "did not run"],
    ),
    "zz_widgets_as_text.ipynb": (
        [
            # tqdm.auto with ipywidgets hidden from the kernel: the classic "IProgress not found".
            "import sys, warnings\nsys.modules['ipywidgets'] = None\n"
            "warnings.simplefilter('always')\n"
            "from tqdm.auto import tqdm\nfor _ in tqdm(range(3)):\n    pass",
            # What a front end without the widget manager shows for a widget: its text repr.
            "from IPython.display import display\n"
            "display({'text/plain': \"HBox(children=(Button(description='Step'), Label(value='epoch 0')))\"},"
            " raw=True)",
        ],
        ["IProgress not found", "widget as text"],
    ),
}
# Healthy widgets that break only in a JupyterLab without the widget manager (ipywidgets' JS).
WIDGETS_WITHOUT_MANAGER = (
    "zz_widgets_without_manager.ipynb",
    [
        "from tqdm.auto import tqdm\nfor _ in tqdm(range(3)):\n    pass",
        "import ipywidgets as widgets\n"
        "widgets.HBox([widgets.Button(description='Step'), widgets.Label('epoch 0')])",
    ],
    ["widget outputs as text", "widget as text (HBox("],
)


def write_notebook(path: Path, sources: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Broken on purpose: {path.name}")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


def write_broken_notebooks(folder: Path) -> dict[Path, list[str]]:
    """Write the broken notebooks into `folder`; map each path to the words its failure must show."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (sources, expected) in BROKEN.items():
        written[write_notebook(folder / name, sources)] = expected
    return written


if __name__ == "__main__":
    for path in write_broken_notebooks(Path(sys.argv[1])):
        print(path)
