"""`course`, the teachers' and maintainers' command, on a small checkout of its own."""

import re
from pathlib import Path

import nbformat
import pytest
from notebook_factory import REPO, course_guide, course_notebook, write, write_guide

from course_tools.cli import main, parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A course checkout with one notebook, its Colab links pointing at the test repository."""
    text = (ROOT / "pyproject.toml").read_text()
    real = text.split('Repository = "', 1)[1].split('"', 1)[0]
    (tmp_path / "pyproject.toml").write_text(text.replace(real, REPO))
    write_guide(
        course_guide("07"),
        write(course_notebook("07"), tmp_path / "notebooks" / "07_example.ipynb"),
    )
    (tmp_path / "notebooks" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks" / "sub")  # any folder inside the checkout
    return tmp_path


def test_output_folders_default_to_build_in_the_checkout_found_when_it_runs(checkout, capsys):
    assert main(["student"]) == 0
    assert (checkout / "build" / "student" / "07_example.ipynb").is_file()
    assert "(double, total)" in capsys.readouterr().out
    assert main(["student", "--out", str(checkout / "elsewhere")]) == 0
    assert (checkout / "elsewhere" / "07_example.ipynb").is_file()


def test_slides_for_students_by_default_and_for_the_teacher_when_asked(
    checkout, capsys, monkeypatch
):
    from course_tools import editions

    assert main(["slides", "--jobs", "1"]) == 0
    students = checkout / "build" / "slides" / "07_example.slides.html"
    assert capsys.readouterr().err.count("running 07_example.ipynb") == 1
    assert main(["slides", "--teacher"]) == 0
    teacher = checkout / "build" / "teacher" / "slides" / "07_example.slides.html"
    assert "running" not in capsys.readouterr().err, (
        "the teacher's decks reuse the executed notebook"
    )
    assert (
        "secret-function-answer" in teacher.read_text()
        and "guide-demo-marker" in teacher.read_text()
    )
    assert (
        "secret-function-answer" not in students.read_text()
        and "guide-demo-marker" not in students.read_text()
    )
    monkeypatch.setattr(
        editions, "student_edition", lambda nb: nb
    )  # a bug that would leak the solutions
    assert main(["slides"]) == 1
    assert "the students' edition would show what students must not see" in capsys.readouterr().err
    assert not students.exists()


def test_check_reports_conventions_and_prose(checkout, capsys):
    assert main(["check"]) == 0, capsys.readouterr().out
    path = checkout / "notebooks" / "07_example.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[5].source = "It printed 3.14159."
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="left over\n")]
    nbformat.write(nb, path)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "code cell 2 has stored outputs" in out and "3.14159 is not printed" in out
    assert main(["clean"]) == 0
    assert nbformat.read(path, as_version=4).cells[2].outputs == []


def test_check_reports_each_notebooks_size_and_its_guide(checkout, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"07_example\.ipynb +13 +\d+\n", out), out  # the size table: 13 cells
    assert "cells (max 50)" in out and "words (max 2,500)" in out and "teacher's guide" in out
    path = checkout / "notebooks" / "07_example.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells += [nbformat.v4.new_markdown_cell("word " * 2500)] + [
        nbformat.v4.new_code_cell() for _ in range(37)
    ]
    nbformat.write(nb, path)
    (checkout / "guide" / "07_example.md").unlink()
    (checkout / "guide" / "09_gone.md").write_text("# 09 · Gone: teacher's guide\n")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "07_example.ipynb: 51 cells, over the limit of 50 for one lab session" in out
    assert re.search(
        r"07_example\.ipynb: 2,5\d\d words of markdown prose, over the limit of 2,500", out
    ), out
    assert "07_example.ipynb: no teacher's guide: write guide/07_example.md" in out
    assert "guide/09_gone.md: no notebook 09_gone.ipynb" in out
    assert "<- over" in out


def test_slide_tags_then_check(checkout, capsys):
    assert main(["slide-tags", "--check"]) == 1
    assert main(["slide-tags"]) == 0
    assert "set the slide metadata of 07_example.ipynb" in capsys.readouterr().out
    assert main(["slide-tags", "--check"]) == 0


def test_refresh_runs_the_notebook_and_keeps_only_checked_outputs(checkout):
    path = checkout / "notebooks" / "07_example.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)
    assert main(["refresh", str(path)]) == 0
    cells = nbformat.read(path, as_version=4).cells
    assert cells[4].outputs[0].text == "3.142\n" and cells[4].execution_count is not None
    assert cells[8].outputs[0].text == "✅ double(21) is correct\n"
    assert cells[2].outputs == [] and cells[2].execution_count is None


def test_grade_needs_a_folder(checkout, capsys):
    assert main(["grade", str(checkout / "missing")]) == 2
    assert "must be a folder" in capsys.readouterr().err


def test_outside_a_checkout_the_error_says_where_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert "run the course tools inside the course's folder" in capsys.readouterr().err


def test_a_missing_teacher_dependency_says_how_to_install_it(checkout):
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['nbgrader'] = None  # as after `make lab` alone\n"
        "from course_tools.cli import main; sys.exit(main(['student']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "course student needs nbgrader, which is not installed: run `make setup` "
        "(or `pip install -c constraints.txt -e '.[teach]'`)"
    )


def test_every_subcommand_has_help():
    for command in (
        "student",
        "homework",
        "grade",
        "slides",
        "slide-tags",
        "html",
        "check",
        "clean",
        "refresh",
        "badges",
    ):
        with pytest.raises(SystemExit) as done:
            parser().parse_args([command, "--help"])
        assert done.value.code == 0
