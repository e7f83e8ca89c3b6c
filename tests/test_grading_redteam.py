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
from notebook_factory import course_notebook, write

from course_tools import grading, student
from course_tools.cli import main
from course_tools.sandbox import Limits, Sandbox, bwrap_path

ATTACKS = Path(__file__).parent / "redteam"
LIMITS = Limits(seconds=60, memory_mb=2000, processes=64)
BOMB_LIMITS = Limits(seconds=30, memory_mb=2000, processes=64)
WRONG_DOUBLE = "def double(x):\n    return 2 * x + 1"
RIGHT_DOUBLE = course_notebook().cells[7].source
WRONG = {"double": "fail", "total": "fail"}
TOKEN = f"teacher-secret-{uuid.uuid4().hex}"

pytestmark = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap cannot make a sandbox here")


def attack(name, **fill):
    source = (ATTACKS / f"{name}.py").read_text(encoding="utf-8")
    for key, value in fill.items():
        source = source.replace(f"__{key}__", value)
    return source


def submission(*cells_before_total_check, after_checks=(), double=WRONG_DOUBLE, total="total = 11.0", before_double=()):
    """The student notebook with ``double`` and ``total`` answered and attack cells inserted."""
    nb = student.student_version(course_notebook())
    nb.cells[7].source, nb.cells[10].source = double, total
    nb.cells[11:11] = [nbformat.v4.new_code_cell(c) for c in cells_before_total_check]
    nb.cells[7:7] = [nbformat.v4.new_code_cell(c) for c in before_double]
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


# ---------------------------------------------------------------- a notebook whose checks watch *how*

GRADIENT_CHECKS = {
    "bce": "from course_utils.exercises.nb03_mlp import check_bce\ncheck_bce(bce)",
    "derivative": "from course_utils.exercises.nb01_tensors import check_derivative, check_pairwise_sq_distances\n"
                  "check_derivative(derivative)",
    "pairwise_sq_distances": "check_pairwise_sq_distances(pairwise_sq_distances)",
    "Pairs": "from course_utils.exercises.nb02_linear_regression import check_dataset, check_homework\n"
             "check_dataset(Pairs)\ntrain = Pairs(torch.rand(800, 1), torch.rand(800, 1))\n"
             "loader = DataLoader(train, batch_size=32, shuffle=True)\nxb, yb = next(iter(loader))",
    "fit_linear_regression": "check_homework(fit_linear_regression, seed=MY_SEED)",
    # Not rules on how, but answers that are classes, loops and in-place changes: all across the sandbox.
    "standardize": "from course_utils.exercises.nb02_linear_regression import check_standardize\n"
                   "check_standardize(standardize)",
    "XorMLP": "from course_utils.exercises.nb03_mlp import check_train, check_xor_mlp\ncheck_xor_mlp(XorMLP)",
    "train": "check_train(train)",
}
RIGHT = {
    "bce": "def bce(p, y):\n    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()",
    "derivative": "def derivative(f, x0):\n    x = torch.tensor(x0, requires_grad=True)\n    f(x).backward()\n"
                  "    return x.grad.item()",
    "pairwise_sq_distances": "def pairwise_sq_distances(A, B):\n    return ((A[:, None] - B[None]) ** 2).sum(-1)",
    "Pairs": "class Pairs(Dataset):\n    def __init__(self, X, y):\n        self.X, self.y = X, y\n"
             "    def __len__(self):\n        return len(self.X)\n    def __getitem__(self, i):\n"
             "        return self.X[i], self.y[i]",
    "fit_linear_regression": """MY_SEED = 7
def fit_linear_regression(X, y, seed):
    torch.manual_seed(seed)
    mean, std = X.mean(0), X.std(0)
    loader = DataLoader(Pairs((X - mean) / std, y[:, None]), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model, loss_fn = nn.Linear(4, 1), nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=8, gamma=0.3)
    for epoch in range(24):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        scheduler.step()
    w, b = model.weight.detach().squeeze(0), model.bias.detach().squeeze(0)
    return w / std, b - (w * mean / std).sum()""",
    "standardize": "def standardize(X_train, X_test):\n    mean, std = X_train.mean(0), X_train.std(0)\n"
                   "    return (X_train - mean) / std, (X_test - mean) / std",
    "XorMLP": "class XorMLP(nn.Module):\n    def __init__(self, hidden):\n        super().__init__()\n"
              "        self.hidden, self.output = nn.Linear(2, hidden), nn.Linear(hidden, 1)\n"
              "    def forward(self, x):\n        return self.output(torch.tanh(self.hidden(x)))",
    "train": "def train(model, X, y, steps, lr):\n    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
             "    losses = []\n    for _ in range(steps):\n"
             "        loss = nn.functional.binary_cross_entropy_with_logits(model(X).squeeze(1), y)\n"
             "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n"
             "        losses.append(loss.item())\n    return losses",
}
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
    "standardize": RIGHT["standardize"].replace("mean, std = X_train.mean(0), X_train.std(0)",
                                                "mean, std = X_train.mean(0), X_train.std(0)\n    X_train -= mean"
                                                "\n    X_train += mean"),  # right values, its input changed in place
    "XorMLP": RIGHT["XorMLP"].replace("return self.output(", "return torch.sigmoid(self.output(") + ")",
    "train": RIGHT["train"].replace("        optimizer.zero_grad()\n", ""),
}
#: What the kernel of a forger does: make its own run of every check print ✅ (hidden from the scan).
FORGE_CHECKS = """import importlib
for module in ("course_utils.exercises.nb03_mlp", "course_utils.exercises.nb01_tensors",
               "course_utils.exercises.nb02_linear_regression"):
    m = importlib.import_module(module)
    for name in [n for n in vars(m) if n.startswith("check_")]:
        vars(m)[name] = lambda *a, **k: print("✅ correct")"""


