"""The notebooks follow the course conventions, and the convention checks can fail."""

import copy
from pathlib import Path

import nbformat
import pytest

from course_tools import notebook_tools as nt

NOTEBOOKS = nt.course_notebooks()
REPO = "https://github.com/example/course"


def test_there_are_notebooks_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers and numbers == list(range(len(numbers))), numbers


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_conventions(path):
    assert nt.problems(path) == []


def good_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(nt.KERNELSPEC)
    nb.metadata["language_info"] = copy.deepcopy(nt.LANGUAGE_INFO)
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"# 07 · Example\n\n{nt.badge('07_example.ipynb', REPO)}\n\n**Learning goals**\n- one"
        ),
        nbformat.v4.new_code_cell(
            f"import sys\nif 'google.colab' in sys.modules:\n    {nt.colab_install_line(REPO)}"
        ),
        nbformat.v4.new_code_cell("SEED = 0  # every seed below derives from it\nx = 1"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(x)"),
        nbformat.v4.new_markdown_cell("## 1. Something\n\ntext"),
        nbformat.v4.new_markdown_cell("## 2. Summary\n\n- learned"),
    ]
    checked = nb.cells[3]
    checked.execution_count = 1
    checked.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    return nb


def problems_of(nb, tmp_path: Path, name: str = "07_example.ipynb") -> list[str]:
    path = tmp_path / name
    nbformat.write(nb, path)
    return nt.problems(path, repo_url=REPO)


def test_good_notebook_passes(tmp_path):
    assert problems_of(good_notebook(), tmp_path) == []


def test_stray_output_fails(tmp_path):
    nb = good_notebook()
    nb.cells[2].execution_count = 3
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="leak\n")]
    assert any("code cell 2 has stored outputs" in p for p in problems_of(nb, tmp_path))


def test_checked_cell_without_outputs_fails(tmp_path):
    nb = good_notebook()
    nb.cells[3].outputs = []
    assert any("checked cell 3 needs stored outputs" in p for p in problems_of(nb, tmp_path))


def test_missing_or_wrong_badge_fails(tmp_path):
    nb = good_notebook()
    nb.cells[0].source = "# 07 · Example\n\n**Learning goals**\n- one"
    assert any("Colab badge" in p for p in problems_of(nb, tmp_path))
    nb = good_notebook()
    nb.cells[0].source = nb.cells[0].source.replace("07_example", "06_other")
    assert any("Colab badge" in p for p in problems_of(nb, tmp_path))


def test_bad_names_fail(tmp_path):
    for name in ("7_example.ipynb", "07-Example.ipynb", "example.ipynb"):
        assert any("NN_short_name" in p for p in problems_of(good_notebook(), tmp_path, name))


def test_title_goals_summary_and_kernel_are_required(tmp_path):
    nb = good_notebook()
    nb.cells[0].source = (
        nb.cells[0].source.replace("# 07 · Example", "# Example").replace("Learning goals", "Goals")
    )
    nb.cells[-1].source = "## 2. More"
    nb.metadata["kernelspec"]["name"] = "conda-env-x"
    found = " | ".join(problems_of(nb, tmp_path))
    for expected in ("'# 07 · Title'", "learning goals", "summary", "kernelspec"):
        assert expected in found


