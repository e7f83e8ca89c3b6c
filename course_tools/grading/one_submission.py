"""One submission graded (``grade_one``): read, scanned, run in its sandbox, each check judged in the grader.

The submission's code cells run in the sandbox (``runner``); ``_Follower`` follows its events, every one
validated, and at each check cell runs the teacher's check here (``check_cells.run_check``) against the
answers the sandbox serves (``handles``). One cause, one status (see the package's docstring); every
failure is this submission's result.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

import course_tools
from course_tools.grading.check_cells import (
    Check,
    _matching_cells,
    notebook_imports,
    points_printed,
    run_check,
    teacher_checks,
)
from course_tools.grading.handles import Namespace, Remote, Session
from course_tools.grading.limits import Limits
from course_tools.grading.protocol import (
    AnswerTooLarge,
    Channel,
    ProtocolError,
    SandboxGone,
    TimeLimit,
)
from course_tools.grading.references import reference_use
from course_tools.grading.result import Result
from course_tools.grading.sandbox import Sandbox, SandboxUnavailable
from course_tools.grading.submitted_files import (
    _Invalid,
    _read_bytes,
    _read_submission,
    _Refused,
    name_conflict,
    parse_name,
)
from course_tools.grading.tampering import tampering

__all__ = ["grade_one"]


#: Cell errors that mean a sandbox limit was reached, in a teacher's words (detail only).
_LIMIT_ERRORS = {
    "MemoryError": "memory limit",
    "BlockingIOError": "process limit",
    "File too large": "file size limit",
    "No space left on device": "disk space limit",
}
_STOPPED = {
    "time limit": "still running after {seconds:.0f} s (and {startup_seconds:.0f} s to start)",
    "memory limit": "used more than {memory_mb} MB of memory",
    "process limit": "started more than {processes} processes and threads",
    "output limit": "printed more than 20 MB",
    "crashed": "the sandbox ended before the notebook did",
    "answer limit": "its answers needed more than {grader_memory_mb} MB in the grader",
}


def grade_one(
    path: Path,
    root: Path,
    teachers: dict[str, Path],
    limits: Limits,
    notebook: Path | None = None,
    isolate: bool = True,
) -> Result:
    """Grade the submission ``path`` (never modified) against its teacher notebook, in this process.

    ``teachers`` maps a notebook number ("02") to the teacher notebook; ``notebook`` overrides it.
    Every failure is this submission's result; nothing here raises.

    Example:
        >>> grade_one(Path("subs/alice_02.ipynb"), Path("subs"), {"02": teacher}, Limits())  # doctest: +SKIP
        Result(submission='alice_02.ipynb', notebook='02_linear_regression.ipynb', status='ok', ...)
    """
    relative = path.relative_to(root).as_posix()
    named = parse_name(relative)
    result = Result(submission=relative, student=named[0] if named else "")
    start = time.perf_counter()
    try:
        _grade(path, named, result, teachers, limits, notebook, isolate)
    except MemoryError:
        result.status, result.detail = (
            "answer limit",
            _STOPPED["answer limit"].format(**vars(limits)),
        )
        result.checks = {k: "not run" if v == "pass" else v for k, v in result.checks.items()}
    except SandboxUnavailable:
        raise
    except Exception as err:  # noqa: BLE001 - a bug here is one submission's problem, reported
        result.status, result.detail = "grader error", f"{type(err).__name__}: {str(err)[:300]}"
    finally:
        result.seconds = time.perf_counter() - start
    result.detail = "; ".join(part for part in (result.detail, name_conflict(relative)) if part)
    return result


def _grade(
    path: Path,
    named: tuple[str, str] | None,
    result: Result,
    teachers: dict[str, Path],
    limits: Limits,
    notebook: Path | None,
    isolate: bool,
) -> None:
    teacher = notebook or (teachers.get(named[1]) if named else None)
    try:
        data = _read_bytes(path)
    except _Refused as why:
        result.status, result.detail = "refused", f"{why}: not read"
        return
    except _Invalid as why:
        result.status, result.detail = "invalid", str(why)
        data = None
    except OSError as err:
        result.status, result.detail = (
            "refused",
            f"cannot be opened as a plain file ({err.strerror}): not read",
        )
        return
    if teacher is None:
        result.status = "unknown notebook"
        result.detail = "the name does not follow STUDENT_NN_name.ipynb or STUDENT/NN_name.ipynb; pass --notebook"
        return
    result.notebook = teacher.name
    teacher_nb = nbformat.read(teacher, as_version=4)
    checks = teacher_checks(teacher_nb)
    result.checks = {c.label: "not run" for c in checks}
    nb = _read_submission(data, result) if data is not None else None
    if nb is None:
        return
    at = _matching_cells(nb, checks)
    for check in checks:
        if check not in at.values():
            result.checks[check.label] = "missing"
            result.messages[check.label] = (
                "the check cell was deleted or edited; restore it from the original notebook"
            )
    touched = tampering(nb, teacher_nb)
    if touched:
        result.status, result.detail = (
            "tampered",
            "; ".join(touched)[:500] + " (not run: no points)",
        )
        result.checks = {label: "tampered" for label in result.checks}
        result.messages.clear()
        return
    plan = _Plan(
        code=[(i, cell.source) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"],
        at=at,
        imports=notebook_imports([c.source for c in teacher_nb.cells if c.cell_type == "code"]),
    )
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        spec = Path(tmp) / "cells.json"
        spec.write_text(json.dumps({"cells": plan.code, "checks": sorted(at)}), encoding="utf-8")
        _run_and_judge(spec, Path(tmp), plan, limits, result, isolate)


@dataclass(frozen=True)
class _Plan:
    """What runs and what is judged: the submission's code cells ``(index, source)``, the teacher's
    check at each check cell's index, and the names the teacher notebook imports
    (``notebook_imports``)."""

    code: list[tuple[int, str]]
    at: dict[int, Check]
    imports: dict[str, tuple[str, str | None]]


def _sandbox_reads() -> list[Path]:
    """What the sandbox may read: the Python installation, the environment, the course packages, its data."""
    import course_utils

    reads = [
        Path(sys.base_prefix),
        Path(sys.prefix),
        Path(course_utils.__file__).parent,
        Path(course_tools.__file__).parent,
        Path(course_utils.__file__).parent.parent / "data",
    ]
    reads += [Path(p) for p in os.environ.get("CATS_DOGS_DIR", "").split(os.pathsep) if p.strip()]
    return [p.resolve() for p in reads]


def _sandbox_env() -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "JUPYTER_PLATFORM_DIRS": "1",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    if os.environ.get("CATS_DOGS_DIR"):
        env["CATS_DOGS_DIR"] = os.pathsep.join(
            str(Path(p).resolve())
            for p in os.environ["CATS_DOGS_DIR"].split(os.pathsep)
            if p.strip()
        )
    return env


def _run_and_judge(
    spec: Path,
    tmp: Path,
    plan: _Plan,
    limits: Limits,
    result: Result,
    isolate: bool,
) -> None:
    """Run the submission in the sandbox; at each check cell, run the check here against its answers."""
    requests_r, requests_w = os.pipe()
    events_r, events_w = os.pipe()
    work = Path("/submission") if isolate else tmp / "work"
    argv = [
        sys.executable,
        "-I",
        "-m",
        "course_tools.grading.runner",
        str(work / "cells.json"),
        limits.to_json(),
        str(requests_r),
        str(events_w),
    ]
    try:
        box = Sandbox(
            argv,
            work=work,
            files={"cells.json": spec},
            read_only=_sandbox_reads(),
            env=_sandbox_env(),
            limits=limits,
            pass_fds=(requests_r, events_w),
            isolate=isolate,
        )
    finally:
        os.close(requests_r)
        os.close(events_w)
    channel = Channel(events_r, requests_w, budget=limits.grader_memory_mb * 2**20 // 2)
    follower = _Follower(channel, box, plan, result)
    try:
        follower.follow()
    except ProtocolError as err:
        result.status, result.detail = (
            "tampered",
            f"the sandbox sent what no honest notebook sends ({err})",
        )
        result.checks = {
            label: "tampered" if state in ("pass", "not run") else state
            for label, state in result.checks.items()
        }
    except TimeLimit:
        result.status = "time limit"
    except AnswerTooLarge as err:
        result.status, result.detail = (
            "answer limit",
            f"the sandbox sent more than the grader takes ({err})",
        )
    except (SandboxGone, BrokenPipeError):
        pass
    finally:
        box.stop()
        os.close(events_r)
        os.close(requests_w)
    if follower.in_check is not None and result.status in ("time limit", "ok", "crashed"):
        label = follower.in_check
        result.checks[label] = "not run"
        result.messages.pop(label, None)
    if box.stopped and result.status in ("ok", "time limit"):
        result.status = box.stopped
    if result.status in _STOPPED and not result.detail:
        where = (
            f" (in the check of {follower.in_check})"
            if follower.in_check
            else (f" (in cell {follower.cell})" if follower.cell is not None else "")
        )
        why = (
            box.why
            if box.why and result.status == box.stopped
            else _STOPPED[result.status].format(**vars(limits))
        )
        result.detail = why + where
    elif result.status == "ok" and not follower.ended:
        why = box.exit_reason()
        result.status = why if why in ("time limit", "file size limit") else "crashed"
        tail = box.stderr_tail().strip()
        result.detail = (
            (f"{why}; " if why and why != result.status else "")
            + f"the sandbox ended in cell {follower.cell}"
            + (f"; {tail.splitlines()[-1][:200]}" if tail else "")
        )


class _Follower:
    """Follows the sandbox's events, every one validated, and judges each check when its cell comes."""

    def __init__(self, channel: Channel, box: Sandbox, plan: _Plan, result: Result):
        self.channel, self.box, self.plan, self.result = channel, box, plan, result
        self.order = [i for i, _ in plan.code]
        self.cell: int | None = None
        self.in_check: str | None = None
        self.ended = False

    def receive(self) -> dict[str, Any]:
        return self.channel.receive(lambda: self.box.deadline, self.box.watch)

    def follow(self) -> None:
        first = self.receive()
        if first != {"event": "started"}:
            raise ProtocolError(f"expected the start, got {str(first)[:80]}")
        self.box.deadline = (
            time.monotonic() + self.box.limits.seconds
        )  # started: the notebook's own time begins
        own: dict[str, Any] = {}
        position = 0
        while True:
            event = self.receive()
            kind = event.get("event")
            if kind == "cell" and set(event) == {"event", "cell"}:
                if position >= len(self.order) or event["cell"] != self.order[position]:
                    raise ProtocolError(f"a cell out of order: {str(event.get('cell'))[:20]}")
                self.cell, position = event["cell"], position + 1
                if self.cell in self.plan.at:
                    own = self.judge(self.plan.at[self.cell], own)
            elif (
                kind == "error"
                and set(event) == {"event", "cell", "name", "text"}
                and event["cell"] == self.cell
                and type(event["name"]) is str
                and type(event["text"]) is str
                and len(event["name"]) <= 80
                and len(event["text"]) <= 200
            ):
                reason = next(
                    (
                        why
                        for key, why in _LIMIT_ERRORS.items()
                        if key in f"{event['name']}: {event['text']}"
                    ),
                    "",
                )
                if reason and not self.result.detail:
                    self.result.detail = f"{reason} reached in cell {self.cell} ({event['name']})"
            elif kind == "stopped" and event == {"event": "stopped", "reason": "output limit"}:
                self.result.status = "output limit"
                return
            elif kind == "end" and set(event) == {"event"} and position == len(self.order):
                self.ended = True
                return
            else:
                raise ProtocolError(f"an unexpected message {str(event)[:80]}")

    def judge(self, check: Check, own: dict[str, Any]) -> dict[str, Any]:
        """Run the teacher's check here; the sandbox serves the names it needs."""
        sources = [source for index, source in self.plan.code if index < self.cell]
        session = Session(self.channel, lambda: self.box.deadline, self.box.watch, sources)
        namespace = Namespace(session, self.plan.imports, own)
        self.in_check = check.label
        started, notebook_deadline = time.monotonic(), self.box.deadline
        self.box.deadline = (
            started + self.box.limits.seconds
        )  # a check has the notebook's time limit of its own
        state, why = run_check(check.source, namespace)
        self.box.deadline = notebook_deadline + (
            time.monotonic() - started
        )  # and does not use the notebook's
        if state == "pass":
            used = [
                found
                for name in sorted(namespace.fetched)
                if isinstance(namespace.get(name), Remote)
                for found in [reference_use(sources, name)]
                if found
            ]
            if used:
                state, why = (
                    "reference",
                    f"{used[0]}: the course's reference solution earns no points; write your own",
                )
        self.in_check = None
        items = points_printed(namespace.printed.getvalue())
        if items:
            self.result.items[check.label] = items
        if "MY_SEED" in namespace.fetched:
            self.result.seed = str(namespace.get("MY_SEED"))[:40]
        self.result.checks[check.label] = state
        if why:
            self.result.messages[check.label] = why
        self.channel.send({"op": "continue", "id": 0})
        return namespace.own()
