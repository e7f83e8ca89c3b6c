"""Red team: hostile submissions earn nothing and change nothing outside their sandbox.

The attacks are in ``tests/redteam/``. Each is graded as a student would hand it in; the test
then checks the grade, that the files it aimed at are untouched, that the loopback server it
called got no connection and that none of its processes outlived the grading. The bombs are
bounded (4 x 500 MB, 400 processes) so the machine stays safe even if a limit failed.
"""

import json
import multiprocessing
import os
import socket
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import psutil
import pytest
from notebook_factory import course_notebook, write

from course_tools import grading, student
from course_tools.sandbox import Limits, bwrap_path

ATTACKS = Path(__file__).parent / "redteam"
LIMITS = Limits(seconds=60, memory_mb=2000, processes=64)
BOMB_LIMITS = Limits(seconds=20, memory_mb=2000, processes=64)
WRONG_DOUBLE = "def double(x):\n    return 2 * x + 1"

pytestmark = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap cannot make a sandbox here")


def attack(name, **fill):
    source = (ATTACKS / f"{name}.py").read_text(encoding="utf-8")
    for key, value in fill.items():
        source = source.replace(f"__{key}__", value)
    return source


def submission(*cells_before_total_check, after_checks=(), double=WRONG_DOUBLE, total="total = 11.0"):
    """The student notebook with ``double`` and ``total`` answered and attack cells inserted."""
    nb = student.student_version(course_notebook())
    nb.cells[7].source, nb.cells[10].source = double, total
    extra = [nbformat.v4.new_code_cell(c) for c in cells_before_total_check]
    nb.cells[11:11] = extra
    nb.cells += [nbformat.v4.new_code_cell(c) for c in after_checks]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return nb


