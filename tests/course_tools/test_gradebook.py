"""The gradebook in points (plain, Moodle, Canvas), the homework's seed check and the feedback file per student."""

import csv
from pathlib import Path

import pytest

from course_tools.gradebook import check_points, write_feedback, write_gradebook
from course_tools.grading.reports import _inert, _md, write_reports
from course_tools.grading.result import Result

SAMPLES = Path(__file__).parents[1] / "data"
HOMEWORK_ITEMS = [
    "answer's form",
    "mini-batch SGD as the task asks",
    "test RMSE within 10% of the closed form",
    "weights within 5% of the truth",
    "same seed, same weights",
]
POSSIBLE = [1, 1, 2, 2, 1]


def homework(student, earned, seed, rmse="pass"):
    state = "pass" if earned == POSSIBLE else "fail"
    return Result(
        f"{student}_02_linear_regression.ipynb",
        "02_linear_regression.ipynb",
        student=student,
        seed=seed,
        checks={"rmse": rmse, "fit_linear_regression": state},
        messages={}
        if state == "pass"
        else {"fit_linear_regression": "not full marks yet: use `shuffle=True`"},
        items={
            "fit_linear_regression": [
                [w, e, p] for w, e, p in zip(HOMEWORK_ITEMS, earned, POSSIBLE)
            ]
        },
    )


def start(student, state="pass"):
    return Result(
        f"{student}_00_start_here.ipynb",
        "00_start_here.ipynb",
        student=student,
        checks={"column_sums": state},
        messages={} if state == "pass" else {"column_sums": "column_sums returned the row sums"},
    )


#: A class of four: full marks; full marks on another student's seed; 00 only (02 missing); 02 handed in blank.
CLASS = [
    homework("s1001", [1, 1, 2, 2, 1], "1001"),
    start("s1001"),
    homework("s1002", [1, 1, 2, 2, 1], "2024"),
    start("s1002", "fail"),
    start("s1003"),
    homework("s1004", [0, 0, 0, 0, 0], "1004", rmse="fail"),
    Result(
        "s1004_02_linear_regression_v2.ipynb",
        "02_linear_regression.ipynb",
        student="s1004",
        status="invalid",
        checks={"rmse": "not run", "fit_linear_regression": "not run"},
    ),
]


def test_a_homework_check_earns_its_items_points_and_a_plain_check_one():
    full, blank = CLASS[0], CLASS[5]
    assert check_points(full, "rmse") == (1, 1) and check_points(full, "fit_linear_regression") == (
        7,
        7,
    )
    assert check_points(blank, "fit_linear_regression") == (0, 7)
    partial = homework("s9", [1, 1, 0, 2, 1], "9")
    assert check_points(partial, "fit_linear_regression") == (
        5,
        7,
    )  # points for each item, not all or nothing
    tampered = Result("x_02.ipynb", checks={"fit_linear_regression": "tampered"}, items=full.items)
    assert check_points(tampered, "fit_linear_regression") == (0, 7)


@pytest.mark.parametrize("form", ["plain", "moodle", "canvas"])
def test_each_gradebook_format_is_its_documented_sample(tmp_path, form):
    path = write_gradebook(CLASS, tmp_path, form)
    sample = SAMPLES / path.name
    assert path.read_text(encoding="utf-8") == sample.read_text(encoding="utf-8"), (
        f"compare {path} with {sample}"
    )


def test_missing_is_blank_and_zero_is_zero_and_the_seed_is_checked(tmp_path):
    rows = {
        r["student"]: r
        for r in csv.DictReader(open(write_gradebook(CLASS, tmp_path), encoding="utf-8"))
    }
    rmse, item = (
        "02_linear_regression (of 1)",
        "02_linear_regression · fit_linear_regression: test RMSE within 10% of "
        "the closed form (of 2)",
    )
    assert rows["s1003"][rmse] == rows["s1003"][item] == ""  # never handed in
    assert rows["s1004"][rmse] == rows["s1004"][item] == "0"  # handed in, nothing earned
    assert (
        rows["s1001"][rmse] == "1"
        and rows["s1001"][item] == "2"
        and rows["s1001"]["total (of 9)"] == "9"
    )
    assert (
        rows["s1001"]["seed"] == "ok"
        and "MY_SEED is 2024, not the student number 1002" in rows["s1002"]["seed"]
    )


def test_each_student_gets_a_feedback_file_with_points_messages_and_items(tmp_path):
    write_reports(CLASS, tmp_path)
    folder = tmp_path / "feedback"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"s100{i}.{ext}" for i in range(1, 5) for ext in ("html", "md")
    ]
    md = (folder / "s1002.md").read_text(encoding="utf-8")
    assert (
        "02_linear_regression.ipynb: 8 of 8 points" in md
        and "00_start_here.ipynb: 0 of 1 points" in md
    )
    assert (
        "column_sums returned the row sums" in md
        and "fit_linear_regression · weights within 5% of the truth" in md
    )
    assert "MY_SEED is 2024, not the student number 1002" in md
    page = (folder / "s1004.html").read_text(encoding="utf-8")
    assert "<code>" not in page and "use `shuffle=True`" in page and "0 of 8 points" in page


def test_grades_md_has_a_table_per_notebook_and_no_escaped_backticks(tmp_path):
    write_reports(CLASS, tmp_path)
    md = (tmp_path / "grades.md").read_text(encoding="utf-8")
    assert "\\`" not in md and "<code>shuffle=True</code>" in md
    sections = md.split("\n## ")[1:]
    assert [s.splitlines()[0] for s in sections] == [
        "00_start_here.ipynb (3 submissions)",
        "02_linear_regression.ipynb (4 submissions)",
    ]
    assert "| submission | student | status | passed | column_sums | " in sections[0]
    assert "rmse" not in sections[0] and "column_sums" not in sections[1]


def test_feedback_and_gradebook_text_is_escaped(tmp_path):
    r = start("s1")
    r.messages["column_sums"] = "<script>alert(1)</script> see https://evil.example"
    write_feedback([r], tmp_path, _md, _inert)
    page = (tmp_path / "s1.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "https://" not in page
