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
    assert r.status == "crashed" and "cell 10" in r.detail
    assert r.checks == {"double": "pass", "total": "not run"}


def test_hang_is_stopped_by_the_time_limit(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    hang = course_notebook()
    hang.cells[10].source = "import time\ntime.sleep(600)"
    write(hang, tmp_path / "subs" / "hang_07.ipynb")
    (r,) = grading.grade(tmp_path / "subs", tmp_path / "report", timeout=5, notebooks=[teacher])
    assert r.status == "timed out" and "still running cell" in r.detail
    assert r.checks["total"] == "not run"
    assert "hang_07.ipynb**: timed out" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")


def executed_check(source, outputs, execution_count=1):
    cell = nbformat.v4.new_code_cell(source, execution_count=execution_count)
    cell.outputs = outputs
    return nbformat.v4.new_notebook(cells=[cell])


def test_judge_reads_every_outcome_of_a_check():
    check = grading.Check("double", FUNCTION_CHECK)
    ok = nbformat.v4.new_output("stream", name="stdout", text="✅ double(21) is correct\n")
    failed = nbformat.v4.new_output("error", ename="CheckFailed", evalue="double(21) is 41, expected 42", traceback=[])
    raw = nbformat.v4.new_output("error", ename="NameError", evalue="name 'double' is not defined", traceback=[])
    assert grading.judge(executed_check(FUNCTION_CHECK, [ok]), check) == ("pass", "")
    assert grading.judge(executed_check(FUNCTION_CHECK + "  \n", [failed]), check) == (
        "fail", "double(21) is 41, expected 42")
    assert grading.judge(executed_check(FUNCTION_CHECK, [raw]), check) == (
        "error", "NameError: name 'double' is not defined")
    assert grading.judge(executed_check(FUNCTION_CHECK, []), check)[0] == "fail"  # no ✅ printed
    assert grading.judge(executed_check(FUNCTION_CHECK, [ok], None), check)[0] == "not run"
    edited = executed_check("print('✅ double(21) is correct')", [ok])
    assert grading.judge(edited, check)[0] == "missing"


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


def test_a_missing_folder_is_explained(tmp_path):
    with pytest.raises(NotADirectoryError, match="SUBMISSIONS"):
        grading.grade(tmp_path / "nope")