class Listener:
    """A loopback TCP server outside the sandbox that counts connections."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redteam")
    teacher = write(course_notebook(), tmp / "notebooks" / "07_example.ipynb")
    subs = tmp / "subs"
    honest = write(course_notebook(), subs / "honest_07.ipynb")
    listener = Listener()
    marker = f"redteam-{uuid.uuid4().hex}"
    import course_utils

    targets = [Path(course_utils.__file__).parent / f"{marker}.py", Path(grading.__file__).parent.parent / marker,
               Path.home() / marker, Path("/tmp") / marker, teacher.parent / marker, tmp / "report" / "grades.md"]
    reads = [honest, teacher, tmp / "report" / "grades.csv"]
    fill = {"READS": json.dumps([str(p) for p in reads]), "WRITES": json.dumps([str(p) for p in targets]),
            "PORT": str(listener.port), "MARKER": marker}
    write(submission(attack("forge", **fill), after_checks=[attack("forge_protocol")]), subs / "forge_07.ipynb")
    write(submission("import course_utils.checks as c\nc.check_close = lambda *a, **k: print('✅ total is correct')"),
          subs / "tampered_07.ipynb")
    bombs = tmp / "bombs"  # graded at the same time, in another process, with a shorter time limit
    right = course_notebook().cells[7].source
    write(submission(attack("memory"), double=right), bombs / "memory_07.ipynb")
    write(submission(attack("forkbomb"), double=right), bombs / "forkbomb_07.ipynb")
    write(submission(attack("kill_parent"), double=right), bombs / "killparent_07.ipynb")
    write(submission(attack("flood")), bombs / "flood_07.ipynb")
    write(submission(attack("hang", **fill), double=right), bombs / "hang_07.ipynb")
    (subs / "huge_07.ipynb").write_text('{"cells": [], "pad": "' + "x" * (grading.MAX_NOTEBOOK_MB * 2**20) + '"}')
    (subs / "deep_07.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (subs / "badcells_07.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                                        "cells": [{"cell_type": "code", "source": 42}]}))
    before = {p: p.read_bytes() for p in [*reads, *subs.rglob("*.ipynb")] if p.exists()}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        bombed = pool.submit(grading.grade, bombs, tmp / "bombs_report", notebooks=[teacher], limits=BOMB_LIMITS)
        results = grading.grade(subs, tmp / "report", notebooks=[teacher], limits=LIMITS)
        graded = {r.submission: r for r in [*results, *bombed.result()]}
    yield graded, {"targets": targets, "listener": listener, "marker": marker, "before": before,
                   "report": tmp / "report"}
    listener.server.close()


def test_an_honest_submission_still_passes(red_team):
    r = red_team[0]["honest_07.ipynb"]
    assert (r.status, r.checks) == ("ok", {"double": "pass", "total": "pass"}), r


def test_replaced_checks_patched_torch_and_builtins_and_hooks_earn_nothing(red_team):
    r = red_team[0]["forge_07.ipynb"]
    # Both answers are wrong and every trick ran in the kernel; the checks ran in the grader.
    assert set(r.checks.values()) <= {"fail", "error"}, r
    assert r.checks["double"] == "fail" and "double(21) is 43" in r.messages["double"], r
    # "total" is right only if a read, a write or the network got out: it must fail.
    assert r.checks["total"] == "fail" and "total is 11" in r.messages["total"], r
    # Writing fake results into the grader's pipe is noticed.
    assert r.status == "tampered" and "no honest notebook" in r.detail, r


def test_plain_tampering_is_reported_and_earns_nothing(red_team):
    r = red_team[0]["tampered_07.ipynb"]
    assert r.status == "tampered" and "replaces c.check_close" in r.detail, r
    assert r.passed == 0 and set(r.checks.values()) == {"tampered"}


def test_nothing_outside_the_sandbox_was_written_read_or_called(red_team):
    _, seen = red_team
    assert [p for p in seen["targets"][:-1] if p.exists()] == []
    assert seen["listener"].connections == 0
    assert all(p.read_bytes() == data for p, data in seen["before"].items())
    assert "pwned" not in (seen["report"] / "grades.md").read_text(encoding="utf-8")


def test_memory_bombs_are_stopped_and_earlier_checks_count(red_team):
    r = red_team[0]["memory_07.ipynb"]
    assert r.status == "memory limit" and "2000 MB" in r.detail, r
    assert r.checks == {"double": "pass", "total": "not run"}


def test_a_process_bomb_is_stopped(red_team):
    r = red_team[0]["forkbomb_07.ipynb"]
    assert "process limit" in f"{r.status} {r.detail}", r
    assert r.checks["double"] == "pass" and r.checks["total"] != "pass"


def test_killing_the_grader_side_only_ends_this_submission(red_team):
    r = red_team[0]["killparent_07.ipynb"]
    assert r.status == "crashed" and r.checks == {"double": "pass", "total": "not run"}, r
    assert red_team[0]["memory_07.ipynb"].notebook  # graded after it: the grading went on


def test_a_flood_of_output_is_cut(red_team):
    r = red_team[0]["flood_07.ipynb"]
    assert r.status == "output limit" and r.checks["total"] == "not run", r


def test_a_hang_that_ignores_sigterm_is_killed_with_its_escaped_child(red_team):
    r = red_team[0]["hang_07.ipynb"]
    assert r.status == "time limit", r
    marker = red_team[1]["marker"]
    left = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert left == []
    sandboxed = ("bwrap", "ipykernel", "course_tools.answers")
    assert [p for p in psutil.Process(os.getpid()).children(recursive=True)
            if any(word in " ".join(p.cmdline()) for word in sandboxed)] == []


def test_malformed_and_huge_notebooks_are_refused_unrun(red_team):
    graded = red_team[0]
    assert graded["huge_07.ipynb"].status == "invalid" and "larger than" in graded["huge_07.ipynb"].detail
    assert graded["deep_07.ipynb"].status == "invalid"
    assert graded["badcells_07.ipynb"].status == "invalid"
    assert all(state == "not run" for name in ("huge_07.ipynb", "deep_07.ipynb") for state in graded[name].checks.values())
