"""The teacher's check cells: found in a submission by their source; the grader runs their check statements only."""

import nbformat
from notebook_factory import FUNCTION_CHECK

from course_tools.grading.check_cells import Check, _matching_cells, check_statements


def test_a_check_cell_is_found_by_its_source_and_an_edited_one_is_missing():
    checks = [Check("double", FUNCTION_CHECK), Check("total", "check_close(total, 10.0)")]
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(FUNCTION_CHECK + "  \n"),
            nbformat.v4.new_code_cell("print('✅ total is correct')"),
        ]
    )
    assert _matching_cells(nb, checks) == {0: checks[0]}


def test_the_grader_runs_a_check_cells_check_statements_only():
    source = (
        "from course_utils.exercises.nb02_linear_regression import check_dataset\n\ncheck_dataset(Pairs)\n"
        "loader = DataLoader(Pairs(X, y), batch_size=32)\nxb, yb = next(iter(loader))"
    )
    assert check_statements(source).splitlines()[-1] == "check_dataset(Pairs)"
