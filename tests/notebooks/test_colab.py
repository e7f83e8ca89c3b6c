"""The Colab branch of every notebook's first code cell, run without Colab (google.colab simulated)."""

import os
import sys
import tomllib
import types

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_tools.notebook_tools import colab_install_line, repository_url
from course_utils import paths
from course_utils.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def first_code_cell(path):
    return next(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


@pytest.fixture
def shell(monkeypatch):
    """A real IPython shell whose %pip only records what it was asked to install (os.environ: a copy)."""
    monkeypatch.setattr(
        os, "environ", {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    )
    ip = InteractiveShell.instance()
    calls = []
    ip.register_magic_function(lambda line: calls.append(line), magic_kind="line", magic_name="pip")
    yield ip, calls
    InteractiveShell.clear_instance()


def run(ip, source):
    result = ip.run_cell(source, store_history=False)
    assert result.success, result.error_in_exec or result.error_before_exec


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_on_colab_the_first_cell_installs_the_course(path, shell, monkeypatch):
    ip, calls = shell
    google = types.ModuleType("google")
    google.colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", google.colab)
    run(ip, first_code_cell(path))
    assert calls == [colab_install_line().removeprefix("%pip ")]
    assert f"git+{repository_url()}" in calls[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_elsewhere_the_first_cell_does_nothing(path, shell, monkeypatch):
    ip, calls = shell
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    run(ip, first_code_cell(path))
    assert calls == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_first_cell_lets_waiting_cpu_threads_sleep(path, shell):
    """Set before torch is imported, or it has no effect: on a busy 2-core CPU a tiny MLP's step took
    144 ms on 2 spinning threads and 0.6 ms on 2 sleeping ones (issue 26)."""
    run(shell[0], first_code_cell(path))
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert "import torch" not in first_code_cell(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_first_cell_points_to_the_gpu_runtime(path):
    source = first_code_cell(path)
    assert "Change runtime type" in source and "GPU" in source


def test_the_installed_name_is_the_package_the_repository_builds():
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    assert colab_install_line().startswith(
        f'%pip install -q "{project["name"]} @ git+https://github.com/'
    )


def test_data_paths_work_for_an_installed_package(tmp_path, monkeypatch):
    """On Colab course_utils is installed from git, not a checkout: data goes to a cache in $HOME."""
    monkeypatch.delenv(paths.ENV_VAR, raising=False)
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site-packages")
    monkeypatch.setenv("HOME", str(tmp_path / "root"))
    where = paths.data_dir()
    assert where == tmp_path / "root" / ".cache" / "pytorch-course" and where.is_dir()
    (where / "probe.txt").write_text("ok")
