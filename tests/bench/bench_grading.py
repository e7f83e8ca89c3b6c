"""What grading costs: per submission, and for a class graded in parallel.

1. Overhead per submission (issue 22 budget: under 10 % of running the notebook alone). The
   course notebook graded as its own submission (``grade_one``: the sandbox, the IPython shell
   that runs its cells, and every check answered across the sandbox, decided in the grader)
   against the same notebook run alone the way a student's Jupyter or CI runs it (a fresh
   ``python3`` kernel through nbclient, ``course_tools.execution.run_notebook``). Median of
   ``RUNS``, alternating, for notebook 00 (the smallest, where fixed costs weigh most) and 03
   (the most calls into the sandbox: a model class and a training loop).
2. ``--jobs`` (budget: ``--jobs 2`` at least 1.6x faster than ``--jobs 1`` on 2 cores): a class of
   ``CLASS`` copies of notebook 00 graded one at a time, then two at a time, ``CLASS_RUNS`` times
   alternating. The note gives the machine's load average: on a shared machine other work takes
   the second core too, and the speed-up drops with it.
3. A fair share of the CPU (issue 28, budget: beside a hog, every honest copy gets full marks within
   2x its time alone). The class of ``CLASS`` copies of notebook 00 graded with ``--jobs 2``, alone and
   beside one hostile submission (``HOG`` busy processes for ``HOG_SECONDS`` s: each in a session of its
   own, which the sandbox stops at once, or all in the notebook's session, which the scheduler keeps
   to one share); each copy's time beside it against the median copy's time alone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from course_tools.execution import run_notebook
from course_tools.grading.class_run import grade
from course_tools.grading.limits import Limits
from course_tools.grading.one_submission import grade_one
from course_tools.grading.sandbox import bwrap_path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
RUNS = 3
CLASS = 8
CLASS_RUNS = 2
HOG, HOG_SECONDS = 200, 60
HOG_CELL = """import os, time
for _ in range({count}):
    if os.fork() == 0:
        if {own_session}:
            os.setsid()
        end = time.time() + {seconds}
        while time.time() < end:
            pass
        os._exit(0)
