"""Red team: hostile submissions earn nothing, change nothing outside their sandbox, stop no one else.

The attacks are in ``tests/redteam/``. Each is graded as a student would hand it in, next to two
controls of the same notebook: an honest submission (it must pass) and a plainly wrong one (the
attack's answers are as wrong, so its grade must be the wrong control's). The test then checks
the grade, that the files it aimed at are untouched, that the loopback server it called got no
connection, that none of its processes outlived the grading and that the reports quote nothing
raw. The bombs are bounded (4 x 500 MB, 400 processes) so the machine stays safe even if a
limit failed. Three batches are graded at the same time (one process each, two submissions at a
time inside each) to keep the suite short.
"""

import csv
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
from grading_submissions import (
    GRADIENT_CHECKS,
    LIMITS,
    RIGHT,
    RIGHT_DOUBLE,
    WRONG,
    attack,
    needs_bwrap,
    solution,
    stored_notebook,
    submission,
)
from notebook_factory import course_notebook, write

import course_tools
from course_tools.grading import class_run
from course_tools.grading.limits import Limits
from course_tools.grading.submitted_files import MAX_NOTEBOOK_MB

BOMB_LIMITS = Limits(seconds=30, memory_mb=2000, processes=64)
TOKEN = f"teacher-secret-{uuid.uuid4().hex}"

pytestmark = needs_bwrap


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


WRONG_HOW = {  # right values computed the forbidden way, or a dataset that lies about its size
    "bce": "def bce(p, y):\n    return torch.nn.functional.binary_cross_entropy(p, y)",
    "derivative": "def derivative(f, x0, h=1e-6):\n    x = torch.tensor(x0, dtype=torch.float64)\n"
    "    return ((f(x + h) - f(x - h)) / (2 * h)).item()",
    "pairwise_sq_distances": "def pairwise_sq_distances(A, B):\n"
    "    return torch.stack([((A - b) ** 2).sum(-1) for b in B], dim=1)",
    "Pairs": RIGHT["Pairs"].replace("return len(self.X)", "return 40_000_000"),
    "fit_linear_regression": "MY_SEED = 7\ndef fit_linear_regression(X, y, seed):\n"
    "    A = torch.cat([X, torch.ones(len(X), 1)], dim=1)\n"
    "    sol = torch.linalg.lstsq(A, y[:, None]).solution.squeeze(1)\n"
    "    return sol[:-1], sol[-1]",
    "standardize": RIGHT["standardize"].replace(
        "mean, std = X_train.mean(0), X_train.std(0)",
        "mean, std = X_train.mean(0), X_train.std(0)\n    X_train -= mean\n    X_train += mean",
    ),  # right values, its input changed in place
    "XorMLP": RIGHT["XorMLP"].replace("return self.output(", "return torch.sigmoid(self.output(")
    + ")",
    "train": RIGHT["train"].replace("        optimizer.zero_grad()\n", ""),
}
#: What the kernel of a forger does: make its own run of every check print ✅ (hidden from the scan).
FORGE_CHECKS = """import importlib
for module in ("course_utils.exercises.nb03_mlp", "course_utils.exercises.nb01_tensors",
               "course_utils.exercises.nb02_linear_regression"):
    m = importlib.import_module(module)
    for name in [n for n in vars(m) if n.startswith("check_")]:
        vars(m)[name] = lambda *a, **k: print("✅ correct")"""


