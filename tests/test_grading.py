"""make grade: each submission run on its own with a time limit, never modified, all reported."""

import csv
import hashlib

import nbformat
import pytest
from notebook_factory import FUNCTION_CHECK, course_notebook, write

from course_tools import grading, student


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade one folder holding every kind of submission once (each costs a kernel start)."""
    tmp = tmp_path_factory.mktemp("grading")
    teacher = write(course_notebook(), tmp / "notebooks" / "07_example.ipynb")
    subs = tmp / "subs"
    write(course_notebook(), subs / "complete" / "07_example.ipynb")
    stub = student.student_version(course_notebook())
    stub.cells[7].outputs = [nbformat.v4.new_output("stream", name="stdout", text="✅ double(21) is correct\n")]
    write(stub, subs / "stub_07.ipynb")  # a stored ✅ must not count
    crash = student.student_version(course_notebook())
    crash.cells[7].source = "def double(x):\n    return 2 * x"
    crash.cells[10].source = "import os\nos._exit(1)"
    write(crash, subs / "crash_07.ipynb")
    (subs / "garbage_07.ipynb").write_text('{"cells": [', encoding="utf-8")
    write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hi")]), subs / "nameless.ipynb")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*.ipynb")}
    results = grading.grade(subs, tmp / "report", timeout=300, notebooks=[teacher])
    return {r.submission: r for r in results}, tmp, before


def test_complete_submission_passes_every_check(graded):
    r = graded[0]["complete/07_example.ipynb"]
    assert (r.status, r.notebook, r.checks) == ("ok", "07_example.ipynb", {"double": "pass", "total": "pass"})


def test_stub_fails_with_friendly_messages_and_stored_outputs_do_not_count(graded):
    r = graded[0]["stub_07.ipynb"]
    assert r.status == "ok" and r.checks == {"double": "fail", "total": "fail"}
    assert "double is not written yet" in r.messages["double"]
    assert "total is still None" in r.messages["total"]


def test_crash_is_reported_and_earlier_checks_still_count(graded):
    r = graded[0]["crash_07.ipynb"]
    assert r.status == "crashed" and "cell 10" in r.detail, r
    assert r.checks == {"double": "pass", "total": "not run"}


def test_hang_is_stopped_by_the_time_limit(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    hang = course_notebook()
    hang.cells[10].source = "import time\ntime.sleep(600)"
    write(hang, tmp_path / "subs" / "hang_07.ipynb")
    (r,) = grading.grade(tmp_path / "subs", tmp_path / "report", timeout=5, notebooks=[teacher])
    assert r.status == "time limit" and "still running cell 10" in r.detail, r
    assert r.checks == {"double": "pass", "total": "not run"}
    assert "hang_07.ipynb**: time limit" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")


def test_a_check_cell_is_found_by_its_source_and_an_edited_one_is_missing():
    checks = [grading.Check("double", FUNCTION_CHECK), grading.Check("total", "check_close(total, 10.0)")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FUNCTION_CHECK + "  \n"),
                                         nbformat.v4.new_code_cell("print('✅ total is correct')")])
    assert grading._matching_cells(nb, checks) == {0: checks[0]}


def test_tampering_is_named_and_honest_settings_are_not():
    def found(source):
        return grading.tampering(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]),
                                 nbformat.v4.new_notebook())
    assert found("import course_utils.checks as c\nc.check_close = print") == ["cell 0 replaces c.check_close"]
    assert found("get_ipython().set_custom_exc((Exception,), f)") == [
        "cell 0 hooks IPython (get_ipython().set_custom_exc)"]
    assert found("get_ipython().showtraceback = f") == ["cell 0 hooks IPython (get_ipython().showtraceback)"]
    assert found("import sys\nsys.modules['torch'] = None") == ["cell 0 writes into sys.modules"]
    assert found("setattr(torch, 'allclose', f)") == ["cell 0 calls setattr on torch"]
    assert found("import torch\ntorch.backends.cudnn.deterministic = True\nx = torch.ones(2)\nx.data = x") == []


def test_invalid_and_unknown_notebooks_are_reported(graded):
    assert graded[0]["garbage_07.ipynb"].status == "invalid"
    assert graded[0]["nameless.ipynb"].status == "unknown notebook"


def test_submissions_are_never_modified(graded):
    _, tmp, before = graded
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp / "subs").rglob("*.ipynb")} == before


def test_reports_list_every_submission(graded):
    _, tmp, _ = graded
    rows = list(csv.DictReader(open(tmp / "report" / "grades.csv", encoding="utf-8")))
    assert len(rows) == 5
    complete = next(r for r in rows if r["submission"] == "complete/07_example.ipynb")
    assert (complete["passed"], complete["total"], complete["check:double"], complete["check:total"]) == ("2", "2", "pass", "pass")
    md = (tmp / "report" / "grades.md").read_text(encoding="utf-8")
    assert "| complete/07_example.ipynb | 07_example.ipynb | ok | 2/2 | ✅ | ✅ |" in md
    assert "crash_07.ipynb**: crashed" in md and "garbage_07.ipynb**: invalid" in md
    assert "bubblewrap" in md or "NOT ISOLATED" in md


def test_a_missing_folder_is_explained(tmp_path):
    with pytest.raises(NotADirectoryError, match="SUBMISSIONS"):
        grading.grade(tmp_path / "nope")


def test_without_isolation_grading_still_works_and_says_so(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    write(course_notebook(), tmp_path / "subs" / "complete_07.ipynb")
    (r,) = grading.grade(tmp_path / "subs", tmp_path / "report", timeout=120, notebooks=[teacher], isolate=False)
    assert (r.status, r.checks) == ("ok", {"double": "pass", "total": "pass"}), r
    assert "NOT ISOLATED" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")


def _gradient_notebook(bce_body, derivative_body):
    """A teacher-style notebook whose checks watch how the answer is computed (autograd, torch calls)."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 07 · Gradients"), nbformat.v4.new_code_cell("import torch"),
        nbformat.v4.new_markdown_cell("**Exercise 1.1.** `bce`"),
        nbformat.v4.new_code_cell(f"def bce(p, y):\n    ### BEGIN SOLUTION\n    {bce_body}\n    ### END SOLUTION"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nfrom course_utils.exercises.nb03_mlp import check_bce\ncheck_bce(bce)"),
        nbformat.v4.new_markdown_cell("**Exercise 1.2.** `derivative`"),
        nbformat.v4.new_code_cell(f"def derivative(f, x0):\n    ### BEGIN SOLUTION\n    {derivative_body}\n    ### END SOLUTION"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nfrom course_utils.exercises.nb01_tensors import check_derivative\n"
                                  "check_derivative(derivative)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_checks_that_watch_autograd_and_torch_calls_grade_right(tmp_path):
    right = ("return -(y * p.log() + (1 - y) * (1 - p).log()).mean()",
             "x = torch.tensor(x0, requires_grad=True)\n    f(x).backward()\n    return x.grad.item()")
    teacher = write(_gradient_notebook(*right), tmp_path / "07_gradients.ipynb")
    write(_gradient_notebook(*right), tmp_path / "subs" / "right_07.ipynb")
    write(_gradient_notebook("return torch.nn.functional.binary_cross_entropy(p, y)",  # right value, forbidden way
                             "h = 1e-4\n    return ((f(torch.tensor(x0 + h)) - f(torch.tensor(x0 - h))) / (2 * h)).item()"),
          tmp_path / "subs" / "rules_07.ipynb")
    graded = {r.submission: r for r in grading.grade(tmp_path / "subs", tmp_path / "report", timeout=120,
                                                     notebooks=[teacher])}
    # The gradient of bce, computed in the kernel, reaches the grader's check through its Jacobian.
    assert graded["right_07.ipynb"].checks == {"bce": "pass", "derivative": "pass"}, graded["right_07.ipynb"]
    rules = graded["rules_07.ipynb"]
    assert rules.checks == {"bce": "fail", "derivative": "fail"}, rules
    assert "PyTorch's own loss" in rules.messages["bce"] and "did not use autograd" in rules.messages["derivative"]
