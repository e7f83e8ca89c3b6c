"""The class's reports: no string a submission sends or is named breaks them; links in messages are inert."""

import csv
import json

from grading_submissions import report_files

from course_tools.grading.reports import write_reports
from course_tools.grading.result import Result


def test_no_string_a_submission_sends_or_is_named_breaks_the_class_report(tmp_path):
    lone = chr(
        0xDC80
    )  # a lone surrogate: what an undecodable byte of a file name becomes in Python
    honest = Result(
        "alice_07.ipynb", "07_example.ipynb", checks={"double": "pass"}, student="alice"
    )
    hostile = Result(
        f"caf{chr(0xDCE9)}_07.ipynb",
        "07_example.ipynb",
        detail=f"odd {lone}",
        checks={"double": "error"},
        messages={"double": f"ValueError: no {lone} way"},
    )
    write_reports([honest, hostile], tmp_path)
    files = report_files(tmp_path)
    assert set(files) == {"grades.csv", "grades.md", "gradebook.csv", "results.json"}
    assert not any(lone in text or "\\udc" in text for text in files.values())
    rows = list(csv.DictReader(files["grades.csv"].splitlines()))
    assert [r["submission"] for r in rows] == ["alice_07.ipynb", "caf\ufffd_07.ipynb"]
    assert rows[0]["check:double"] == "pass" and "no \ufffd way" in rows[1]["detail"]
    assert [r["submission"] for r in json.loads(files["results.json"])["results"]] == [
        "alice_07.ipynb",
        "caf\ufffd_07.ipynb",
    ]


def test_links_in_messages_are_not_live_in_any_report(tmp_path):
    bait = "log in at https://evil.example/login, www.evil.example or help@evil.example"
    plain = "double(21) is 43, expected 42"
    write_reports(
        [
            Result(
                "a_07.ipynb",
                "07_example.ipynb",
                checks={"double": "fail", "total": "fail"},
                messages={"double": bait, "total": plain},
                student="a",
            )
        ],
        tmp_path,
    )
    files = report_files(tmp_path)
    for name in ("grades.md", "grades.csv"):
        assert "https://" not in files[name] and "www.evil" not in files[name], name
    assert (
        "help@evil" not in files["grades.md"]
        and "https\\[:\\]//evil.example/login" in files["grades.md"]
    )
    assert "https[:]//evil.example/login" in files["grades.csv"]
    assert (
        plain in files["grades.md"] and plain in files["grades.csv"]
    )  # an honest message is shown as it is
