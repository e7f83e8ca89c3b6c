"""course_tools.execution: the one place notebooks run (refresh, site, slides, grader)."""

import json
from concurrent.futures import ProcessPoolExecutor

import nbformat
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
    nb = new_notebook(
        cells=[new_code_cell("import time; time.sleep(2)"), new_code_cell("time.sleep(60)")]
    )
    outcome = execution.run_notebook(nb, tmp_path, timeout=4)  # 2 s, then 60 s: over 4 s in all
    assert outcome.startswith("timed out: still running cell 1"), outcome
    assert nb.cells[0].execution_count == 1 and nb.cells[1].execution_count is None
    path = write(nb, tmp_path / "07_x.ipynb")
    with pytest.raises(execution.RunStopped, match="07_x.ipynb: timed out"):
        execution.run_file(path, timeout=4)


def test_the_kernel_runs_on_local_sockets_without_the_tcp_warning(tmp_path, capfd):
    nb = new_notebook(
        cells=[
            new_code_cell(
                "from ipykernel.kernelapp import IPKernelApp\nprint(IPKernelApp.instance().transport)"
            )
        ]
    )
    assert execution.run_notebook(nb, tmp_path, timeout=120) == ""
    assert nb.cells[0].outputs[0].text == "ipc\n"
    assert "without encryption" not in capfd.readouterr().err
    assert not list(tmp_path.iterdir()), "no socket files in the notebook's folder"


def test_unchanged_notebooks_come_from_the_cache(tmp_path, monkeypatch, capsys):
    path = write(course_notebook("07"), tmp_path / "nb" / "07_example.ipynb")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "07_example.ipynb").write_text("cached")
    key = execution.cache_key(path)
    (cache / "07_example.key.json").write_text(json.dumps(key))
    monkeypatch.setattr(
        execution, "run_notebook", lambda *a, **k: pytest.fail("ran a cached notebook")
    )
    assert execution.executed(path, cache) == cache / "07_example.ipynb"
    (cache / "07_example.key.json").write_text(json.dumps({**key, "course_utils": "stale"}))
    with pytest.raises(pytest.fail.Exception):
        execution.executed(path, cache)
    assert "running 07_example.ipynb (its course_utils changed)" in capsys.readouterr().err


def test_the_cache_key_covers_the_course_utils_sources(tmp_path, monkeypatch):
    import importlib.machinery

    path = write(course_notebook("07"), tmp_path / "07_example.ipynb")
    helpers = tmp_path / "course_utils"
    (helpers / "exercises").mkdir(parents=True)
    spec = importlib.machinery.ModuleSpec("course_utils", None, is_package=True)
    spec.submodule_search_locations = [str(helpers)]
    monkeypatch.setattr(execution.importlib.util, "find_spec", lambda name: spec)
    (helpers / "exercises" / "nb07.py").write_text("ANSWER = 1\n")
    before = execution.cache_key(path)
    assert execution.cache_key(path) == before
    (helpers / "exercises" / "nb07.py").write_text("ANSWER = 2\n")
    assert execution.cache_key(path)["course_utils"] != before["course_utils"], (
        "a changed helper runs it again"
    )


def test_the_cache_key_covers_the_environment_and_settings(tmp_path, monkeypatch):
    path = write(course_notebook("07"), tmp_path / "07_example.ipynb")
    before = execution.cache_key(path)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert execution.cache_key(path)["settings"] != before["settings"]
    real = execution.importlib.metadata.distributions
    monkeypatch.setattr(
        execution.importlib.metadata, "distributions", lambda path: list(real(path=path))[1:]
    )
    assert execution.cache_key(path)["environment"] != before["environment"], (
        "a package changed: run it again"
    )


def test_the_cache_key_of_a_notebook_that_reads_photos_covers_the_photo_set(tmp_path, monkeypatch):
    nb = course_notebook("05")
    nb.cells[2].source = "from course_utils.cats_dogs import load_cats_dogs"
    photos = write(nb, tmp_path / "05_photos.ipynb")
    other = write(course_notebook("07"), tmp_path / "07_example.ipynb")
    (tmp_path / "pets" / "cat").mkdir(parents=True)
    (tmp_path / "pets" / "cat" / "a.jpg").write_bytes(b"one")
    monkeypatch.delenv("CATS_DOGS_DIR", raising=False)
    without = execution.cache_key(photos)["photos"]
    assert "oxford-pets-sample" in without and "photos" not in execution.cache_key(other), (
        "the shipped sample"
    )
    monkeypatch.setenv("CATS_DOGS_DIR", str(tmp_path / "pets"))
    first = execution.cache_key(photos)["photos"]
    assert first != without and str(tmp_path / "pets") in first
    (tmp_path / "pets" / "cat" / "b.jpg").write_bytes(b"two")
    assert execution.cache_key(photos)["photos"] != first, "a new photo runs it again"


def test_execute_all_runs_only_the_stale_notebooks_in_parallel(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    paths = [
        write(new_notebook(cells=[new_code_cell(f"print({n} * 7)")]), tmp_path / f"0{n}_x.ipynb")
        for n in (1, 2, 3)
    ]
    assert [p.name for p in execution.execute_all(paths[:1], 1, cache)] == ["01_x.ipynb"]
    pools = []
    monkeypatch.setattr(
        execution, "ProcessPoolExecutor", lambda **k: pools.append(k) or ProcessPoolExecutor(**k)
    )
    copies = execution.execute_all(paths, 2, cache)
    assert [c.name for c in copies] == ["01_x.ipynb", "02_x.ipynb", "03_x.ipynb"] and pools == [
        {"max_workers": 2}
    ]
    assert [nbformat.read(c, as_version=4).cells[0].outputs[0].text for c in copies] == [
        "7\n",
        "14\n",
        "21\n",
    ]
    monkeypatch.setattr(
        execution, "ProcessPoolExecutor", lambda **k: pytest.fail("a pool for cached notebooks")
    )
    assert execution.execute_all(paths, 2, cache) == copies