def gradient_notebook(answers, forged=False):
    cells = [
        nbformat.v4.new_markdown_cell("# 07 · How answers are computed"),
        nbformat.v4.new_code_cell(
            "import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, Dataset"
        ),
    ]
    if forged:
        cells.append(nbformat.v4.new_code_cell(FORGE_CHECKS))
    for number, (name, check) in enumerate(GRADIENT_CHECKS.items(), start=1):
        cells += [
            nbformat.v4.new_markdown_cell(f"**Exercise 1.{number}.** `{name}`"),
            nbformat.v4.new_code_cell(solution(answers[name])),
            nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\n" + check),
        ]
    return stored_notebook(cells, "g")


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redteam")
    teacher = write(course_notebook(), tmp / "notebooks" / "07_example.ipynb")
    gradients = write(gradient_notebook(RIGHT), tmp / "gradient_notebooks" / "07_gradients.ipynb")
    subs = tmp / "subs"
    honest = write(course_notebook(), subs / "honest_07.ipynb")
    write(submission(), subs / "wrong_07.ipynb")
    listener = Listener()
    marker = f"redteam-{uuid.uuid4().hex}"
    victim = tmp / "victim"  # a folder of the teacher's that DataSource.__del__ would delete
    victim.mkdir()
    (victim / "keep.txt").write_text("the teacher's file")
    secret = tmp / "secret.txt"
    secret.write_text("SECRET-LINE-" + marker + "\nmore\n")
    import course_utils

    targets = [
        Path(course_utils.__file__).parent / f"{marker}.py",
        Path(course_tools.__file__).parents[1] / marker,
        Path.home() / marker,
        Path("/tmp") / marker,
        teacher.parent / marker,
        tmp / "report" / "grades.md",
    ]
    reads = [honest, teacher, tmp / "report" / "grades.csv", secret]
    fill = {
        "READS": json.dumps([str(p) for p in reads]),
        "WRITES": json.dumps([str(p) for p in targets]),
        "PORT": str(listener.port),
        "MARKER": marker,
        "TOKEN": TOKEN,
        "REPO": str(Path(course_tools.__file__).parents[1]),
        "VICTIM": str(victim),
    }
    write(submission(attack("forge")), subs / "forge_07.ipynb")
    write(submission(attack("escape", **fill)), subs / "escape_07.ipynb")
    write(submission(before_double=[attack("forge_protocol")]), subs / "protocol_07.ipynb")
    write(submission(before_double=[attack("bad_message")]), subs / "badmessage_07.ipynb")
    write(submission(before_double=[attack("huge_message")]), subs / "hugemessage_07.ipynb")
    write(submission(total=attack("datasource", **fill)), subs / "datasource_07.ipynb")
    write(submission(double=attack("markup")), subs / "markup_07.ipynb")
    # Plain tampering the scan names (never run): each once let a wrong answer pass.
    write(
        submission(
            "import course_utils.checks as c\nc.check_close = lambda *a, **k: print('✅ total is correct')"
        ),
        subs / "tampered_07.ipynb",
    )
    write(
        submission("def check_close(*a, **k):\n    print('✅ total is correct')"),
        subs / "defcheck_07.ipynb",
    )
    write(
        submission("import torch\n%time torch.allclose = lambda *a, **k: True"),
        subs / "magic_07.ipynb",
    )
    write(
        submission(
            "from course_utils.checks import check_close\n"
            "check_close.__code__ = (lambda *a, **k: print('✅ total is correct')).__code__"
        ),
        subs / "codeswap_07.ipynb",
    )
    write(
        submission("import base64\nexec(base64.b64decode('cHJpbnQoJ+KchScp').decode())"),
        subs / "exec_07.ipynb",
    )
    # Files that are not what they seem, and names that are markup (never run).
    (subs / "link_07.ipynb").symlink_to(teacher)
    (subs / "secretlink_07.ipynb").symlink_to(secret)
    (subs / "linkedfolder").symlink_to(teacher.parent, target_is_directory=True)
    for name in (
        '=HYPERLINK("http:__evil")_07.ipynb',
        "<img src=x onerror=alert(1)>_07.ipynb",
        "evil\n| forged | 07_example.ipynb | ok | 2/2 |_07.ipynb",
    ):
        write(course_notebook(), subs / name)
    (subs / "huge_07.ipynb").write_text(
        '{"cells": [], "pad": "' + "x" * (MAX_NOTEBOOK_MB * 2**20) + '"}'
    )
    (subs / "deep_07.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (subs / "badcells_07.ipynb").write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [{"cell_type": "code", "source": 42}],
            }
        )
    )
    bombs = tmp / "bombs"
    write(course_notebook(), bombs / "honest_07.ipynb")
    write(submission(attack("memory"), double=RIGHT_DOUBLE), bombs / "memory_07.ipynb")
    write(submission(attack("forkbomb"), double=RIGHT_DOUBLE), bombs / "forkbomb_07.ipynb")
    write(submission(attack("kill_parent"), double=RIGHT_DOUBLE), bombs / "killparent_07.ipynb")
    write(submission(attack("flood")), bombs / "flood_07.ipynb")
    write(submission(attack("hang", **fill), double=RIGHT_DOUBLE), bombs / "hang_07.ipynb")
    write(submission(double=attack("slow_check")), bombs / "slowcheck_07.ipynb")
    how = tmp / "how"
    write(gradient_notebook(RIGHT), how / "right_07.ipynb")
    write(gradient_notebook(WRONG_HOW), how / "wrong_07.ipynb")
    write(gradient_notebook(WRONG_HOW, forged=True), how / "forged_07.ipynb")
    before = {
        p: p.read_bytes()
        for p in [*reads, *subs.rglob("*.ipynb")]
        if p.exists() and not p.is_symlink()
    }
    os.environ["COURSE_REDTEAM_TOKEN"] = (
        TOKEN  # in the grader's environment: nothing of it may reach a sandbox
    )
    try:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(2, mp_context=spawn) as pool:
            bombed = pool.submit(
                class_run.grade,
                bombs,
                tmp / "bombs_report",
                notebooks=[teacher],
                limits=BOMB_LIMITS,
                progress=False,
            )
            watched = pool.submit(
                class_run.grade,
                how,
                tmp / "how_report",
                notebooks=[gradients],
                limits=LIMITS,
                progress=False,
                jobs=1,
            )
            results = class_run.grade(
                subs, tmp / "report", notebooks=[teacher], limits=LIMITS, progress=False
            )
            graded = {r.submission: r for r in results}
            graded.update({f"bombs/{r.submission}": r for r in bombed.result()})
            graded.update({f"how/{r.submission}": r for r in watched.result()})
    finally:
        del os.environ["COURSE_REDTEAM_TOKEN"]
    yield (
        graded,
        {
            "targets": targets,
            "listener": listener,
            "marker": marker,
            "before": before,
            "report": tmp / "report",
            "victim": victim,
            "tmp": tmp,
            "gradients": gradients,
            "how": how,
        },
    )
    listener.server.close()


