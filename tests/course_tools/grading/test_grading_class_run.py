"""``grade``: a class graded, each submission on its own with a time limit, never modified, all reported;
shards, their merge, the gradebook, nothing graded twice; one student's strings stay in one row."""

import csv
import hashlib
import json
import os

import nbformat
import pytest
from grading_submissions import ISOLATE, LIMITS, WRONG, needs_bwrap, report_files, submission
from notebook_factory import course_notebook, write

from course_tools import student
from course_tools.cli import main
from course_tools.grading import class_run
from course_tools.grading.reports import _plain
from course_tools.grading.result import Result
from course_tools.grading.sandbox import SandboxUnavailable


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One folder holding every kind of submission, graded as two shards and merged (each costs a kernel start)."""
    tmp = tmp_path_factory.mktemp("grading")
    teacher = write(course_notebook(), tmp / "notebooks" / "07_example.ipynb")
    subs = tmp / "subs"
    write(course_notebook(), subs / "complete" / "07_example.ipynb")
    stub = student.student_version(course_notebook())
    stub.cells[7].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="✅ double(21) is correct\n")
    ]
    write(stub, subs / "stub_07.ipynb")  # a stored ✅ must not count
    crash = student.student_version(course_notebook())
    crash.cells[7].source = "def double(x):\n    return 2 * x"
    crash.cells[10].source = "import os\nos._exit(1)"
    write(crash, subs / "crash_07.ipynb")
    (subs / "garbage_07.ipynb").write_text('{"cells": [', encoding="utf-8")
    write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 07 · Example")]),
        subs / "nameless.ipynb",
    )
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*.ipynb")}
    shards = [
        class_run.grade(
            subs,
            tmp / f"shard{k}",
            timeout=300,
            notebooks=[teacher],
            shard=(k, 2),
            isolate=ISOLATE,
            progress=False,
        )
        for k in (1, 2)
    ]
    assert (
        main(
            [
                "grade",
                "--merge",
                str(tmp / "shard1"),
                str(tmp / "shard2"),
                "--out",
                str(tmp / "report"),
            ]
        )
        == 0
    )
    merged = json.loads((tmp / "report" / "results.json").read_text())["results"]
    results = {r["submission"]: Result.from_dict(r) for r in merged}
    return results, tmp, before, shards, teacher


def test_complete_submission_passes_every_check(graded):
    r = graded[0]["complete/07_example.ipynb"]
    assert (r.status, r.notebook, r.student, r.checks) == (
        "ok",
        "07_example.ipynb",
        "complete",
        {"double": "pass", "total": "pass"},
    )


def test_stub_fails_with_friendly_messages_and_stored_outputs_do_not_count(graded):
    r = graded[0]["stub_07.ipynb"]
    assert r.status == "ok" and r.checks == {"double": "fail", "total": "fail"}
    assert "double is not written yet" in r.messages["double"]
    assert "total is still None" in r.messages["total"]


def test_crash_is_reported_and_earlier_checks_still_count(graded):
    r = graded[0]["crash_07.ipynb"]
    assert r.status == "crashed" and "cell 10" in r.detail, r
    assert r.checks == {"double": "pass", "total": "not run"}


def test_invalid_and_unknown_notebooks_are_reported(graded):
    assert graded[0]["garbage_07.ipynb"].status == "invalid"
    r = graded[0]["nameless.ipynb"]  # its title says 07, but only the file name counts
    assert r.status == "unknown notebook" and "STUDENT_NN_name.ipynb" in r.detail


def test_submissions_are_never_modified(graded):
    _, tmp, before, _, _ = graded
    assert {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp / "subs").rglob("*.ipynb")
    } == before


def test_shards_split_the_folder_and_their_merge_reports_every_submission(graded):
    results, tmp, _, shards, _ = graded
    names = [{r.submission for r in shard} for shard in shards]
    assert not names[0] & names[1] and names[0] | names[1] == set(results) and len(results) == 5
    assert abs(len(names[0]) - len(names[1])) <= 1
    rows = list(csv.DictReader(open(tmp / "report" / "grades.csv", encoding="utf-8")))
    assert len(rows) == 5
    complete = next(r for r in rows if r["submission"] == "complete/07_example.ipynb")
    assert (
        complete["student"],
        complete["passed"],
        complete["total"],
        complete["check:double"],
        complete["check:total"],
    ) == ("complete", "2", "2", "pass", "pass")
    md = (tmp / "report" / "grades.md").read_text(encoding="utf-8")
    assert (
        "## 07_example.ipynb (4 submissions)" in md
        and "| complete/07_example.ipynb | complete | ok | 2/2 | ✅ | ✅ |" in md
    )
    assert "crash_07.ipynb**: crashed" in md and "garbage_07.ipynb**: invalid" in md
    assert "bubblewrap" in md or "NOT ISOLATED" in md


def test_the_gradebook_has_one_row_per_student(graded):
    _, tmp, _, _, _ = graded
    rows = list(csv.reader(open(tmp / "report" / "gradebook.csv", encoding="utf-8")))
    assert rows[0] == ["student", "07_example (of 2)", "total (of 2)", "seed"]
    assert sorted(rows[1:]) == [
        ["complete", "2", "2", ""],
        ["crash", "1", "1", ""],
        ["garbage", "0", "0", ""],
        ["stub", "0", "0", ""],
    ]


def test_a_second_run_grades_only_what_changed(graded, capsys):
    results, tmp, _, _, teacher = graded
    (tmp / "subs" / "garbage_07.ipynb").write_text(
        '{"cells": [}', encoding="utf-8"
    )  # changed (still invalid)
    capsys.readouterr()
    try:
        again = {
            r.submission: r
            for shard in (1, 2)
            for r in class_run.grade(
                tmp / "subs",
                tmp / f"shard{shard}",
                timeout=300,
                notebooks=[teacher],
                shard=(shard, 2),
                isolate=ISOLATE,
                progress=False,
            )
        }
    finally:
        (tmp / "subs" / "garbage_07.ipynb").write_text('{"cells": [', encoding="utf-8")
    out = capsys.readouterr().out
    assert "unchanged since the last run" in out
    graded_now = [line.split(":")[0] for line in out.splitlines() if "checks passed" in line]
    assert graded_now == ["garbage_07.ipynb"], out
    for name, r in again.items():
        assert (r.status, r.checks, r.messages) == (
            results[name].status,
            results[name].checks,
            results[name].messages,
        )


def test_a_missing_folder_is_explained(tmp_path):
    with pytest.raises(NotADirectoryError, match="SUBMISSIONS"):
        class_run.grade(tmp_path / "nope")


def test_shard_and_merge_options_are_explained(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    assert main(["grade", str(tmp_path / "subs"), "--shard", "3/2"]) == 2
    assert "1 <= K <= N" in capsys.readouterr().err
    assert main(["grade", "--merge", str(tmp_path / "nothing-here")]) == 2
    assert "results.json is missing" in capsys.readouterr().err


def test_without_isolation_grading_works_when_asked_and_says_so(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    write(course_notebook(), tmp_path / "subs" / "complete_07.ipynb")
    (r,) = class_run.grade(
        tmp_path / "subs",
        tmp_path / "report",
        timeout=120,
        notebooks=[teacher],
        isolate=False,
        progress=False,
    )
    assert (r.status, r.checks) == ("ok", {"double": "pass", "total": "pass"}), r
    assert "NOT ISOLATED" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")


def test_grading_refuses_to_run_without_the_sandbox_unless_told(tmp_path, monkeypatch, capsys):
    write(course_notebook(), tmp_path / "subs" / "alice_07.ipynb")
    monkeypatch.setattr(class_run, "bwrap_path", lambda: None)
    with pytest.raises(SandboxUnavailable, match="--unsafe-no-sandbox"):
        class_run.grade(
            tmp_path / "subs", tmp_path / "report", notebooks=[tmp_path / "subs" / "alice_07.ipynb"]
        )
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "report")]) == 2
    assert "CANNOT ISOLATE" in capsys.readouterr().err
    assert not (tmp_path / "report").exists()


@pytest.fixture(scope="module")
def round_three(tmp_path_factory):
    """A class graded twice: honest and wrong controls, a twin of the honest file, messages with a lone
    surrogate and a web address, a file name that is not UTF-8, and a file in another student's folder."""
    tmp = tmp_path_factory.mktemp("round3")
    teacher = write(course_notebook(), tmp / "notebooks" / "07_example.ipynb")
    subs = tmp / "subs"
    honest = write(course_notebook(), subs / "honest_07.ipynb")
    (subs / "twin_07.ipynb").write_bytes(honest.read_bytes())
    write(submission(), subs / "wrong_07.ipynb")
    write(
        submission(double="def double(x):\n    raise ValueError('no ' + chr(0xDC80) + ' way')"),
        subs / "lone_07.ipynb",
    )
    write(
        submission(
            double="def double(x):\n    raise ValueError('log in at https://evil.example/login')"
        ),
        subs / "url_07.ipynb",
    )
    os.makedirs(subs / "bob")
    (subs / "bob" / "alice_07.ipynb").write_bytes(honest.read_bytes())
    with open(os.path.join(os.fsencode(subs), b"caf\xe9_07.ipynb"), "wb") as f:
        f.write(honest.read_bytes())
    runs = [
        class_run.grade(
            subs, tmp / "report", notebooks=[teacher], limits=LIMITS, progress=False, jobs=2
        )
        for _ in range(2)
    ]
    return [{_plain(r.submission): r for r in run} for run in runs], tmp


