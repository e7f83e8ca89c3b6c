"""Checked cells that depend on the photos: tags, the recorded photo set, and the pytest plugin.

The plugin is tested the way `make test` uses it: pytest with nbval, run on small notebooks in a
folder of their own, under pytest-xdist (the skipped reports cross from the workers) and sequentially.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest

from course_tools import notebook_tools, photo_cells
from course_utils.photos import SAMPLE

PINNED = "oxford-pets-sample+kaggle-cats-dogs"


def notebook(recorded: str | None, *cells: tuple[str, str, list[str]]) -> nbformat.NotebookNode:
    """A notebook of checked cells (source, stored output, tags) made from the photo set ``recorded``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i, (source, stored, tags) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(
            f"# NBVAL_CHECK_OUTPUT\n{source}",
            execution_count=i + 1,
            metadata={"tags": tags} if tags else {},
        )
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        nb.cells.append(cell)
    if recorded is not None:
        photo_cells.record_photo_set(nb, recorded)
    return nb


def run_pytest(folder, *args: str, photos: str | None = None) -> tuple[dict[str, str], str]:
    """pytest + nbval + the plugin on the notebooks in ``folder``: {test id: outcome and message}, the output."""
    env = {k: v for k, v in os.environ.items() if k not in ("CATS_DOGS_DIR", "PYTEST_ADDOPTS")}
    env["COURSE_DATA_DIR"] = str(folder / "data")
    if photos is not None:
        env["CATS_DOGS_DIR"] = photos
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "course_tools.pytest_photo_sets",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-ra",
            f"--junitxml={folder / 'out.xml'}",
            *args,
            *sorted(str(p) for p in folder.glob("*.ipynb")),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcomes = {}
    for case in ET.parse(folder / "out.xml").iter("testcase"):
        result = next(iter(case), None)
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (
            "passed" if result is None else f"{result.tag}: {result.get('message', '')}"
        )
    return outcomes, done.stdout + done.stderr


def write(folder, name, nb):
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / name)


def test_tags_say_which_photo_folders_a_cell_depends_on():
    def cell(*tags):
        return nbformat.v4.new_code_cell(metadata={"tags": list(tags)})

    assert [
        photo_cells.photo_tag(cell(*t)) for t in ([], ["slide"], ["photo-set"], ["photo-set:2"])
    ] == [None, None, 0, 2]
    for bad in ("photo-set:0", "photo-set:two", "photo-set:"):
        with pytest.raises(ValueError, match="write photo-set"):
            photo_cells.photo_tag(cell(bad))


@pytest.mark.parametrize(
    "need, current, comparable",
    [
        (0, ["oxford-pets-sample", "kaggle-cats-dogs"], True),
        (0, ["oxford-pets-sample"], False),
        (
            0,
            ["oxford-pets-sample", "kaggle-cats-dogs", "other-123456789abc"],
            False,
        ),  # 05 would train on all three
        (1, ["oxford-pets-sample"], True),  # 06 trains on the first folder only
        (1, ["oxford-pets-sample", "microsoft-petimages"], True),
        (2, ["oxford-pets-sample", "microsoft-petimages"], False),  # ... but tests on the second
        (2, ["oxford-pets-sample", "kaggle-cats-dogs", "other-123456789abc"], True),
        (1, ["kaggle-cats-dogs", "oxford-pets-sample"], False),
        (
            3,
            ["oxford-pets-sample", "kaggle-cats-dogs", "other-123456789abc"],
            False,
        ),  # more than the stored set had
    ],
)
def test_a_cell_is_compared_only_with_the_photos_its_output_was_made_from(
    need, current, comparable
):
    assert (photo_cells.uncompared_reason(need, PINNED, current) == "") is comparable


