"""Progress bars show while a loop runs and leave nothing in executed or rendered notebooks (issue 19).

A tiny notebook runs ``fit`` (to the end, and stopped early) and decodes a few image files, the
loops of ``course_utils`` that show a bar; its executed outputs, its page on the site, its deck and
plain nbconvert's HTML must keep no "0%| | 0/3", no "HBox(children=...)" and no widget view.
"""

import re

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.progress import progress_bar

#: What a stale tqdm bar leaves: its text ("  0%|     | 0/3 [00:00<?, ?it/s]") or the widget's repr.
RESIDUE = re.compile(r"\d+%\||\d+/\d+ \[|it/s|s/it|HBox\(|FloatProgress\(|epochs:|decoding ")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

SETUP = """\
import torch
from torch import nn
from course_utils.training import EarlyStopping, fit, make_loader
_ = torch.manual_seed(0)
X, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
data = torch.utils.data.TensorDataset(X, y)
print("ready")"""
FIT_TO_THE_END = """\
model = nn.Linear(4, 2)
history = fit(model, make_loader(data, 16), make_loader(data, 32), loss_fn=nn.CrossEntropyLoss(),
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=3)
print("epochs run:", history.epochs)"""
FIT_STOPPED_EARLY = """\
flipped = torch.utils.data.TensorDataset(X, 1 - y)  # validation gets worse as training learns
model = nn.Linear(4, 2)
history = fit(model, make_loader(data, 16), make_loader(flipped, 32), loss_fn=nn.CrossEntropyLoss(),
              optimizer=torch.optim.SGD(model.parameters(), lr=0.5), epochs=40,
              early_stopping=EarlyStopping(patience=1))
print("stopped early:", history.stopped_early, history.epochs < 40)"""
DECODE = """\
from pathlib import Path
from PIL import Image
from course_utils.images import decode_files
files = []
for i in range(3):
    path = Path(f"img{i}.png")
    Image.new("RGB", (10, 10), (80 * i, 0, 0)).save(path)
    files.append((path, i % 2))
images, labels, kept, skipped = decode_files(files, 8)
print("decoded:", tuple(images.shape))"""
# Negative control: tqdm's own notebook bar, as course_utils used it before, leaves "0%|" text behind.
PLAIN_TQDM = """\
from tqdm.auto import tqdm
for _ in tqdm(range(3), desc="plain"):
    pass"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The tiny notebook, run once by nbclient as `jupyter nbconvert --execute` runs it (which also
    stores the widgets' state; `course html` and `course slides` run cells the same way, see
    course_tools.execution, without storing it)."""
    from nbclient import NotebookClient

    folder = tmp_path_factory.mktemp("progress")
    nb = new_notebook(
        cells=[
            new_code_cell(c) for c in (SETUP, FIT_TO_THE_END, FIT_STOPPED_EARLY, DECODE, PLAIN_TQDM)
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(folder)}}
    ).execute()
    control = nb.cells.pop()
    assert any(RESIDUE.search(t) for t in output_texts(new_notebook(cells=[control]))), (
        "the negative control left no residue: the residue pattern finds nothing"
    )
    return nb


def output_texts(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            yield out.get("text", "")
            for value in out.get("data", {}).values():
                yield value if isinstance(value, str) else str(value)


def test_the_loops_ran_and_printed(executed):
    printed = "".join(t for c in executed.cells for o in c.outputs for t in [o.get("text", "")])
    assert "epochs run: 3" in printed and "stopped early: True True" in printed
    assert "decoded: (3, 3, 8, 8)" in printed


def test_executed_outputs_keep_no_bar(executed):
    texts = list(output_texts(executed))
    stale = [t for t in texts if RESIDUE.search(t)]
    assert not stale, f"stale progress bar text in the outputs: {stale[:3]}"
    views = [o for c in executed.cells for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
    assert not views, "a widget view stayed in the outputs"
    streams = [o for c in executed.cells for o in c.outputs if o.get("name") == "stderr"]
    assert not streams, f"something went to stderr: {streams[:1]}"


def test_a_bar_was_shown_while_the_loops_ran(executed):
    """Each loop displayed a widget bar (its models are in the widget state) and cleared it."""
    cleared = [
        o
        for c in executed.cells
        for o in c.outputs
        if o.output_type == "display_data" and not o.data
    ]
    assert len(cleared) == 3, "fit twice and the decoding each showed one bar, now empty"
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    maxima = sorted(
        m["state"]["max"] for m in state.values() if m["model_name"] == "FloatProgressModel"
    )
    assert maxima == [3, 3, 3, 40]  # 3 epochs, 3 images, up to 40 epochs; the control's 3


@pytest.mark.filterwarnings(
    "ignore:Your element with mimetype"
)  # plain nbconvert on an emptied display
def test_rendered_pages_and_decks_keep_no_bar(executed, tmp_path):
    from nbconvert import HTMLExporter

    from course_tools.site import render_page
    from course_tools.slides import render_deck

    pages = {
        "site page": render_page(executed, tmp_path / "07_x.html", None).read_text(
            encoding="utf-8"
        ),
        "deck": render_deck(executed, tmp_path / "07_x.slides.html").read_text(encoding="utf-8"),
        "plain nbconvert": HTMLExporter().from_notebook_node(executed)[0],
    }
    for name, html in pages.items():
        assert "decoded: (3, 3, 8, 8)" in html, name
        found = RESIDUE.findall(
            re.sub(r"<style.*?</style>|<script.*?</script>", "", html, flags=re.S)
        )
        assert not found, f"{name}: {found[:3]}"


def test_outside_a_notebook_the_bar_erases_its_line(capsys):
    bar = progress_bar(range(3), desc="counting")
    assert list(bar) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "counting" in err and err.endswith("\r"), repr(
        err[-40:]
    )  # tqdm's leave=False clears the line


def test_disabled_bars_print_nothing(capsys, monkeypatch):
    assert list(progress_bar(range(2), enabled=False)) == [0, 1]
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert list(progress_bar(range(2))) == [0, 1]
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="desc must be a string"):
        progress_bar(range(2), desc=3)
