"""The benches' notebook runner: another SEED and thread count, checked cells compared as nbval does, margins read."""

import sys
from pathlib import Path

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_runs import run_notebook  # noqa: E402

MARGINS = {"mean near 0.5": {"mean within 0.1 of 0.5": "0.1 - abs(mean - 0.5)"}}


def first_draw(seed: int) -> float:
    torch.manual_seed(seed)
    torch.rand(1000)
    return round(torch.rand(1).item(), 3)


def write_notebook(tmp_path: Path, *extra: str) -> Path:
    """A notebook whose first checked line holds on every seed and whose second prints seed 0's digits."""
    nb = new_notebook(
        cells=[
            new_code_cell(
                "import torch\n\nSEED = 0  # every seed below derives from it\n_ = torch.manual_seed(SEED)"
            ),
            new_code_cell(
                "# NBVAL_CHECK_OUTPUT\nmean = torch.rand(1000).mean().item()\nprint('mean near 0.5:', abs(mean - 0.5) < 0.1)"
            ),
            new_code_cell(
                "# NBVAL_CHECK_OUTPUT\nprint('first draw:', round(torch.rand(1).item(), 3))"
            ),
            *(new_code_cell(source) for source in extra),
        ]
    )
    for i, text in ((1, "mean near 0.5: True\n"), (2, f"first draw: {first_draw(0)}\n")):
        nb.cells[i].execution_count = i
        nb.cells[i].outputs = [new_output("stream", name="stdout", text=text)]
    path = tmp_path / "09_example.ipynb"
    nbformat.write(nb, path)
    return path


def test_seed_and_threads_reach_the_kernel_and_changed_cells_are_named(tmp_path):
    path = write_notebook(tmp_path)
    same = run_notebook(path, seed=0, threads=1, margins=MARGINS)
    assert (same["changed"], same["error"], same["torch threads"]) == ({}, None, 1)
    other = run_notebook(
        path, seed=1, threads=3, margins=MARGINS
    )  # more threads than most CI machines' cores
    assert other["torch threads"] == 3 and list(other["changed"]) == [2]
    stored, got = other["changed"][2]
    assert stored == {"stdout": [f"first draw: {first_draw(0)}\n"]} and got == {
        "stdout": [f"first draw: {first_draw(1)}\n"]
    }
    for run in (same, other):
        assert 0 < run["margins"]["mean within 0.1 of 0.5"] <= 0.1


def test_a_failing_cell_is_reported_with_what_was_measured_before_it(tmp_path):
    run = run_notebook(
        write_notebook(tmp_path, "raise ValueError('broken on purpose')"), seed=0, margins=MARGINS
    )
    assert "broken on purpose" in run["error"] and "mean within 0.1 of 0.5" in run["margins"]


def test_a_snippet_or_seed_line_that_does_not_fit_is_a_clear_error(tmp_path):
    path = write_notebook(tmp_path)
    with pytest.raises(LookupError, match="must match exactly one code cell, found 0"):
        run_notebook(path, margins={"no such code": {"claim": "1"}})
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "import torch"
    nbformat.write(nb, path)
    with pytest.raises(LookupError, match="one cell with the line 'SEED = 0'"):
        run_notebook(path)


def test_the_benchs_claims_point_at_one_cell_each_and_compile():
    """bench_checked_lines finds each claim's cell by a snippet: a notebook edit that loses it
    fails here, not hours into a bench."""
    from bench_checked_lines import CLAIMS, NOTEBOOKS

    for name, cells in CLAIMS.items():
        sources = [
            c.source
            for c in nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
            if c.cell_type == "code"
        ]
        for snippet, claims in cells.items():
            assert sum(snippet in source for source in sources) == 1, (
                f"{name}: {snippet!r} must match one code cell"
            )
            for claim, expression in claims.items():
                compile(expression, f"{name}: {claim}", "eval")
