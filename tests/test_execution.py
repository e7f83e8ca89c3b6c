"""course_tools.execution: the one place notebooks run (refresh, site, slides, grader)."""

import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook
from notebook_factory import course_notebook, write

from course_tools import execution


def test_a_run_in_the_notebooks_folder_keeps_its_outputs(tmp_path):
    (tmp_path / "data.txt").write_text("41")
    nb = new_notebook(cells=[new_code_cell("print(int(open('data.txt').read()) + 1)")])
    assert execution.run_notebook(nb, tmp_path, timeout=120) == ""
    assert nb.cells[0].outputs[0].text == "42\n" and nb.cells[0].execution_count == 1


def test_a_failing_cell_stops_the_run(tmp_path):
    nb = new_notebook(cells=[new_code_cell("1 / 0"), new_code_cell("print('after')")])
    path = write(nb, tmp_path / "07_x.ipynb")
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        execution.run_file(path, timeout=120)


def test_the_time_limit_is_for_the_whole_run(tmp_path):
    nb = new_notebook(cells=[new_code_cell("import time; time.sleep(2)"), new_code_cell("time.sleep(60)")])
    outcome = execution.run_notebook(nb, tmp_path, timeout=4)  # 2 s, then 60 s: over 4 s in all
    assert outcome.startswith("timed out: still running cell 1"), outcome
    assert nb.cells[0].execution_count == 1 and nb.cells[1].execution_count is None
    path = write(nb, tmp_path / "07_x.ipynb")
    with pytest.raises(execution.RunStopped, match="07_x.ipynb: timed out"):
        execution.run_file(path, timeout=4)


def test_unchanged_notebooks_come_from_the_cache(tmp_path, monkeypatch):
    path = write(course_notebook("07"), tmp_path / "nb" / "07_example.ipynb")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "07_example.ipynb").write_text("cached")
    (cache / "07_example.sha256").write_text(execution._stamp(path))
    monkeypatch.setattr(execution, "run_notebook", lambda *a, **k: pytest.fail("ran a cached notebook"))
    assert execution.executed(path, cache) == cache / "07_example.ipynb"
    (cache / "07_example.sha256").write_text("stale")
    with pytest.raises(pytest.fail.Exception):
        execution.executed(path, cache)


def test_the_cache_key_covers_the_course_utils_sources(tmp_path, monkeypatch):
    import importlib.machinery

    path = write(course_notebook("07"), tmp_path / "07_example.ipynb")
    helpers = tmp_path / "course_utils"
    (helpers / "exercises").mkdir(parents=True)
    spec = importlib.machinery.ModuleSpec("course_utils", None, is_package=True)
    spec.submodule_search_locations = [str(helpers)]
    monkeypatch.setattr(execution.importlib.util, "find_spec", lambda name: spec)
    (helpers / "exercises" / "nb07.py").write_text("ANSWER = 1\n")
    before = execution._stamp(path)
    assert execution._stamp(path) == before
    (helpers / "exercises" / "nb07.py").write_text("ANSWER = 2\n")
    assert execution._stamp(path) != before, "a changed helper runs the notebook again"
