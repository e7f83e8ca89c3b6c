"""A class graded (``grade``): every submission in a process of its own, ``jobs`` at a time, then the reports.

Each submission is graded in a fresh process forked from a grader that has run no student code
(``_worker``), so its grade never depends on what was graded before; its memory is bounded and a backstop
ends it. ``shard=(k, n)`` grades every n-th submission from the k-th (``merge`` combines the shards);
a submission whose file and the course's checks are unchanged since the last run into the same folder
is not graded again (``fingerprint``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat

from course_tools.execution import SUBMISSION_TIMEOUT
from course_tools.grading.check_cells import teacher_checks
from course_tools.grading.fingerprint import _fingerprint, _key, _previous, _run_id
from course_tools.grading.limits import Limits
from course_tools.grading.one_submission import grade_one
from course_tools.grading.reports import _plain, write_reports
from course_tools.grading.result import Result
from course_tools.grading.sandbox import (
    CANNOT_ISOLATE,
    SandboxUnavailable,
    bwrap_path,
    isolation,
)
from course_tools.grading.submitted_files import (
    _Invalid,
    _read_bytes,
    _Refused,
    _submissions,
    parse_name,
)
from course_tools.notebook_tools import build_dir, course_notebooks

__all__ = ["grade"]


def _preload() -> None:
    """Import what every check needs once, before forking: each submission's process starts warm."""
    import importlib
    import pkgutil

    import cloudpickle  # noqa: F401
    import torch  # noqa: F401
    from IPython.core.inputtransformer2 import TransformerManager  # noqa: F401

    import course_utils.checks  # noqa: F401
    import course_utils.exercises as exercises

    for module in pkgutil.iter_modules(exercises.__path__):
        try:
            importlib.import_module(f"course_utils.exercises.{module.name}")
        except Exception:  # noqa: BLE001 - a module being edited fails its checks later, in its submissions
            pass


def _worker(job: tuple[Any, ...], conn: Any) -> None:
    """One submission in its own process: memory bounded, result sent back as plain data."""
    import resource

    path, root, teachers, limits, notebook, isolate = job
    try:
        with open("/proc/self/status") as f:
            data_kb = next(int(line.split()[1]) for line in f if line.startswith("VmData:"))
        cap = data_kb * 1024 + limits.grader_memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    except (OSError, ValueError, StopIteration, AttributeError):
        pass
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001
        pass
    result = grade_one(path, root, teachers, limits, notebook, isolate)
    conn.send(asdict(result))
    conn.close()


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context(
        "fork" if "fork" in methods and sys.platform.startswith("linux") else "spawn"
    )


def _grade_all(
    todo: list[tuple[Path, bool]],
    root: Path,
    teachers: dict[str, Path],
    limits: Limits,
    notebook: Path | None,
    isolate: bool,
    jobs: int,
    report: Any,
) -> list[Result]:
    """Grade ``todo``, ``jobs`` at a time, each in a fresh process; ``report(result)`` as each ends."""
    from multiprocessing.connection import wait

    context = _context()
    pending = list(todo)
    running: dict[Any, tuple[Any, Any, Path, float]] = {}
    results = []
    counts: dict[Path, int] = {}

    def cap(path: Path) -> float:
        """The backstop for one submission's process: the notebook's time and each check's (thrice: a sandbox's
        deadline moves by the time it waited for a CPU, ``Sandbox._share``), and a minute."""
        named = parse_name(path.relative_to(root).as_posix())
        teacher = notebook or (teachers.get(named[1]) if named else None)
        if teacher is not None and teacher not in counts:
            try:
                counts[teacher] = len(teacher_checks(nbformat.read(teacher, as_version=4)))
            except Exception:  # noqa: BLE001 - the worker reports an unreadable teacher notebook
                counts[teacher] = 0
        return (
            3 * (limits.startup_seconds + limits.seconds * (1 + counts.get(teacher, 0))) + 60
        )  # waits for a CPU extend it

    def finish(result: Result) -> None:
        results.append(result)
        report(result)

    while pending or running:
        while pending and len(running) < jobs:
            path, is_link = pending.pop(0)
            if is_link:
                named = parse_name(path.relative_to(root).as_posix())
                finish(
                    Result(
                        path.relative_to(root).as_posix(),
                        status="refused",
                        student=named[0] if named else "",
                        detail="a link (to a file or folder outside the submissions, perhaps): not followed",
                    )
                )
                continue
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker,
                args=((path, root, teachers, limits, notebook, isolate), send),
                daemon=True,
            )
            process.start()
            send.close()
            running[process.sentinel] = (process, receive, path, time.monotonic() + cap(path))
        ready = wait(list(running) + [entry[1] for entry in running.values()], timeout=1.0)
        for sentinel, (process, receive, path, until) in list(running.items()):
            result = None
            over = time.monotonic() > until
            if receive in ready or sentinel in ready or over:
                if receive.poll():
                    try:
                        result = Result.from_dict(receive.recv())
                    except (EOFError, OSError, ValueError):
                        result = None
                elif sentinel not in ready and not over:
                    continue
                process.join(timeout=0 if result is None else 10)
                if process.is_alive():
                    process.kill()
                    process.join()
                if result is None:
                    relative = path.relative_to(root).as_posix()
                    named = parse_name(relative)
                    result = Result(
                        relative,
                        status="time limit" if over else "answer limit",
                        student=named[0] if named else "",
                        detail="the grader's own work on it passed the time limit"
                        if over
                        else f"the grader's process for it ended (exit {process.exitcode}): its answers "
                        f"needed more than {limits.grader_memory_mb} MB",
                    )
                receive.close()
                del running[sentinel]
                finish(result)
    return results


