"""The sandbox: what it shows of the teacher (nothing), and a fair share of the CPU."""

import os
import uuid
from pathlib import Path

from grading_submissions import LIMITS, WRONG, attack, needs_bwrap, submission
from notebook_factory import course_notebook, write

from course_tools.grading import class_run
from course_tools.grading.limits import Limits
from course_tools.grading.sandbox import Sandbox

TOKEN = f"teacher-secret-{uuid.uuid4().hex}"


@needs_bwrap
def test_a_checkout_under_tmp_is_visible_in_the_sandbox_and_bwrap_shows_nothing_of_the_teacher(
    tmp_path,
):
    assert str(tmp_path).startswith("/tmp/"), tmp_path
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "module.txt").write_text("visible")
    script = (
        f"exec >&2; cat {tmp_path}/course/module.txt; echo; "
        "echo \"environ:[$(tr '\\0' ' ' < /proc/1/environ)]\"; echo \"cmdline:[$(tr '\\0' ' ' < /proc/1/cmdline)]\"; "
        "touch /dev/x 2>/dev/null && echo dev-writable; "
        'head -c 100000000 /dev/zero > /dev/shm/x 2>/dev/null; echo "shm:$(du -m /dev/shm/x | cut -f1)"'
    )
    os.environ["COURSE_REDTEAM_TOKEN"] = TOKEN
    try:
        box = Sandbox(
            ["/bin/sh", "-c", script],
            work=Path("/submission"),
            files={},
            read_only=[tmp_path / "course"],
            env={},
            limits=Limits(seconds=20, shm_mb=8),
        )
    finally:
        del os.environ["COURSE_REDTEAM_TOKEN"]
    try:
        box.process.wait(timeout=60)
        err = box.stderr_tail()
    finally:
        box.stop()
    lines = err.splitlines()
    assert "visible" in lines and "environ:[]" in lines, (
        err
    )  # the checkout under /tmp is there; bwrap's env is empty
    cmdline = next(line for line in lines if line.startswith("cmdline:"))
    assert "--ro-bind" not in cmdline and TOKEN not in err, cmdline
    assert "dev-writable" not in lines and "shm:8" in lines, (
        err
    )  # /dev is read-only, /dev/shm holds 8 MB, not 100


@needs_bwrap
def test_busy_processes_in_sessions_of_their_own_are_stopped_and_an_honest_neighbour_passes(
    tmp_path,
):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    subs = tmp_path / "subs"
    write(course_notebook(), subs / "honest_07.ipynb")
    write(
        submission(attack("hog", COUNT="20", SECONDS="60", OWN_SESSION="True")),
        subs / "hog_07.ipynb",
    )
    # Control: as many busy processes, briefly, in the notebook's own session: an answer like any other.
    write(
        submission(attack("hog", COUNT="20", SECONDS="2", OWN_SESSION="False")),
        subs / "busy_07.ipynb",
    )
    graded = {
        r.student: r
        for r in class_run.grade(
            subs, tmp_path / "report", notebooks=[teacher], limits=LIMITS, progress=False, jobs=2
        )
    }
    assert graded["honest"].status == "ok" and graded["honest"].passed == 2, graded["honest"]
    assert graded["busy"].status == "ok" and graded["busy"].checks == WRONG, graded["busy"]
    hog = graded["hog"]
    assert hog.status == "process limit" and "session" in hog.detail and hog.passed == 0, hog
    assert hog.seconds < LIMITS.seconds, hog  # stopped at once, not at its time limit


@needs_bwrap
def test_the_cpu_time_of_all_its_processes_is_limited(tmp_path):
    teacher = write(course_notebook(), tmp_path / "notebooks" / "07_example.ipynb")
    subs = tmp_path / "subs"
    write(
        submission(
            attack("hog", COUNT="4", SECONDS="60", OWN_SESSION="False")
            + "\nfor _ in range(4):\n    os.wait()"
        ),
        subs / "hog_07.ipynb",
    )
    limits = Limits(
        seconds=40, memory_mb=2000, processes=64, cpu_share=0.15
    )  # 15 s of CPU for 100 s of time
    (hog,) = class_run.grade(
        subs, tmp_path / "report", notebooks=[teacher], limits=limits, progress=False, jobs=1
    )
    assert hog.status == "time limit" and "15 s of CPU time" in hog.detail, (
        hog
    )  # its wall time moves: waits don't count
