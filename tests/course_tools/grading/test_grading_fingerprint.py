"""The fingerprint that decides when to grade again covers every file that may change a grade."""

from pathlib import Path

from notebook_factory import course_notebook, write

import course_tools
from course_tools import grading, student
from course_tools.grading.fingerprint import _fingerprint, _key, deciding_sources
from course_tools.grading.limits import Limits


def test_the_fingerprint_covers_every_file_that_decides_a_grade():
    import course_utils

    packages = (Path(course_utils.__file__).parent, Path(course_tools.__file__).parent)
    every = {
        p for package in packages for p in package.rglob("*.py") if "__pycache__" not in p.parts
    }
    assert every <= set(deciding_sources())
    assert Path(student.__file__) in every  # find_exercises decides which cells are checks


def test_a_change_to_any_module_of_the_grading_package_grades_again(tmp_path, monkeypatch):
    teacher = write(course_notebook(), tmp_path / "07_example.ipynb")
    limits = Limits()
    before = _fingerprint(teacher, limits, True)
    modules = sorted(Path(grading.__file__).parent.glob("*.py"))
    assert len(modules) > 10 and Path(grading.__file__) in modules
    read_bytes = Path.read_bytes
    for module in modules:

        def edited(path, module=module):
            return read_bytes(path) + (b"\n# edited" if path == module else b"")

        monkeypatch.setattr(Path, "read_bytes", edited)
        after = _fingerprint(teacher, limits, True)
        assert after != before, f"a change to {module.name} would keep old grades"
        assert _key("alice_07.ipynb", b"{}", after) != _key(
            "alice_07.ipynb", b"{}", before
        )  # the grade's key
    monkeypatch.undo()
    assert (
        _fingerprint(teacher, limits, True) == before
    )  # control: nothing changed, nothing graded again
