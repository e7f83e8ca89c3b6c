"""Homework packs: student notebook + instructions, zipped, repeatable, only for assignments."""

import zipfile

import nbformat
import pytest
from notebook_factory import course_notebook, write

from course_tools import homework, student
from course_utils.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_homework_section_is_found_by_its_heading():
    assert homework.homework_section(course_notebook()) is None
    assert homework.homework_section(course_notebook(homework=True)) == (6, 12)


def test_pack_holds_the_student_notebook_and_instructions(tmp_path):
    path = write(course_notebook(homework=True), tmp_path / "nb" / "07_example.ipynb")
    pack = homework.build_pack(path, tmp_path / "out", timeout=120)
    assert pack.name == "07_example_homework.zip"
    with zipfile.ZipFile(pack) as zf:
        assert sorted(zf.namelist()) == [
            "07_example_homework/07_example.ipynb",
            "07_example_homework/INSTRUCTIONS.md",
        ]
        text = zf.read("07_example_homework/INSTRUCTIONS.md").decode()
        notebook = zf.read("07_example_homework/07_example.ipynb").decode()
    assert (
        notebook
        == nbformat.writes(student.student_version(nbformat.read(path, as_version=4))) + "\n"
    )
    for part in (
        "# Homework: 07 · Example",
        "## Task",
        "Write `double(x)`",
        "## What to submit",
        "## How it is checked",
        "120 s",
        "## Points",
        "| 2.1 | `double` | 1 |",
        "**total** | **2**",
    ):
        assert part in text, part
    assert "secret" not in text and "SOLUTION" not in text and "secret" not in notebook


def test_pack_is_byte_identical(tmp_path):
    path = write(course_notebook(homework=True), tmp_path / "nb" / "07_example.ipynb")
    first = homework.build_pack(path, tmp_path / "a").read_bytes()
    assert homework.build_pack(path, tmp_path / "b").read_bytes() == first


def test_a_notebook_without_homework_has_no_instructions():
    with pytest.raises(ValueError, match="Homework"):
        homework.instructions(course_notebook(), "07_example.ipynb")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_assignment_notebook_gets_a_pack(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    if homework.homework_section(nb) is None:
        pytest.skip("no Homework section")
    with zipfile.ZipFile(homework.build_pack(path, tmp_path)) as zf:
        text = zf.read(f"{path.stem}_homework/INSTRUCTIONS.md").decode()
    assert "## Points" in text and "SOLUTION" not in text


def test_instructions_ask_for_the_file_name_the_grader_reads():
    from course_tools.grading.submitted_files import parse_name

    text = homework.instructions(course_notebook(homework=True), "07_example.ipynb")
    assert "`s1234567_07_example.ipynb`" in text
    assert parse_name("s1234567_07_example.ipynb") == ("s1234567", "07")