def same_as_wrong(r, graded):
    """An attack's grade: no check passes, and each fails as the plainly wrong control's does."""
    wrong = graded["wrong_07.ipynb"]
    assert r.passed == 0, r
    for label, state in r.checks.items():
        if state == "fail":
            assert r.messages[label] == wrong.messages[label], (label, r.messages[label])


def test_controls_honest_passes_and_wrong_fails(red_team):
    graded = red_team[0]
    assert (graded["honest_07.ipynb"].status, graded["honest_07.ipynb"].checks) == (
        "ok",
        {"double": "pass", "total": "pass"},
    )
    wrong = graded["wrong_07.ipynb"]
    assert (wrong.status, wrong.checks) == ("ok", WRONG), wrong
    assert (
        "double(21) is 43" in wrong.messages["double"] and "total is 11" in wrong.messages["total"]
    )
    assert graded["bombs/honest_07.ipynb"].checks == {"double": "pass", "total": "pass"}


def test_patched_checks_torch_builtins_and_hooks_in_the_kernel_earn_nothing(red_team):
    r = red_team[0]["forge_07.ipynb"]
    # Hidden from the scan, every patch ran in the kernel and its own checks printed ✅: it counts for nothing.
    assert (r.status, r.checks) == ("ok", WRONG), r
    same_as_wrong(r, red_team[0])


def test_verdicts_written_into_the_grader_pipe_are_refused_and_reported(red_team):
    for name in ("protocol_07.ipynb", "badmessage_07.ipynb"):
        r = red_team[0][name]
        assert r.status == "tampered" and "no honest notebook" in r.detail, r
        assert r.passed == 0 and set(r.checks.values()) <= {"tampered", "fail"}, r