for _ in range({count}):
    os.wait()"""


def _alone(path: Path, folder: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    outcome = run_notebook(nb, folder, timeout=900)
    took = time.perf_counter() - start
    if outcome:
        raise RuntimeError(f"{path.name} did not run alone: {outcome}")
    return took


def _graded(path: Path, folder: Path) -> float:
    submission = folder / f"teacher_{path.name}"
    start = time.perf_counter()
    result = grade_one(submission, folder, {path.name[:2]: path}, Limits(seconds=900))
    took = time.perf_counter() - start
    if result.status != "ok" or result.passed != len(result.checks):
        raise RuntimeError(f"the benchmark's submission should pass: {result}")
    return took


def _class(jobs: int, folder: Path, out: Path) -> float:
    start = time.perf_counter()
    results = grade(
        folder,
        out,
        notebooks=[NOTEBOOKS / "00_start_here.ipynb"],
        jobs=jobs,
        progress=False,
        reuse=False,
    )
    took = time.perf_counter() - start
    if any(r.status != "ok" or r.passed != len(r.checks) for r in results):
        raise RuntimeError(f"every copy should pass: {results}")
    return took


def run() -> list[dict]:
    if bwrap_path() is None:
        return [
            {
                "benchmark": "grading",
                "metric": "grading overhead",
                "value": float("nan"),
                "unit": "%",
                "note": "bubblewrap unavailable here: grading refuses to run",
            }
        ]
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("00_start_here.ipynb", "03_mlp.ipynb"):
            path = NOTEBOOKS / name
            if not path.exists():
                continue
            shutil.copyfile(path, folder / f"teacher_{name}")
            _graded(path, folder)  # warm the file cache and the imports for both
            alone, graded = [], []
            for _ in range(RUNS):
                alone.append(_alone(path, folder))
                graded.append(_graded(path, folder))
            overhead = [100 * (g - a) / a for a, g in zip(alone, graded)]
            note = f"median of {RUNS}, alternating; {load}"
            rows += [
                {
                    "benchmark": "grading",
                    "metric": f"{name[:2]} run alone (fresh kernel)",
                    "value": statistics.median(alone),
                    "unit": "s",
                    "note": note + "; runs: " + ", ".join(f"{t:.1f}" for t in alone),
                },
                {
                    "benchmark": "grading",
                    "metric": f"{name[:2]} graded (sandbox + checks)",
                    "value": statistics.median(graded),
                    "unit": "s",
                    "note": note + "; runs: " + ", ".join(f"{t:.1f}" for t in graded),
                },
                {
                    "benchmark": "grading",
                    "metric": f"{name[:2]} grading overhead",
                    "value": statistics.median(overhead),
                    "unit": "%",
                    "note": "budget < 10 % (median of the paired differences)",
                },
            ]
        subs = folder / "class"
        subs.mkdir()
        for i in range(CLASS):
            shutil.copyfile(NOTEBOOKS / "00_start_here.ipynb", subs / f"s{i}_00_start_here.ipynb")
        ones, twos = [], []
        for _ in range(CLASS_RUNS):  # alternating, so that a change in the machine's load hits both
            ones.append(_class(1, subs, folder / "one"))
            twos.append(_class(2, subs, folder / "two"))
        rows += _fair_share(subs, folder, load)
    one, two = statistics.median(ones), statistics.median(twos)
    note = f"{CLASS} copies of 00, median of {CLASS_RUNS} alternating; {load}"
    rows += [
        {
            "benchmark": "grading",
            "metric": f"class of {CLASS}, --jobs 1",
            "value": one,
            "unit": "s",
            "note": note + "; runs: " + ", ".join(f"{t:.1f}" for t in ones),
        },
        {
            "benchmark": "grading",
            "metric": f"class of {CLASS}, --jobs 2",
            "value": two,
            "unit": "s",
            "note": note + "; runs: " + ", ".join(f"{t:.1f}" for t in twos),
        },
        {
            "benchmark": "grading",
            "metric": "--jobs 2 speed-up",
            "value": one / two,
            "unit": "x",
            "note": "budget >= 1.6x on 2 cores",
        },
    ]
    return rows


def _fair_share(subs: Path, folder: Path, load: str) -> list[dict]:
    """Each honest copy's time beside a hog against the median copy's time alone, ``--jobs 2``."""
    teacher = NOTEBOOKS / "00_start_here.ipynb"
    alone = grade(subs, folder / "alone", notebooks=[teacher], jobs=2, progress=False, reuse=False)
    typical = statistics.median(r.seconds for r in alone)
    rows = []
    for own_session in (True, False):
        hogged = folder / f"hogged-{own_session}"
        shutil.copytree(subs, hogged)
        nb = nbformat.read(teacher, as_version=4)
        nb.cells.insert(
            1,
            nbformat.v4.new_code_cell(
                HOG_CELL.format(count=HOG, own_session=own_session, seconds=HOG_SECONDS)
            ),
        )
        nbformat.write(
            nb, hogged / "hog_00_start_here.ipynb"
        )  # graded first: "hog" sorts before "s0"
        results = {
            r.student: r
            for r in grade(
                hogged,
                folder / f"report-{own_session}",
                notebooks=[teacher],
                jobs=2,
                progress=False,
                reuse=False,
            )
        }
        hog = results.pop("hog")
        if any(r.status != "ok" or r.passed != len(r.checks) for r in results.values()):
            raise RuntimeError(
                f"every honest copy should pass beside the hog: {list(results.values())}"
            )
        worst = max(r.seconds for r in results.values()) / typical
        where = "each in a session of its own" if own_session else "in the notebook's session"
        rows.append(
            {
                "benchmark": "grading",
                "metric": f"beside a hog ({where}): slowest honest copy / alone",
                "value": worst,
                "unit": "x",
                "note": f"budget <= 2x; {HOG} busy processes for {HOG_SECONDS} s, {where}, graded as "
                f"{hog.status!r} in {hog.seconds:.0f} s; {CLASS} copies of 00 with --jobs 2, a copy "
                f"alone {typical:.1f} s (median), beside it: "
                + ", ".join(f"{r.seconds:.1f}" for r in results.values())
                + f" s; {load}",
            }
        )
    return rows