def _solution(answer):
    """The answer's code with its body marked as the solution (after the def or class line)."""
    lines = answer.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith(("def ", "class ")))
    return "\n".join([*lines[:head + 1], "    ### BEGIN SOLUTION", *lines[head + 1:], "    ### END SOLUTION"])


def gradient_notebook(answers, forged=False):
    cells = [nbformat.v4.new_markdown_cell("# 07 · How answers are computed"),
             nbformat.v4.new_code_cell("import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, Dataset")]
    if forged:
        cells.append(nbformat.v4.new_code_cell(FORGE_CHECKS))
    for number, (name, check) in enumerate(GRADIENT_CHECKS.items(), start=1):
        cells += [nbformat.v4.new_markdown_cell(f"**Exercise 1.{number}.** `{name}`"),
                  nbformat.v4.new_code_cell(_solution(answers[name])),
                  nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\n" + check)]
    return _notebook(cells, "g")


def _notebook(cells, prefix):
    """A notebook of ``cells`` as the course stores one: a kernel, and cell ids starting with ``prefix``."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell.id = f"{prefix}{i}"
    return nb


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

    targets = [Path(course_utils.__file__).parent / f"{marker}.py", Path(grading.__file__).parent.parent / marker,
               Path.home() / marker, Path("/tmp") / marker, teacher.parent / marker, tmp / "report" / "grades.md"]
    reads = [honest, teacher, tmp / "report" / "grades.csv", secret]
    fill = {"READS": json.dumps([str(p) for p in reads]), "WRITES": json.dumps([str(p) for p in targets]),
            "PORT": str(listener.port), "MARKER": marker, "TOKEN": TOKEN, "REPO": str(Path(grading.__file__).parents[1]),
            "VICTIM": str(victim)}
    write(submission(attack("forge")), subs / "forge_07.ipynb")
    write(submission(attack("escape", **fill)), subs / "escape_07.ipynb")
    write(submission(before_double=[attack("forge_protocol")]), subs / "protocol_07.ipynb")
    write(submission(before_double=[attack("bad_message")]), subs / "badmessage_07.ipynb")
    write(submission(before_double=[attack("huge_message")]), subs / "hugemessage_07.ipynb")
    write(submission(total=attack("datasource", **fill)), subs / "datasource_07.ipynb")
    write(submission(double=attack("markup")), subs / "markup_07.ipynb")
    # Plain tampering the scan names (never run): each once let a wrong answer pass.
    write(submission("import course_utils.checks as c\nc.check_close = lambda *a, **k: print('✅ total is correct')"),
          subs / "tampered_07.ipynb")
    write(submission("def check_close(*a, **k):\n    print('✅ total is correct')"), subs / "defcheck_07.ipynb")
    write(submission("import torch\n%time torch.allclose = lambda *a, **k: True"), subs / "magic_07.ipynb")
    write(submission("from course_utils.checks import check_close\n"
                     "check_close.__code__ = (lambda *a, **k: print('✅ total is correct')).__code__"),
          subs / "codeswap_07.ipynb")
    write(submission("import base64\nexec(base64.b64decode('cHJpbnQoJ+KchScp').decode())"), subs / "exec_07.ipynb")
    # Files that are not what they seem, and names that are markup (never run).
    (subs / "link_07.ipynb").symlink_to(teacher)
    (subs / "secretlink_07.ipynb").symlink_to(secret)
    (subs / "linkedfolder").symlink_to(teacher.parent, target_is_directory=True)
    for name in ("=HYPERLINK(\"http:__evil\")_07.ipynb", "<img src=x onerror=alert(1)>_07.ipynb",
                 "evil\n| forged | 07_example.ipynb | ok | 2/2 |_07.ipynb"):
        write(course_notebook(), subs / name)
    (subs / "huge_07.ipynb").write_text('{"cells": [], "pad": "' + "x" * (grading.MAX_NOTEBOOK_MB * 2**20) + '"}')
    (subs / "deep_07.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (subs / "badcells_07.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                                        "cells": [{"cell_type": "code", "source": 42}]}))
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
    before = {p: p.read_bytes() for p in [*reads, *subs.rglob("*.ipynb")] if p.exists() and not p.is_symlink()}
    os.environ["COURSE_REDTEAM_TOKEN"] = TOKEN  # in the grader's environment: nothing of it may reach a sandbox
    try:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(2, mp_context=spawn) as pool:
            bombed = pool.submit(grading.grade, bombs, tmp / "bombs_report", notebooks=[teacher], limits=BOMB_LIMITS,
                                 progress=False)
            watched = pool.submit(grading.grade, how, tmp / "how_report", notebooks=[gradients], limits=LIMITS,
                                  progress=False, jobs=1)
            results = grading.grade(subs, tmp / "report", notebooks=[teacher], limits=LIMITS, progress=False)
            graded = {r.submission: r for r in results}
            graded.update({f"bombs/{r.submission}": r for r in bombed.result()})
            graded.update({f"how/{r.submission}": r for r in watched.result()})
    finally:
        del os.environ["COURSE_REDTEAM_TOKEN"]
    yield graded, {"targets": targets, "listener": listener, "marker": marker, "before": before,
                   "report": tmp / "report", "victim": victim, "tmp": tmp, "gradients": gradients, "how": how}
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
    assert (graded["honest_07.ipynb"].status, graded["honest_07.ipynb"].checks) == ("ok", {"double": "pass", "total": "pass"})
    wrong = graded["wrong_07.ipynb"]
    assert (wrong.status, wrong.checks) == ("ok", WRONG), wrong
    assert "double(21) is 43" in wrong.messages["double"] and "total is 11" in wrong.messages["total"]
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
    assert {"badmessage_07.ipynb", "honest_07.ipynb", "wrong_07.ipynb"} <= {r["submission"] for r in rows}


def test_a_huge_message_is_this_submissions_answer_limit(red_team):
    r = red_team[0]["hugemessage_07.ipynb"]
    assert r.status == "answer limit" and r.passed == 0, r


@pytest.mark.parametrize("name, why", [
    ("tampered_07.ipynb", "replaces c.check_close"),
    ("defcheck_07.ipynb", "defines its own check_close"),
    ("magic_07.ipynb", "replaces torch.allclose"),
    ("codeswap_07.ipynb", "replaces check_close.__code__"),
    ("exec_07.ipynb", "runs code the grader cannot read (exec)"),
])
def test_plain_tampering_is_named_and_earns_nothing(red_team, name, why):
    r = red_team[0][name]
    assert r.status == "tampered" and why in r.detail, r
    assert r.passed == 0 and set(r.checks.values()) == {"tampered"}


def test_nothing_outside_the_sandbox_was_written_read_or_called(red_team):
    graded, seen = red_team
    r = graded["escape_07.ipynb"]
    assert (r.status, r.checks) == ("ok", WRONG), r  # total stays wrong: no read, write, call or leak got through
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
    assert graded["link_07.ipynb"].checks == {}  # the teacher's notebook was not graded as a student's
    md = (seen["report"] / "grades.md").read_text(encoding="utf-8")
    assert "SECRET-LINE" not in md and "linkedfolder" in md


def test_reports_escape_names_and_messages(red_team):
    graded, seen = red_team
    assert graded["markup_07.ipynb"].checks == WRONG
    md = (seen["report"] / "grades.md").read_text(encoding="utf-8")
    assert "<img" not in md and "onerror=alert(1)>" not in md and "&lt;img" in md
    assert "| forged |" not in md and "| evil |" not in md
    rows = md.count("\n| ") - md.count("\n| submission |")
    assert rows == len([k for k in graded if not k.startswith(("bombs/", "how/"))]), "one table row per submission"
    with open(seen["report"] / "grades.csv", encoding="utf-8", newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], "a CSV cell a spreadsheet would run"
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert not any("\n" in c for c in cells)


def test_malformed_and_huge_notebooks_are_refused_unrun(red_team):
    graded = red_team[0]
    assert graded["huge_07.ipynb"].status == "invalid" and "larger than" in graded["huge_07.ipynb"].detail
    assert graded["deep_07.ipynb"].status == "invalid"
    assert graded["badcells_07.ipynb"].status == "invalid"
    assert all(state == "not run" for name in ("huge_07.ipynb", "deep_07.ipynb") for state in graded[name].checks.values())


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
    assert r.status in ("ok", "crashed") and r.checks["double"] == "pass" and r.checks["total"] != "pass", r
    assert all(red_team[0][f"bombs/{name}_07.ipynb"].notebook for name in ("memory", "forkbomb", "honest"))


def test_a_flood_of_output_is_cut(red_team):
    r = red_team[0]["bombs/flood_07.ipynb"]
    assert r.status == "output limit" and r.checks["total"] == "not run", r


def test_a_hang_that_ignores_sigterm_is_killed_with_its_escaped_child(red_team):
    r = red_team[0]["bombs/hang_07.ipynb"]  # its child leaves the session: stopped then, before its time is up
    assert r.status == "process limit" and "session" in r.detail and "in cell 11" in r.detail, r
    marker = red_team[1]["marker"]
    left = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert left == []
    sandboxed = ("bwrap", "course_tools.answers")
    assert [p for p in psutil.Process(os.getpid()).children(recursive=True)
            if any(word in " ".join(p.cmdline()) for word in sandboxed)] == []


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
    assert (forged.status, forged.checks, forged.messages) == (wrong.status, wrong.checks, wrong.messages)


def test_grades_do_not_depend_on_what_was_graded_before(red_team):
    graded, seen = red_team
    how = seen["how"]
    # The batch ran forged, right, wrong (two at a time); now wrong, then right, one after the other.
    again = grading._grade_all([(how / "wrong_07.ipynb", False), (how / "right_07.ipynb", False)], how, {}, LIMITS,
                               seen["gradients"], True, 1, lambda r: None)
    for r in again:
        first = graded[f"how/{r.submission}"]
        assert (r.status, r.checks, r.messages) == (first.status, first.checks, first.messages), r.submission


# ---------------------------------------------------------------- the sandbox itself


def test_a_checkout_under_tmp_is_visible_in_the_sandbox_and_bwrap_shows_nothing_of_the_teacher(tmp_path):
    assert str(tmp_path).startswith("/tmp/"), tmp_path
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "module.txt").write_text("visible")
    script = (f"exec >&2; cat {tmp_path}/course/module.txt; echo; "
              "echo \"environ:[$(tr '\\0' ' ' < /proc/1/environ)]\"; echo \"cmdline:[$(tr '\\0' ' ' < /proc/1/cmdline)]\"; "
              "touch /dev/x 2>/dev/null && echo dev-writable; "
              "head -c 100000000 /dev/zero > /dev/shm/x 2>/dev/null; echo \"shm:$(du -m /dev/shm/x | cut -f1)\"")
    os.environ["COURSE_REDTEAM_TOKEN"] = TOKEN
    try:
        box = Sandbox(["/bin/sh", "-c", script], work=Path("/submission"), files={}, read_only=[tmp_path / "course"],
                      env={}, limits=Limits(seconds=20, shm_mb=8))
    finally:
        del os.environ["COURSE_REDTEAM_TOKEN"]
    try:
        box.process.wait(timeout=60)
        err = box.stderr_tail()
    finally:
        box.stop()
    lines = err.splitlines()
    assert "visible" in lines and "environ:[]" in lines, err  # the checkout under /tmp is there; bwrap's env is empty
    cmdline = next(line for line in lines if line.startswith("cmdline:"))
    assert "--ro-bind" not in cmdline and TOKEN not in err, cmdline
    assert "dev-writable" not in lines and "shm:8" in lines, err  # /dev is read-only, /dev/shm holds 8 MB, not 100


def test_grading_refuses_to_run_without_the_sandbox_unless_told(tmp_path, monkeypatch, capsys):
    write(course_notebook(), tmp_path / "subs" / "alice_07.ipynb")
    monkeypatch.setattr(grading, "bwrap_path", lambda: None)
    with pytest.raises(grading.SandboxUnavailable, match="--unsafe-no-sandbox"):
        grading.grade(tmp_path / "subs", tmp_path / "report", notebooks=[tmp_path / "subs" / "alice_07.ipynb"])
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "report")]) == 2
    assert "CANNOT ISOLATE" in capsys.readouterr().err
    assert not (tmp_path / "report").exists()


# ---------------------------------------------------------------- round three: checks both ways, in milliseconds
# Each attack beside an honest and a plainly wrong answer, run as the notebook runs it and as the grader
# does (``both_ways``: the grader's own code, the answers served over the sandbox's protocol).

from both_ways import both  # noqa: E402 - the section's own helper
from both_ways import notebook as both_notebook  # noqa: E402

HEAD = "import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, Dataset"
DATASET_CHECK = "from course_utils.exercises.nb02_linear_regression import check_dataset\ncheck_dataset(RegressionData)"
HONEST_DATASET = RIGHT["Pairs"].replace("Pairs", "RegressionData")
ZEROED_ITEMS = ("    def __len__(self):\n        return 7\n    def __getitem__(self, i):\n"
                "        return torch.zeros(2), torch.tensor(0.0)")
WRONG_DATASET = "class RegressionData(Dataset):\n    def __init__(self, X, y):\n        self.X, self.y = X, y\n" + ZEROED_ITEMS
#: Zeroes the check's X and y, then answers for zeros: it passed when the check built its answer from them.
ZEROING_DATASET = ("class RegressionData(Dataset):\n    def __init__(self, X, y):\n        X.zero_()\n        y.zero_()\n"
                   "        self.X, self.y = X, y\n" + ZEROED_ITEMS)


def test_an_answer_that_changes_the_checks_inputs_gets_the_wrong_answers_grade():
    assert both(DATASET_CHECK, [HEAD, HONEST_DATASET])[0] == "pass"
    wrong = both(DATASET_CHECK, [HEAD, WRONG_DATASET])
    assert wrong[0] == "fail" and both(DATASET_CHECK, [HEAD, ZEROING_DATASET]) == wrong
    check = "from course_utils.exercises.nb07_generative import check_reparameterise\ncheck_reparameterise(reparameterise)"
    assert both(check, [HEAD, "def reparameterise(mu, logvar, eps):\n    return mu + torch.exp(0.5 * logvar) * eps"])[0] == "pass"
    zeroing = "def reparameterise(mu, logvar, eps):\n    with torch.no_grad():\n        mu.zero_()\n        logvar.zero_()\n" \
              "    return mu + eps"
    state, message = both(check, [HEAD, zeroing])
    assert state == "fail" and "changed mu or logvar in place" in message, message


#: A class that only names itself torch's Dataset.
NAMED_DATASET = HONEST_DATASET.replace("(Dataset)", "") + \
    "\nRegressionData.__module__ = 'torch.utils.data.dataset'\nRegressionData.__qualname__ = 'Dataset'"


def test_a_class_that_only_names_itself_a_dataset_is_not_one_in_the_grader_either():
    unnamed = both(DATASET_CHECK, [HEAD, HONEST_DATASET.replace("(Dataset)", "")])
    assert unnamed[0] == "fail" and "should inherit from torch.utils.data.Dataset" in unnamed[1]
    assert both(DATASET_CHECK, [HEAD, NAMED_DATASET]) == unnamed
    assert both(DATASET_CHECK, [HEAD, HONEST_DATASET])[0] == "pass"


STANDARDIZE_CHECK = GRADIENT_CHECKS["standardize"]
SPLIT = "from typing import NamedTuple\nclass Split(NamedTuple):\n    train: torch.Tensor\n    test: torch.Tensor\n"


def test_a_named_tuple_answer_arrives_as_data():
    named = RIGHT["standardize"].replace("return (X_train - mean) / std, (X_test - mean) / std",
                                         "return Split((X_train - mean) / std, (X_test - mean) / std)")
    assert both(STANDARDIZE_CHECK, [HEAD, SPLIT + named])[0] == "pass"
    plain_wrong = RIGHT["standardize"].replace("(X_test - mean) / std", "(X_test - X_test.mean(0)) / std")
    named_wrong = named.replace("(X_test - mean) / std", "(X_test - X_test.mean(0)) / std")
    wrong = both(STANDARDIZE_CHECK, [HEAD, plain_wrong])
    assert wrong[0] == "fail" and both(STANDARDIZE_CHECK, [HEAD, SPLIT + named_wrong]) == wrong


def test_records_and_dicts_arrive_as_the_graders_own_data_never_the_students_class():
    import collections
    import dataclasses
    from typing import NamedTuple

    import torch

    from course_tools.answers import ProtocolError, decode, encode

    class Fit(NamedTuple):
        weight: torch.Tensor
        bias: torch.Tensor

    @dataclasses.dataclass
    class Run:
        losses: list
        model_state: dict

    fit = decode(encode(Fit(torch.ones(3), torch.tensor(0.5))))
    assert fit._fields == ("weight", "bias") and torch.equal(fit.weight, torch.ones(3)) and type(fit) is not Fit
    weight, bias = fit
    assert bias.item() == 0.5 and type(fit).__module__ == "student"
    run = decode(encode(Run([1.0, 0.5], collections.OrderedDict(w=torch.zeros(2)))))
    assert run.losses == [1.0, 0.5] and torch.equal(run.model_state["w"], torch.zeros(2))
    assert type(run.model_state) is dict and dataclasses.is_dataclass(run) and type(run) is not Run
    # What a sandbox could send instead: names that would reach the grader's own machinery.
    for name, fields in (("Fit", ["__class__", "bias"]), ("Fit", ["_asdict"]), ("__init__", ["w"]),
                         ("Fit", ["w", "w"]), ("Fit", "weight")):
        with pytest.raises(ProtocolError):
            decode({"t": "namedtuple", "name": name, "fields": fields, "v": [1, 2]})


# ---------------------------------------------------------------- round three: reports, names, runs


def _report_files(folder):
    return {p.name: p.read_bytes().decode("utf-8") for p in folder.iterdir() if p.is_file()}  # strict UTF-8


def test_no_string_a_submission_sends_or_is_named_breaks_the_class_report(tmp_path):
    lone = chr(0xDC80)  # a lone surrogate: what an undecodable byte of a file name becomes in Python
    honest = grading.Result("alice_07.ipynb", "07_example.ipynb", checks={"double": "pass"}, student="alice")
    hostile = grading.Result(f"caf{chr(0xDCE9)}_07.ipynb", "07_example.ipynb", detail=f"odd {lone}",
                             checks={"double": "error"}, messages={"double": f"ValueError: no {lone} way"})
    grading.write_reports([honest, hostile], tmp_path)
    files = _report_files(tmp_path)
    assert set(files) == {"grades.csv", "grades.md", "gradebook.csv", "results.json"}
    assert not any(lone in text or "\\udc" in text for text in files.values())
    rows = list(csv.DictReader(files["grades.csv"].splitlines()))
    assert [r["submission"] for r in rows] == ["alice_07.ipynb", "caf\ufffd_07.ipynb"]
    assert rows[0]["check:double"] == "pass" and "no \ufffd way" in rows[1]["detail"]
    assert [r["submission"] for r in json.loads(files["results.json"])["results"]] == ["alice_07.ipynb", "caf\ufffd_07.ipynb"]


def test_links_in_messages_are_not_live_in_any_report(tmp_path):
    bait = "log in at https://evil.example/login, www.evil.example or help@evil.example"
    plain = "double(21) is 43, expected 42"
    grading.write_reports([grading.Result("a_07.ipynb", "07_example.ipynb", checks={"double": "fail", "total": "fail"},
                                          messages={"double": bait, "total": plain}, student="a")], tmp_path)
    files = _report_files(tmp_path)
    for name in ("grades.md", "grades.csv"):
        assert "https://" not in files[name] and "www.evil" not in files[name], name
    assert "help@evil" not in files["grades.md"] and "https\\[:\\]//evil.example/login" in files["grades.md"]
    assert "https[:]//evil.example/login" in files["grades.csv"]
    assert plain in files["grades.md"] and plain in files["grades.csv"]  # an honest message is shown as it is


def test_a_students_folder_wins_over_the_name_in_the_file_and_the_conflict_is_reported():
    assert grading.parse_name("bob/alice_07_example.ipynb") == ("bob", "07")
    assert "named for alice" in grading.name_conflict("bob/alice_07_example.ipynb")
    # Controls: the two documented forms alone, and a folder that agrees.
    assert grading.parse_name("alice_07.ipynb") == ("alice", "07") and grading.parse_name("bob/07_x.ipynb") == ("bob", "07")
    assert grading.name_conflict("bob/bob_07.ipynb") == grading.name_conflict("alice_07.ipynb") == ""


def test_the_fingerprint_covers_every_file_that_decides_a_grade():
    import course_utils

    packages = (Path(course_utils.__file__).parent, Path(grading.__file__).parent)
    every = {p for package in packages for p in package.rglob("*.py") if "__pycache__" not in p.parts}
    assert every <= set(grading.deciding_sources())
    assert Path(student.__file__) in every  # find_exercises decides which cells are checks


def _shard(folder, results, run_id, k, n):
    grading.write_reports(results, folder, True, {"id": run_id, "shard": [k, n]})
    return folder


def test_merge_takes_exactly_the_shards_of_one_run_and_keeps_other_reports(tmp_path):
    a, b = (grading.Result(f"{s}_07.ipynb", "07_example.ipynb", checks={"double": "pass"}, student=s) for s in "ab")
    one, two = _shard(tmp_path / "s1", [a], "run-new", 1, 2), _shard(tmp_path / "s2", [b], "run-new", 2, 2)
    old = _shard(tmp_path / "old2", [grading.Result("b_07.ipynb", "07_example.ipynb", checks={"double": "fail"})],
                 "run-old", 2, 2)
    for folders, why in (([one, old], "2 different runs"), ([one], "shard 2 is missing"), ([one, one, two], "twice")):
        with pytest.raises(grading.MergeRefused, match=why):
            grading.merge(folders, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()
    assert [r.passed for r in grading.merge([one, two], tmp_path / "merged")] == [1, 1]
    grading.merge([one, two], tmp_path / "merged")  # the same run again: same reports
    other = _shard(tmp_path / "other", [a], "run-other", 1, 1)
    with pytest.raises(grading.MergeRefused, match="another run"):
        grading.merge([other], tmp_path / "merged")
    assert json.loads((tmp_path / "merged" / "results.json").read_text())["run"]["id"] == "run-new"
    assert len(grading.merge([other], tmp_path / "merged", replace=True)) == 1
    assert main(["grade", "--merge", str(one), str(old), "--out", str(tmp_path / "cli")]) == 2


@pytest.fixture(scope="module")
def round_three(tmp_path_factory):
    """A class graded twice: honest and wrong controls, a twin of the honest file, messages with a lone
    surrogate and a web address, a file name that is not UTF-8, and a file in another student's folder."""
    tmp = tmp_path_factory.mktemp("round3")
    teacher = write(course_notebook(), tmp / "notebooks" / "07_example.ipynb")
    subs = tmp / "subs"
    honest = write(course_notebook(), subs / "honest_07.ipynb")
    (subs / "twin_07.ipynb").write_bytes(honest.read_bytes())
    write(submission(), subs / "wrong_07.ipynb")
    write(submission(double="def double(x):\n    raise ValueError('no ' + chr(0xDC80) + ' way')"), subs / "lone_07.ipynb")
    write(submission(double="def double(x):\n    raise ValueError('log in at https://evil.example/login')"),
          subs / "url_07.ipynb")
    os.makedirs(subs / "bob")
    (subs / "bob" / "alice_07.ipynb").write_bytes(honest.read_bytes())
    with open(os.path.join(os.fsencode(subs), b"caf\xe9_07.ipynb"), "wb") as f:
        f.write(honest.read_bytes())
    runs = [grading.grade(subs, tmp / "report", notebooks=[teacher], limits=LIMITS, progress=False, jobs=2)
            for _ in range(2)]
    return [{grading._plain(r.submission): r for r in run} for run in runs], tmp


def test_one_students_strings_stay_in_one_row_of_a_real_run(round_three):
    (first, _), tmp = round_three
    assert first["honest_07.ipynb"].checks == {"double": "pass", "total": "pass"}
    assert first["wrong_07.ipynb"].checks == WRONG
    files = _report_files(tmp / "report")
    assert "no \ufffd way" in files["grades.md"] and "no \ufffd way" in files["grades.csv"]
    assert "https://evil" not in files["grades.md"] and "https\\[:\\]//evil.example" in files["grades.md"]
    rows = list(csv.DictReader(files["grades.csv"].splitlines()))
    assert len(rows) == 7 and "caf\ufffd_07.ipynb" in {r["submission"] for r in rows}
    conflict = first["bob/alice_07.ipynb"]
    assert conflict.student == "bob" and conflict.passed == 2 and "named for alice" in conflict.detail


def test_byte_identical_files_of_two_students_are_not_regraded(round_three, capsys):
    (first, again), _ = round_three
    assert first["twin_07.ipynb"].passed == first["honest_07.ipynb"].passed == 2
    for name, r in again.items():  # nothing changed: every grade kept, the twins' each
        assert (r.status, r.checks, r.key) == (first[name].status, first[name].checks, first[name].key), name
    assert again["twin_07.ipynb"].key != again["honest_07.ipynb"].key


# ---------------------------------------------------------------- round three: the course's reference solutions

REPARAMETERISE_CHECK = ("from course_utils.exercises.nb07_generative import check_reparameterise\n"
                        "check_reparameterise(reparameterise)")
OWN_REPARAMETERISE = "def reparameterise(mu, logvar, eps):\n    return mu + torch.exp(0.5 * logvar) * eps"
STUCK = ("from course_utils.exercises.nb07_generative import reference_reparameterise as reparameterise"
         "  # stuck? the course's reference: the lab goes on, no points")
CALLS_REFERENCE = ("import course_utils.exercises.nb07_generative as course\n"
                   "def reparameterise(mu, logvar, eps):\n    return course.reference_reparameterise(mu, logvar, eps)")


def reference_notebook(answer):
    cells = [nbformat.v4.new_markdown_cell("# 07 · References"), nbformat.v4.new_code_cell(HEAD),
             nbformat.v4.new_markdown_cell("**Exercise 1.1.** `reparameterise`"),
             nbformat.v4.new_code_cell(_solution(OWN_REPARAMETERISE) if answer is None else answer),
             nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\n" + REPARAMETERISE_CHECK)]
    return _notebook(cells, "r")


def test_the_courses_reference_solution_earns_no_points_and_the_report_says_why(tmp_path):
    teacher = write(reference_notebook(None), tmp_path / "notebooks" / "07_references.ipynb")
    subs = tmp_path / "subs"
    for name, answer in (("own", OWN_REPARAMETERISE), ("wrong", OWN_REPARAMETERISE.replace("0.5 *", "")),
                         ("stuck", STUCK), ("calls", CALLS_REFERENCE)):
        write(reference_notebook(answer), subs / f"{name}_07.ipynb")
    graded = {r.student: r for r in grading.grade(subs, tmp_path / "report", notebooks=[teacher], limits=LIMITS,
                                                   progress=False, jobs=2)}
    assert graded["own"].checks == {"reparameterise": "pass"} and graded["wrong"].checks == {"reparameterise": "fail"}
    for name in ("stuck", "calls"):
        r = graded[name]
        assert r.passed == 0 and r.checks == {"reparameterise": "reference"}, r
        assert "reference_reparameterise" in r.messages["reparameterise"] and "no points" in r.messages["reparameterise"]
    assert "📖 reference" in (tmp_path / "report" / "grades.md").read_text(encoding="utf-8")
    # In the notebook the line keeps the lab going: the check passes there.
    assert both_notebook(REPARAMETERISE_CHECK, [HEAD, STUCK])[0] == "pass"


def test_a_pasted_copy_of_a_long_reference_is_recognised_and_an_own_answer_is_not():
    import inspect

    from course_utils.exercises import nb04_spiral

    pasted = inspect.getsource(nb04_spiral.reference_early_stopping).replace("def reference_early_stopping",
                                                                               "def train_early_stopping")
    head = "import copy\nimport torch\nfrom torch import nn"
    assert grading.reference_use([head, pasted], "train_early_stopping") == \
        "train_early_stopping is a copy of course_utils.exercises.nb04_spiral.reference_early_stopping"
    own = pasted.replace("best", "lowest")  # the same algorithm, written by someone: not the reference's text
    assert grading.reference_use([head, own], "train_early_stopping") == ""


# ---------------------------------------------------------------- round three: a fair share of the CPU


def test_busy_processes_in_sessions_of_their_own_are_stopped_and_an_honest_neighbour_passes(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    subs = tmp_path / "subs"
    write(course_notebook(), subs / "honest_07.ipynb")
    write(submission(attack("hog", COUNT="20", SECONDS="60", OWN_SESSION="True")), subs / "hog_07.ipynb")
    # Control: as many busy processes, briefly, in the notebook's own session: an answer like any other.
    write(submission(attack("hog", COUNT="20", SECONDS="2", OWN_SESSION="False")), subs / "busy_07.ipynb")
    graded = {r.student: r for r in grading.grade(subs, tmp_path / "report", notebooks=[teacher], limits=LIMITS,
                                                   progress=False, jobs=2)}
    assert graded["honest"].status == "ok" and graded["honest"].passed == 2, graded["honest"]
    assert graded["busy"].status == "ok" and graded["busy"].checks == WRONG, graded["busy"]
    hog = graded["hog"]
    assert hog.status == "process limit" and "session" in hog.detail and hog.passed == 0, hog
    assert hog.seconds < LIMITS.seconds, hog  # stopped at once, not at its time limit


def test_the_cpu_time_of_all_its_processes_is_limited(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    subs = tmp_path / "subs"
    write(submission(attack("hog", COUNT="4", SECONDS="60", OWN_SESSION="False") + "\nfor _ in range(4):\n    os.wait()"),
          subs / "hog_07.ipynb")
    limits = Limits(seconds=40, memory_mb=2000, processes=64, cpu_share=0.15)  # 15 s of CPU for 100 s of time
    hog, = grading.grade(subs, tmp_path / "report", notebooks=[teacher], limits=limits, progress=False, jobs=1)
    assert hog.status == "time limit" and "15 s of CPU time" in hog.detail, hog  # its wall time moves: waits don't count