def test_stored_kernel_metadata_is_what_jupyterlab_writes_for_the_installed_kernel():
    """On opening, JupyterLab stores the kernelspec's display name and the kernel's language_info; the
    conventions ask for exactly those (the browser test opens and saves every notebook to prove it)."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_client.kernelspec import get_kernel_spec

    spec = get_kernel_spec("python3")
    assert nt.KERNELSPEC == {
        "name": "python3",
        "display_name": spec.display_name,
        "language": spec.language,
    }
    reported = dict(IPythonKernel.language_info)
    assert {**nt.LANGUAGE_INFO, "version": reported["version"]} == reported
    assert nt.LANGUAGE_INFO["version"].startswith("3.11."), "the course's reference Python"


def test_an_old_kernel_display_name_fails_and_clean_stores_jupyterlabs(tmp_path):
    nb = good_notebook()
    nb.metadata["kernelspec"]["display_name"] = "Python 3"
    del nb.metadata["language_info"]
    found = problems_of(nb, tmp_path)
    assert any("kernelspec must be what JupyterLab writes" in p for p in found), found
    assert any("language_info must be what JupyterLab writes" in p for p in found), found
    assert problems_of(nt.clean(nb), tmp_path) == []


def test_missing_colab_install_fails(tmp_path):
    nb = good_notebook()
    nb.cells[1].source = "import sys"
    assert any("install the helpers on Colab" in p for p in problems_of(nb, tmp_path))


def test_one_seed_line_from_which_every_seed_derives(tmp_path):
    """A bench runs a whole notebook on another seed by changing its one line SEED = 0 (tests/bench/notebook_runs.py)."""
    nb = good_notebook()
    nb.cells[
        2
    ].source += "\nmodel_seed = torch.manual_seed(SEED + 1)\nrun(seed=SEED, loader_seed=SEED)"
    assert problems_of(nb, tmp_path) == []
    nb.cells[2].source = "x = 1"
    assert any("must hold one line `SEED = 0`" in p for p in problems_of(nb, tmp_path))
    nb.cells[2].source = "SEED = 0\ng = seed_everything(0)"
    nb.cells[
        3
    ].source += "\nSEED = 1\ntorch.Generator().manual_seed(42)\ntrain(model, seed=3)\ndef f(seed: int = 0): pass"
    found = " | ".join(problems_of(nb, tmp_path))
    for expected in (
        "code cell 2 writes a seed as a number (seed_everything(0)",
        "code cell 3 sets SEED again",
        "(manual_seed(42): derive it from SEED",
        "(seed=3:",
        "(seed: int = 0:",
    ):
        assert expected in found, found


def test_clean_keeps_only_checked_outputs():
    nb = good_notebook()
    nb.cells[2].execution_count = 2
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
    cleaned = nt.clean(copy.deepcopy(nb))
    assert cleaned.cells[2].outputs == [] and cleaned.cells[2].execution_count is None
    assert cleaned.cells[3].outputs == nb.cells[3].outputs and cleaned.cells[3].execution_count == 1


def test_repository_links_follow_the_configured_url(tmp_path):
    path = tmp_path / "07_example.ipynb"
    nbformat.write(good_notebook(), path)
    assert nt.set_repository_links(path, "https://github.com/new/place")
    assert nt.problems(path, repo_url="https://github.com/new/place") == []
    assert not nt.set_repository_links(path, "https://github.com/new/place")


def test_configured_repository_is_on_github():
    assert nt.repository_url().startswith("https://github.com/")
    with pytest.raises(ValueError, match="GitHub"):
        nt.colab_url("00_start_here.ipynb", "https://gitlab.com/x/y")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_fits_one_lab_session(path):
    """At most 50 cells and 2,500 words of markdown prose (issue 21); `course check` prints every size."""
    found = nt.size_problems(path)
    if found:
        pytest.fail("; ".join(found), pytrace=False)


def test_size_limits_are_inclusive_and_name_the_notebook_and_the_limit(tmp_path):
    nb = good_notebook()  # 6 cells
    nb.cells += [nbformat.v4.new_code_cell() for _ in range(nt.MAX_CELLS - 7)]
    words = nt.MAX_WORDS - nt.notebook_size(nb)[1]
    nb.cells.append(nbformat.v4.new_markdown_cell("word " * words))
    assert nt.notebook_size(nb) == (50, 2500)
    path = tmp_path / "07_example.ipynb"
    nbformat.write(nb, path)
    assert nt.size_problems(path) == [] and problems_of(nb, tmp_path) == []
    nb.cells[-1].source += " one-more"
    nb.cells.append(nbformat.v4.new_code_cell())
    nbformat.write(nb, path)
    assert nt.size_problems(path) == [
        "07_example.ipynb: 51 cells, over the limit of 50 for one lab session (split the notebook, or merge small "
        "cells and move plumbing to course_utils)",
        "07_example.ipynb: 2,501 words of markdown prose, over the limit of 2,500 for one lab session (cut, or move "
        "background and evidence to the teacher's guide)",
    ]
    assert "07_example.ipynb  " in nt.size_table([path]) and nt.size_table([path]).endswith(
        "<- over"
    )


def test_only_markdown_words_count():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("## 1. Two words\n\n| a | b |\n|---|---|\n- $x^2$ = 4"),
            nbformat.v4.new_code_cell("# many words in a comment do not count as prose"),
            nbformat.v4.new_raw_cell("nor here"),
        ]
    )
    assert nt.notebook_size(nb) == (
        3,
        7,
    )  # "1." Two words a b $x^2$ 4 (## | |---| - = hold no letter or digit)