@needs_bwrap
def test_one_students_strings_stay_in_one_row_of_a_real_run(round_three):
    (first, _), tmp = round_three
    assert first["honest_07.ipynb"].checks == {"double": "pass", "total": "pass"}
    assert first["wrong_07.ipynb"].checks == WRONG
    files = report_files(tmp / "report")
    assert "no \ufffd way" in files["grades.md"] and "no \ufffd way" in files["grades.csv"]
    assert (
        "https://evil" not in files["grades.md"]
        and "https\\[:\\]//evil.example" in files["grades.md"]
    )
    rows = list(csv.DictReader(files["grades.csv"].splitlines()))
    assert len(rows) == 7 and "caf\ufffd_07.ipynb" in {r["submission"] for r in rows}
    conflict = first["bob/alice_07.ipynb"]
    assert (
        conflict.student == "bob" and conflict.passed == 2 and "named for alice" in conflict.detail
    )


@needs_bwrap
def test_byte_identical_files_of_two_students_are_not_regraded(round_three, capsys):
    (first, again), _ = round_three
    assert first["twin_07.ipynb"].passed == first["honest_07.ipynb"].passed == 2
    for name, r in again.items():  # nothing changed: every grade kept, the twins' each
        assert (r.status, r.checks, r.key) == (
            first[name].status,
            first[name].checks,
            first[name].key,
        ), name
    assert again["twin_07.ipynb"].key != again["honest_07.ipynb"].key