def grade(
    submissions: str | Path,
    out_dir: str | Path | None = None,
    timeout: float = SUBMISSION_TIMEOUT,
    notebook: str | Path | None = None,
    notebooks: list[Path] | None = None,
    limits: Limits | None = None,
    isolate: bool = True,
    jobs: int | None = None,
    shard: tuple[int, int] | None = None,
    progress: bool = True,
    reuse: bool = True,
    gradebook: str = "plain",
) -> list[Result]:
    """Grade every ``*.ipynb`` under ``submissions``; write the reports into ``out_dir`` (``build/grades``).

    ``isolate=False`` runs submissions without the sandbox (the teacher's explicit, unsafe choice);
    with ``isolate=True`` and no working bubblewrap, ``SandboxUnavailable`` is raised before
    anything runs. ``jobs`` submissions at a time (default: the cores, fewer if the memory would not
    hold that many sandboxes at their limit); ``shard=(k, n)`` grades
    the k-th of n equal parts (``k`` from 1); ``reuse`` keeps the results of ``out_dir``'s last run
    for submissions whose file and checks did not change; ``gradebook`` names a learning platform's
    format written beside ``gradebook.csv`` (``course_tools.gradebook``).

    Example:
        >>> results = grade("submissions/", timeout=120)  # doctest: +SKIP
        >>> [(r.submission, r.status, r.passed) for r in results]  # doctest: +SKIP
        [('alice_00.ipynb', 'ok', 1), ('bob_00.ipynb', 'ok', 0)]
    """
    root = Path(submissions)
    if not root.is_dir():
        raise NotADirectoryError(
            f"SUBMISSIONS must be a folder of submitted notebooks; {root} is not a folder."
        )
    if isolate and not bwrap_path():
        raise SandboxUnavailable(CANNOT_ISOLATE)
    teachers = {p.name[:2]: p for p in (notebooks or course_notebooks())}
    found = _submissions(root)
    if not found:
        raise FileNotFoundError(f"No .ipynb files under {root}.")
    k, n = shard or (1, 1)
    if not 1 <= k <= n:
        raise ValueError(f"--shard K/N needs 1 <= K <= N, got {k}/{n}")
    limits = limits or Limits(seconds=timeout)
    out = Path(out_dir or build_dir("grades"))
    previous = _previous(out) if reuse else {}
    prints: dict[Path, str] = {}
    keyed = []
    for (
        path,
        is_link,
    ) in found:  # every submission, not only this shard's: the run's id names them all
        relative = path.relative_to(root).as_posix()
        named = parse_name(relative)
        teacher = Path(notebook) if notebook else (teachers.get(named[1]) if named else None)
        key = ""
        if not is_link:
            if teacher is not None and teacher not in prints:
                prints[teacher] = _fingerprint(teacher, limits, isolate)
            try:
                key = _key(relative, _read_bytes(path), prints.get(teacher, "no notebook"))
            except (OSError, _Refused, _Invalid):
                key = ""
        keyed.append((path, is_link, key))
    run = {
        "id": _run_id([(path.relative_to(root).as_posix(), key) for path, _, key in keyed], n),
        "shard": [k, n],
    }
    keep, todo = [], []
    for path, is_link, key in keyed[k - 1 :: n]:
        if key and key in previous:  # the key holds the path: the same student's same file
            keep.append(previous[key])
        else:
            todo.append((path, is_link, key))
    print(isolation(isolate), flush=True)
    if keep:
        print(f"{len(keep)} unchanged since the last run: kept, not graded again", flush=True)
    _preload()
    from tqdm import tqdm

    tqdm.monitor_interval = (
        0  # no monitor thread: each submission's process is forked from this one
    )
    keys = {path: key for path, _, key in todo}
    bar = tqdm(
        total=len(todo),
        desc="grading",
        unit="notebook",
        file=sys.stderr,
        disable=not progress or not todo,
        dynamic_ncols=True,
        mininterval=0.5,
    )

    def report(result: Result) -> None:
        result.key = keys.get(root / result.submission, "")
        if result.status in ("time limit", "grader error", "answer limit") and result.key:
            result.key = ""  # a stop that may be the machine's: graded again next time
        bar.write(
            f"{_plain(result.submission)}: {result.status}, {result.passed}/{len(result.checks)} checks passed"
            + (f" ({_plain(result.detail)[:160]})" if result.detail else ""),
            file=sys.stdout,
        )
        bar.update(1)

    try:
        graded = _grade_all(
            [(p, link) for p, link, _ in todo],
            root,
            teachers,
            limits,
            Path(notebook) if notebook else None,
            isolate,
            max(1, jobs or _default_jobs(limits)),
            report,
        )
    finally:
        bar.close()
    results = sorted([*keep, *graded], key=lambda r: r.submission)
    write_reports(results, out, isolate, run, gradebook)
    return results


def _default_jobs(limits: Limits) -> int:
    """The cores this process may use, fewer if the machine's memory would not hold that many sandboxes."""
    import psutil

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    each = (limits.memory_mb + limits.grader_memory_mb // 2) * 2**20
    return max(1, min(cores, psutil.virtual_memory().total // each))