def test_one_malformed_message_stops_no_one_else(red_team):
    graded = red_team[0]
    # badmessage_07 sorts before every control: the run went on and reported everyone after it.
    assert graded["badmessage_07.ipynb"].status == "tampered"
    assert graded["honest_07.ipynb"].passed == 2 and graded["wrong_07.ipynb"].status == "ok"
    rows = list(csv.DictReader(open(red_team[1]["report"] / "grades.csv", encoding="utf-8")))
    assert {"badmessage_07.ipynb", "honest_07.ipynb", "wrong_07.ipynb"} <= {
        r["submission"] for r in rows
    }


def test_a_huge_message_is_this_submissions_answer_limit(red_team):
    r = red_team[0]["hugemessage_07.ipynb"]
    assert r.status == "answer limit" and r.passed == 0, r


@pytest.mark.parametrize(
    "name, why",
    [
        ("tampered_07.ipynb", "replaces c.check_close"),
        ("defcheck_07.ipynb", "defines its own check_close"),
        ("magic_07.ipynb", "replaces torch.allclose"),
        ("codeswap_07.ipynb", "replaces check_close.__code__"),
        ("exec_07.ipynb", "runs code the grader cannot read (exec)"),
    ],
)
def test_plain_tampering_is_named_and_earns_nothing(red_team, name, why):
    r = red_team[0][name]
    assert r.status == "tampered" and why in r.detail, r
    assert r.passed == 0 and set(r.checks.values()) == {"tampered"}


def test_nothing_outside_the_sandbox_was_written_read_or_called(red_team):
    graded, seen = red_team
    r = graded["escape_07.ipynb"]
    assert (r.status, r.checks) == ("ok", WRONG), (
        r
    )  # total stays wrong: no read, write, call or leak got through
    same_as_wrong(r, graded)
    assert [p for p in seen["targets"][:-1] if p.exists()] == []
    assert seen["listener"].connections == 0
    assert all(p.read_bytes() == data for p, data in seen["before"].items())
    for report in [p for p in seen["report"].rglob("*") if p.is_file()]:  # the feedback files too
        text = report.read_text(encoding="utf-8")
        assert "pwned" not in text and TOKEN not in text and "SECRET-LINE" not in text, report


def test_a_proxy_never_becomes_the_class_an_answer_names(red_team):
    graded, seen = red_team
    r = graded["datasource_07.ipynb"]
    assert r.checks == WRONG and "should be a number" in r.messages["total"], r
    assert (seen["victim"] / "keep.txt").read_text() == "the teacher's file"


def test_links_and_odd_files_are_refused_unread(red_team):
    graded, seen = red_team
    for name in ("link_07.ipynb", "secretlink_07.ipynb", "linkedfolder"):
        assert graded[name].status == "refused" and graded[name].passed == 0, graded[name]
    assert (
        graded["link_07.ipynb"].checks == {}
    )  # the teacher's notebook was not graded as a student's
    md = (seen["report"] / "grades.md").read_text(encoding="utf-8")
    assert "SECRET-LINE" not in md and "linkedfolder" in md


def test_reports_escape_names_and_messages(red_team):
    graded, seen = red_team
    assert graded["markup_07.ipynb"].checks == WRONG
    md = (seen["report"] / "grades.md").read_text(encoding="utf-8")
    assert "<img" not in md and "onerror=alert(1)>" not in md and "&lt;img" in md
    assert "| forged |" not in md and "| evil |" not in md
    rows = md.count("\n| ") - md.count("\n| submission |")
    assert rows == len([k for k in graded if not k.startswith(("bombs/", "how/"))]), (
        "one table row per submission"
    )
    with open(seen["report"] / "grades.csv", encoding="utf-8", newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], (
        "a CSV cell a spreadsheet would run"
    )
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert not any("\n" in c for c in cells)


def test_malformed_and_huge_notebooks_are_refused_unrun(red_team):
    graded = red_team[0]
    assert (
        graded["huge_07.ipynb"].status == "invalid"
        and "larger than" in graded["huge_07.ipynb"].detail
    )
    assert graded["deep_07.ipynb"].status == "invalid"
    assert graded["badcells_07.ipynb"].status == "invalid"
    assert all(
        state == "not run"
        for name in ("huge_07.ipynb", "deep_07.ipynb")
        for state in graded[name].checks.values()
    )


