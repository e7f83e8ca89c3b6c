"""make grade: each submission run on its own with a time limit, never modified, all reported;
shards, their merge, the gradebook, and nothing graded twice."""

import csv
import hashlib
import json

import nbformat
import pytest
from notebook_factory import FUNCTION_CHECK, course_notebook, write

from course_tools import grading, student
from course_tools.answers import ProtocolError, check_statements, decode, encode
from course_tools.cli import main
from course_tools.sandbox import bwrap_path

ISOLATE = bwrap_path() is not None  # without bubblewrap (macOS) the tests grade unisolated, as the teacher must ask


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One folder holding every kind of submission, graded as two shards and merged (each costs a kernel start)."""
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
    write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 07 · Example")]), subs / "nameless.ipynb")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*.ipynb")}
    shards = [grading.grade(subs, tmp / f"shard{k}", timeout=300, notebooks=[teacher], shard=(k, 2), isolate=ISOLATE,
                            progress=False) for k in (1, 2)]
    assert main(["grade", "--merge", str(tmp / "shard1"), str(tmp / "shard2"), "--out", str(tmp / "report")]) == 0
    merged = json.loads((tmp / "report" / "results.json").read_text())["results"]
    results = {r["submission"]: grading.Result.from_dict(r) for r in merged}
    return results, tmp, before, shards, teacher


def test_complete_submission_passes_every_check(graded):
    r = graded[0]["complete/07_example.ipynb"]
    assert (r.status, r.notebook, r.student, r.checks) == ("ok", "07_example.ipynb", "complete",
                                                           {"double": "pass", "total": "pass"})


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
    (r,) = grading.grade(tmp_path / "subs", tmp_path / "report", timeout=15, notebooks=[teacher], isolate=ISOLATE,
                         progress=False)
    assert r.status == "time limit" and "in cell 10" in r.detail, r
    assert r.checks == {"double": "pass", "total": "not run"}
    assert "hang_07.ipynb**: time limit" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")


def test_a_check_cell_is_found_by_its_source_and_an_edited_one_is_missing():
    checks = [grading.Check("double", FUNCTION_CHECK), grading.Check("total", "check_close(total, 10.0)")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FUNCTION_CHECK + "  \n"),
                                         nbformat.v4.new_code_cell("print('✅ total is correct')")])
    assert grading._matching_cells(nb, checks) == {0: checks[0]}


def test_tampering_is_named_and_honest_settings_are_not():
    teacher = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from course_utils.exercises.nb03_mlp import check_bce\ncheck_bce(bce)")])

    def found(source):
        return grading.tampering(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), teacher)
    assert found("import course_utils.checks as c\nc.check_close = print") == ["cell 0 replaces c.check_close"]
    assert found("get_ipython().set_custom_exc((Exception,), f)") == [
        "cell 0 hooks IPython (get_ipython().set_custom_exc)"]
    assert found("get_ipython().showtraceback = f") == ["cell 0 hooks IPython (get_ipython().showtraceback)"]
    assert found("import sys\nsys.modules['torch'] = None") == ["cell 0 writes into sys.modules"]
    assert found("setattr(torch, 'allclose', f)") == ["cell 0 calls setattr on torch"]
    assert found("def check_bce(bce):\n    print('✅')") == ["cell 0 defines its own check_bce"]
    assert found("%time torch.allclose = f") == ["cell 0 replaces torch.allclose"]
    assert found("%%capture\nimport torch\ntorch.isclose = f") == ["cell 0 replaces torch.isclose"]
    assert found("f.__code__ = g.__code__") == ["cell 0 replaces f.__code__"]
    assert found("exec(base64.b64decode(text))") == ["cell 0 runs code the grader cannot read (exec)"]
    assert found("m = importlib.import_module('course_utils.checks')\nsetattr(m, 'passed', f)") == [
        "cell 0 calls setattr on m"]
    honest = ("import torch\ntorch.backends.cudnn.deterministic = True\nx = torch.ones(2)\nx.data = x\n"
              "%matplotlib inline\nmodel = getattr(torch.nn, 'ReLU')()\n!pip list")
    assert found(honest) == []


def test_invalid_and_unknown_notebooks_are_reported(graded):
    assert graded[0]["garbage_07.ipynb"].status == "invalid"
    r = graded[0]["nameless.ipynb"]  # its title says 07, but only the file name counts
    assert r.status == "unknown notebook" and "STUDENT_NN_name.ipynb" in r.detail


def test_submissions_are_never_modified(graded):
    _, tmp, before, _, _ = graded
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp / "subs").rglob("*.ipynb")} == before


def test_shards_split_the_folder_and_their_merge_reports_every_submission(graded):
    results, tmp, _, shards, _ = graded
    names = [{r.submission for r in shard} for shard in shards]
    assert not names[0] & names[1] and names[0] | names[1] == set(results) and len(results) == 5
    assert abs(len(names[0]) - len(names[1])) <= 1
    rows = list(csv.DictReader(open(tmp / "report" / "grades.csv", encoding="utf-8")))
    assert len(rows) == 5
    complete = next(r for r in rows if r["submission"] == "complete/07_example.ipynb")
    assert (complete["student"], complete["passed"], complete["total"], complete["check:double"],
            complete["check:total"]) == ("complete", "2", "2", "pass", "pass")
    md = (tmp / "report" / "grades.md").read_text(encoding="utf-8")
    assert "## 07_example.ipynb (4 submissions)" in md and "| complete/07_example.ipynb | complete | ok | 2/2 | ✅ | ✅ |" in md
    assert "crash_07.ipynb**: crashed" in md and "garbage_07.ipynb**: invalid" in md
    assert "bubblewrap" in md or "NOT ISOLATED" in md


def test_the_gradebook_has_one_row_per_student(graded):
    _, tmp, _, _, _ = graded
    rows = list(csv.reader(open(tmp / "report" / "gradebook.csv", encoding="utf-8")))
    assert rows[0] == ["student", "07_example (of 2)", "total (of 2)", "seed"]
    assert sorted(rows[1:]) == [["complete", "2", "2", ""], ["crash", "1", "1", ""], ["garbage", "0", "0", ""],
                                ["stub", "0", "0", ""]]


def test_a_second_run_grades_only_what_changed(graded, capsys):
    results, tmp, _, _, teacher = graded
    (tmp / "subs" / "garbage_07.ipynb").write_text('{"cells": [}', encoding="utf-8")  # changed (still invalid)
    capsys.readouterr()
    try:
        again = {r.submission: r for shard in (1, 2) for r in grading.grade(
            tmp / "subs", tmp / f"shard{shard}", timeout=300, notebooks=[teacher], shard=(shard, 2), isolate=ISOLATE,
            progress=False)}
    finally:
        (tmp / "subs" / "garbage_07.ipynb").write_text('{"cells": [', encoding="utf-8")
    out = capsys.readouterr().out
    assert "unchanged since the last run" in out
    graded_now = [line.split(":")[0] for line in out.splitlines() if "checks passed" in line]
    assert graded_now == ["garbage_07.ipynb"], out
    for name, r in again.items():
        assert (r.status, r.checks, r.messages) == (results[name].status, results[name].checks, results[name].messages)


def test_a_missing_folder_is_explained(tmp_path):
    with pytest.raises(NotADirectoryError, match="SUBMISSIONS"):
        grading.grade(tmp_path / "nope")


def test_shard_and_merge_options_are_explained(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    assert main(["grade", str(tmp_path / "subs"), "--shard", "3/2"]) == 2
    assert "1 <= K <= N" in capsys.readouterr().err
    assert main(["grade", "--merge", str(tmp_path / "nothing-here")]) == 2
    assert "results.json is missing" in capsys.readouterr().err


def test_without_isolation_grading_works_when_asked_and_says_so(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    write(course_notebook(), tmp_path / "subs" / "complete_07.ipynb")
    (r,) = grading.grade(tmp_path / "subs", tmp_path / "report", timeout=120, notebooks=[teacher], isolate=False,
                         progress=False)
    assert (r.status, r.checks) == ("ok", {"double": "pass", "total": "pass"}), r
    assert "NOT ISOLATED" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")


def test_file_names_follow_the_documented_pattern_only():
    assert grading.parse_name("s1234567_02_linear_regression.ipynb") == ("s1234567", "02")
    assert grading.parse_name("alice.smith@uni.edu_04.ipynb") == ("alice.smith@uni.edu", "04")
    assert grading.parse_name("bob/03_mlp.ipynb") == ("bob", "03")
    assert grading.parse_name("course/bob/03_mlp.ipynb") == ("bob", "03")
    assert grading.parse_name("bob_03_notes_07.ipynb") == ("bob", "03")  # the number right after the id, never a later one
    for name in ("notes_v2_03.ipynb", "my_homework_02.ipynb", "03_mlp.ipynb", "bob/3_mlp.ipynb", "_03.ipynb"):
        assert grading.parse_name(name) is None, name  # no guessing from a number somewhere in the name


def test_answers_travel_as_checked_data():
    import torch

    value = {"w": torch.arange(6.0).reshape(2, 3), "n": 3, "s": torch.Size([2]), "f": float("nan")}
    back = decode(encode(value))
    assert torch.equal(back["w"], value["w"]) and back["n"] == 3 and back["s"] == torch.Size([2]) and back["f"] != back["f"]
    for bad in ({"t": "tensor", "dtype": "float32", "shape": [1000], "data": ""},  # data that does not fit its shape
                {"t": "tensor", "dtype": "object", "shape": [], "data": ""}, {"t": "remote", "key": 1},
                {"t": "list", "v": [{"t": "list", "v": []}] * 3 + [{"t": "x"}]}, [1, 2]):
        with pytest.raises(ProtocolError):
            decode(bad)


def test_the_grader_runs_a_check_cells_check_statements_only():
    source = ("from course_utils.exercises.nb02_linear_regression import check_dataset\n\ncheck_dataset(Pairs)\n"
              "loader = DataLoader(Pairs(X, y), batch_size=32)\nxb, yb = next(iter(loader))")
    assert check_statements(source).splitlines()[-1] == "check_dataset(Pairs)"


def test_the_time_limit_is_described_once_for_students_and_teachers():
    from course_tools.homework import instructions
    from course_tools.notebook_tools import course_notebooks
    from course_tools.sandbox import time_limit

    text = " ".join(instructions(nbformat.read(course_notebooks()[2], as_version=4), "02_x.ipynb", 300).split())
    assert time_limit(300) in text and "for the whole notebook" not in text
    readme = " ".join((grading.Path(grading.__file__).parents[1] / "README.md").read_text(encoding="utf-8").split())
    assert time_limit(300).replace("300 s", "`TIMEOUT` s") + ": the words of the homework's" in readme
