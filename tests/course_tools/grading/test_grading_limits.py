"""The limits of one submission: in words, the same for students and teachers."""

from pathlib import Path

import nbformat

import course_tools
from course_tools.grading.limits import time_limit


def test_the_time_limit_is_described_once_for_students_and_teachers():
    from course_tools.homework import instructions
    from course_tools.notebook_tools import course_notebooks

    text = " ".join(
        instructions(nbformat.read(course_notebooks()[2], as_version=4), "02_x.ipynb", 300).split()
    )
    assert time_limit(300) in text and "for the whole notebook" not in text
    readme = " ".join(
        (Path(course_tools.__file__).parents[1] / "README.md").read_text(encoding="utf-8").split()
    )
    assert (
        time_limit(300).replace("300 s", "`TIMEOUT` s") + ": the words of the homework's" in readme
    )
