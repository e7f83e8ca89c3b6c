"""``grade_one``: one submission run in its sandbox and judged; a stop is its own status, where it happened."""

from grading_submissions import ISOLATE
from notebook_factory import course_notebook, write

from course_tools.grading import class_run


def test_hang_is_stopped_by_the_time_limit(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    hang = course_notebook()
    hang.cells[10].source = "import time\ntime.sleep(600)"
    write(hang, tmp_path / "subs" / "hang_07.ipynb")
    (r,) = class_run.grade(
        tmp_path / "subs",
        tmp_path / "report",
        timeout=15,
        notebooks=[teacher],
        isolate=ISOLATE,
        progress=False,
    )
    assert r.status == "time limit" and "in cell 10" in r.detail, r
    assert r.checks == {"double": "pass", "total": "not run"}
    assert "hang_07.ipynb**: time limit" in (tmp_path / "report" / "grades.md").read_text(
        encoding="utf-8"
    )