def test_memory_bombs_are_stopped_and_earlier_checks_count(red_team):
    r = red_team[0]["bombs/memory_07.ipynb"]
    assert r.status == "memory limit" and "2000 MB" in r.detail, r
    assert r.checks == {"double": "pass", "total": "not run"}


def test_a_process_bomb_is_stopped(red_team):
    r = red_team[0]["bombs/forkbomb_07.ipynb"]
    assert "process limit" in f"{r.status} {r.detail}", r
    assert r.checks["double"] == "pass" and r.checks["total"] != "pass"


def test_killing_everything_in_sight_harms_no_one_else(red_team):
    # Inside the sandbox the kernel sees only its own processes: kill(-1) and killing its parent reach
    # nothing of the grader's; the other bombs, graded alongside, are all reported.
    r = red_team[0]["bombs/killparent_07.ipynb"]
    assert (
        r.status in ("ok", "crashed")
        and r.checks["double"] == "pass"
        and r.checks["total"] != "pass"
    ), r
    assert all(
        red_team[0][f"bombs/{name}_07.ipynb"].notebook for name in ("memory", "forkbomb", "honest")
    )


def test_a_flood_of_output_is_cut(red_team):
    r = red_team[0]["bombs/flood_07.ipynb"]
    assert r.status == "output limit" and r.checks["total"] == "not run", r


def test_a_hang_that_ignores_sigterm_is_killed_with_its_escaped_child(red_team):
    r = red_team[0][
        "bombs/hang_07.ipynb"
    ]  # its child leaves the session: stopped then, before its time is up
    assert r.status == "process limit" and "session" in r.detail and "in cell 11" in r.detail, r
    marker = red_team[1]["marker"]
    left = [
        p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])
    ]
    assert left == []
    sandboxed = ("bwrap", "course_tools.grading.runner")
    assert [
        p
        for p in psutil.Process(os.getpid()).children(recursive=True)
        if any(word in " ".join(p.cmdline()) for word in sandboxed)
    ] == []


def test_a_time_out_inside_a_check_is_a_time_limit_named_after_the_check(red_team):
    r = red_team[0]["bombs/slowcheck_07.ipynb"]
    assert r.status == "time limit" and "in the check of double" in r.detail, r
    assert r.checks == {"double": "not run", "total": "not run"}, r


# ---------------------------------------------------------------- checks that watch how


def test_rules_on_how_are_graded_from_values_and_code_never_from_the_kernel(red_team):
    graded = red_team[0]
    right, wrong, forged = (graded[f"how/{name}_07.ipynb"] for name in ("right", "wrong", "forged"))
    assert right.status == "ok" and set(right.checks.values()) == {"pass"}, right
    assert wrong.status == "ok" and set(wrong.checks.values()) == {"fail"}, wrong
    assert "PyTorch's own loss" in wrong.messages["bce"]
    assert "finite differences" in wrong.messages["derivative"]
    assert "Python loop" in wrong.messages["pairwise_sq_distances"]
    assert "len(dataset) is 40000000" in wrong.messages["Pairs"]
    assert "lstsq, a closed form" in wrong.messages["fit_linear_regression"]
    assert "changed its input matrices in place" in wrong.messages["standardize"]
    assert "applies a sigmoid to its output" in wrong.messages["XorMLP"]
    assert "without optimizer.zero_grad()" in wrong.messages["train"]
    # The forger's kernel printed ✅ for every check: the grades are the plainly wrong submission's.
    assert (forged.status, forged.checks, forged.messages) == (
        wrong.status,
        wrong.checks,
        wrong.messages,
    )


def test_grades_do_not_depend_on_what_was_graded_before(red_team):
    graded, seen = red_team
    how = seen["how"]
    # The batch ran forged, right, wrong (two at a time); now wrong, then right, one after the other.
    again = class_run._grade_all(
        [(how / "wrong_07.ipynb", False), (how / "right_07.ipynb", False)],
        how,
        {},
        LIMITS,
        seen["gradients"],
        True,
        1,
        lambda r: None,
    )
    for r in again:
        first = graded[f"how/{r.submission}"]
        assert (r.status, r.checks, r.messages) == (first.status, first.checks, first.messages), (
            r.submission
        )