def test_course_check_reports_tags_and_records_that_do_not_fit(tmp_path):
    nb = notebook(None, ("print(1)", "1\n", ["photo-set"]), ("print(2)", "2\n", ["photo-set:x"]))
    nb.cells.append(nbformat.v4.new_code_cell("print(3)", metadata={"tags": ["photo-set"]}))
    found = " | ".join(photo_cells.problems(nb, "05_x.ipynb"))
    assert "records no photo set" in found and "cell 1: cell tag 'photo-set:x'" in found
    write(tmp_path, "05_x.ipynb", nb)
    assert any(
        "code cell 2 is tagged photo-set but is not checked" in p
        for p in notebook_tools.problems(
            tmp_path / "05_x.ipynb", repo_url="https://github.com/me/course"
        )
    )
    untagged = notebook(PINNED, ("print(1)", "1\n", []))
    assert photo_cells.problems(untagged, "05_y.ipynb") == [
        "05_y.ipynb: the notebook records a photo set but no cell is tagged photo-set (run make refresh NB=...)"
    ]


@pytest.fixture(scope="module")
def pinned_notebooks(tmp_path_factory):
    """Two notebooks whose outputs were made from the pinned set, and one that records no set."""
    folder = tmp_path_factory.mktemp("notebooks")
    write(
        folder,
        "a_made_from_pinned.ipynb",
        notebook(
            PINNED,
            (
                "print('on all the photos')",
                "made with other photos\n",
                ["photo-set"],
            ),  # wrong if compared
            ("print('on the first folder')", "on the first folder\n", ["photo-set:1"]),
            (
                "print('on the first folder, compared')",
                "a stored output that differs\n",
                ["photo-set:1"],
            ),
            ("print('no photos involved')", "no photos involved\n", []),
            ("raise RuntimeError('broken on any photos')", "", ["photo-set"]),
        ),
    )
    write(folder, "b_no_record.ipynb", notebook(None, ("print('x')", "y\n", ["photo-set"])))
    return folder


def test_without_the_pinned_photos_the_cells_run_but_are_not_compared_and_each_is_listed(
    pinned_notebooks,
):
    outcomes, output = run_pytest(
        pinned_notebooks, "-n", "2", "--dist", "loadfile"
    )  # the shipped sample only
    a = "a_made_from_pinned.ipynb"
    assert outcomes[f"{a}::Cell 0"] == (
        "skipped: Cell 0 ran, its output not compared: made from the photo set oxford-pets-sample+kaggle-cats-dogs, "
        "this run reads oxford-pets-sample"
    )
    assert outcomes[f"{a}::Cell 1"] == "passed"  # its first folder is the same: compared, and equal
    assert outcomes[f"{a}::Cell 2"].startswith("failure")  # compared, and different
    assert outcomes[f"{a}::Cell 3"] == "passed"
    assert (
        outcomes[f"{a}::Cell 4"].startswith("failure") and "broken on any photos" in output
    )  # runs all the same
    assert outcomes["b_no_record.ipynb::Cell 0"] == (
        "skipped: Cell 0 ran, its output not compared: the notebook records no photo set for its stored outputs "
        "(run make refresh NB=...)"
    )
    summary = output[output.index("photo sets") :]
    assert (
        "2 checked cells ran, but were not compared: their stored outputs were made from other photos"
        in summary
    )
    assert f"oxford-pets-sample: 296 photos in {SAMPLE}" in summary
    assert (
        f"Their outputs were made from {PINNED}. To compare them, name those folders in CATS_DOGS_DIR"
        in summary
    )
    assert (
        "kaggle-cats-dogs: Kaggle's Dogs vs. Cats" in summary
        and "microsoft-petimages" not in summary
    )
    assert "SKIPPED [1] a_made_from_pinned.ipynb: Cell 0 ran, its output not compared" in output


def test_with_the_photos_of_the_stored_outputs_a_cell_is_compared_and_require_photo_set_fails_the_others(
    tmp_path,
):
    write(
        tmp_path,
        "c.ipynb",
        notebook(
            "oxford-pets-sample",
            ("print('trained')", "a stored output that differs\n", ["photo-set"]),
        ),
    )
    write(tmp_path, "d.ipynb", notebook(PINNED, ("print('x')", "x\n", ["photo-set"])))
    outcomes, output = run_pytest(tmp_path, "--require-photo-set", photos=str(SAMPLE))
    assert outcomes["c.ipynb::Cell 0"].startswith("failure") and "Cell outputs differ" in output
    assert (
        outcomes["d.ipynb::Cell 0"].startswith("failure")
        and "every checked cell must be compared" in output
    )
    assert "photo sets" not in output
