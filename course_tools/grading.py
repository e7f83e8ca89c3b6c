"""Grade submitted notebooks: run each one, record which exercise checks pass.

Run ``course grade SUBMISSIONS_FOLDER`` (or ``make grade SUBMISSIONS=folder``).
Every ``*.ipynb`` under the folder is one submission; ``alice/02_linear_regression.ipynb`` and
``alice_02.ipynb`` both work. The course notebook it answers is found from the ``NN_`` number in
the file name, else from its ``# NN · Title`` cell (or given with ``--notebook``).

For each submission:

1. it is read as data (never opened for writing, never run when larger than ``MAX_NOTEBOOK_MB`` or
   not a valid notebook), its stored outputs are dropped (a stored ✅ earns nothing), and its own
   cells are scanned for tampering with the checking machinery (``tampering``): such a submission
   is reported as ``tampered`` and earns nothing;
2. it runs top to bottom in a fresh kernel inside a sandbox (``course_tools.sandbox``: no network,
   read-only course, private /tmp; time, memory, process, file and output limits); a cell that
   raises does not stop the run, so later checks still count;
3. at each check cell of the teacher notebook (found in the submission by its source), the grader
   runs the teacher's check cell itself, here, from the course's own code; the names it needs from
   the notebook come from the kernel as data or as calls into it (``course_tools.answers``). A
   check ``pass``es when it raises nothing and prints ✅, ``fail``s on ``CheckFailed`` (with its
   message), is an ``error`` on another exception, ``not run`` when the run stopped before it and
   ``missing`` when the check cell was deleted or edited. Where a check watches how the answer is
   computed (a gradient hook, a recorder of torch calls), the kernel's own run of the cell is
   heard too (``_combine``).

Submissions that are not valid notebooks, crash the kernel or hang are reported as such and the
grading goes on. The report is ``grades.csv`` and ``grades.md`` in ``build/grades/`` (or ``--out``).
"""

from __future__ import annotations

import ast
import csv
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_tools.answers import Channel, Namespace, ProtocolError, SandboxGone, Session, notebook_imports, run_check
from course_tools.execution import SUBMISSION_TIMEOUT
from course_tools.notebook_tools import build_dir, course_notebooks
from course_tools.sandbox import Limits, Sandbox, bwrap_path, isolation
from course_tools.student import find_exercises

__all__ = ["Check", "Limits", "Result", "grade", "grade_one", "tampering", "teacher_checks", "write_reports"]

PASS_MARK = "✅"
SYMBOLS = {"pass": "✅", "fail": "❌", "error": "💥", "not run": "⏭", "missing": "❓", "tampered": "🚫"}
_NUMBER = re.compile(r"(?:^|[^0-9])(\d\d)_")
_TITLE = re.compile(r"^#\s+(\d\d)\s+·")


@dataclass(frozen=True)
class Check:
    """A check cell of a teacher notebook, named after the exercise(s) it checks."""

    label: str
    source: str


@dataclass
class Result:
    """The grade of one submission."""

    submission: str
    notebook: str = ""
    status: str = "ok"  # ok, invalid, unknown notebook, tampered, crashed, time limit, memory limit, ...
    detail: str = ""
    checks: dict[str, str] = field(default_factory=dict)  # label -> pass/fail/error/not run/missing/tampered
    messages: dict[str, str] = field(default_factory=dict)  # label -> why it did not pass
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(state == "pass" for state in self.checks.values())


def teacher_checks(nb: nbformat.NotebookNode) -> list[Check]:
    """The check cells of a teacher notebook, in order, labelled by the exercises they check.

    Example:
        >>> nb = nbformat.read(course_notebooks()[0], as_version=4)
        >>> [c.label for c in teacher_checks(nb)]
        ['column_sums']
    """
    labels: dict[int, list[str]] = {}
    for exercise in find_exercises(nb):
        if exercise.check_cell is not None:
            labels.setdefault(exercise.check_cell, []).append(exercise.name)
    return [Check("+".join(names), nb.cells[i].source) for i, names in labels.items()]


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _which_notebook(path: Path, nb: nbformat.NotebookNode | None, teachers: dict[str, Path]) -> Path | None:
    numbers = _NUMBER.findall(path.name)
    if not numbers and nb is not None and nb.cells and nb.cells[0].cell_type == "markdown":
        numbers = _TITLE.findall(nb.cells[0].source)
    return teachers.get(numbers[0]) if numbers else None


def grade_one(path: Path, root: Path, teachers: dict[str, Path], limits: Limits,
              notebook: Path | None = None, isolate: bool = True) -> Result:
    """Grade the submission ``path`` (never modified) against its teacher notebook.

    ``teachers`` maps a notebook number ("02") to the teacher notebook; ``notebook`` overrides it.

    Example:
        >>> grade_one(Path("subs/alice_02.ipynb"), Path("subs"), {"02": teacher}, Limits())  # doctest: +SKIP
        Result(submission='alice_02.ipynb', notebook='02_linear_regression.ipynb', status='ok', ...)
    """
    result = Result(submission=str(path.relative_to(root)))
    start = time.perf_counter()
    try:
        _grade_copy(path, result, teachers, limits, notebook, isolate)
    finally:
        result.seconds = time.perf_counter() - start
    return result


MAX_NOTEBOOK_MB = 20  # a larger submission is refused unread
#: Modules whose functions the checks rely on: a submission that replaces one is reported as tampered.
_GUARDED = ("course_utils", "course_tools", "torch", "numpy", "builtins", "math", "IPython", "nbformat", "sys")
#: Cell errors that mean a limit was reached, in a teacher's words.
_LIMIT_ERRORS = {"MemoryError": "memory limit", "BlockingIOError": "process limit",
                 "File too large": "file size limit", "No space left on device": "disk space limit"}
_STOPPED = {"time limit": "still running after {seconds:.0f} s (and {startup_seconds:.0f} s to start)", "memory limit": "used more than {memory_mb} MB of memory",
            "process limit": "started more than {processes} processes and threads",
            "output limit": "printed more than 20 MB", "crashed": "the kernel died"}


def _matching_cells(nb: nbformat.NotebookNode, checks: list[Check]) -> dict[int, Check]:
    """Submission cell index -> the teacher's check it holds (matched by source, blanks ignored)."""
    wanted = {_normalised(c.source): c for c in checks}
    found: dict[int, Check] = {}
    for index, cell in enumerate(nb.cells):
        check = wanted.get(_normalised(cell.source)) if cell.cell_type == "code" else None
        if check is not None and check not in found.values():
            found[index] = check
    return found


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):  # get_ipython().showtraceback = ...
        return ".".join([_dotted(node.func) + "()", *reversed(parts)])
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def tampering(nb: nbformat.NotebookNode, teacher: nbformat.NotebookNode) -> list[str]:
    """What the submission's own cells do to the checking machinery, in words (empty: nothing).

    Replacing a function or module of ``course_utils``, ``torch``, ``numpy``, ``builtins`` or
    ``sys``, writing into ``sys.modules``, or hooking IPython's exception or output handling.
    A scan of the source: it names what honest code never does; the grade does not rely on it
    (checks run outside the sandbox), it tells the teacher what was tried.

    Example:
        >>> cell = nbformat.v4.new_code_cell("import torch\\ntorch.allclose = lambda *a, **k: True")
        >>> tampering(nbformat.v4.new_notebook(cells=[cell]), nbformat.v4.new_notebook())
        ['cell 0 replaces torch.allclose']
    """
    teachers = {_normalised(c.source) for c in teacher.cells if c.cell_type == "code"}
    found: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _normalised(cell.source) in teachers:
            continue
        try:
            tree = ast.parse("\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        modules = {"builtins", "__builtins__"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] in _GUARDED}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _GUARDED:
                modules |= {a.asname or a.name for a in node.names}
        modules |= set(_GUARDED)
        for node in ast.walk(tree):
            targets: list[ast.AST] = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                    and node.args and _dotted(node.args[0]).split(".")[0] in modules:
                found.append(f"cell {index} calls {node.func.id} on {_dotted(node.args[0])}")
            elif isinstance(node, ast.Call) and _dotted(node.func).endswith(("set_custom_exc", "events.register")):
                found.append(f"cell {index} hooks IPython ({_dotted(node.func)})")
            for target in targets:
                if isinstance(target, ast.Subscript) and _dotted(target.value) in ("sys.modules", "__builtins__"):
                    found.append(f"cell {index} writes into {_dotted(target.value)}")
                name = _dotted(target) if isinstance(target, ast.Attribute) else ""
                if "()" in name and name.split(".")[-1] in ("showtraceback", "_showtraceback", "showsyntaxerror",
                                                                       "display_pub", "displayhook", "run_cell"):
                    found.append(f"cell {index} hooks IPython ({name})")
                elif name and name.split(".")[0] in modules and name.split(".")[-1] not in _HARMLESS:
                    found.append(f"cell {index} replaces {name}")
    return list(dict.fromkeys(found))


#: Module settings honest notebooks change (``torch.backends.cudnn.deterministic = True``).
_HARMLESS = ("deterministic", "benchmark", "allow_tf32", "printoptions", "dont_write_bytecode", "rcParams",
             "recursionlimit")


def _read_submission(path: Path, result: Result) -> nbformat.NotebookNode | None:
    if path.stat().st_size > MAX_NOTEBOOK_MB * 2**20:
        result.status, result.detail = "invalid", f"the file is larger than {MAX_NOTEBOOK_MB} MB: not opened"
        return None
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        return nb
    except Exception as err:  # noqa: BLE001 - every unreadable file is reported, not raised
        first = str(err).splitlines()[0][:200] if str(err).strip() else type(err).__name__
        result.status, result.detail = "invalid", f"not a valid notebook: {first}"
        return None


def _sandbox_reads() -> list[Path]:
    """What the sandbox may read: the Python installation, the environment, the course packages, its data."""
    import course_utils

    reads = [Path(sys.base_prefix), Path(sys.prefix), Path(course_utils.__file__).parent, Path(__file__).parent,
             Path(course_utils.__file__).parent.parent / "data"]
    if os.environ.get("CATS_DOGS_DIR"):
        reads.append(Path(os.environ["CATS_DOGS_DIR"]))
    return [p.resolve() for p in reads]


def _sandbox_env() -> dict[str, str]:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "JUPYTER_PLATFORM_DIRS": "1",
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    if os.environ.get("CATS_DOGS_DIR"):
        env["CATS_DOGS_DIR"] = str(Path(os.environ["CATS_DOGS_DIR"]).resolve())
    return env


def _combine(result: Result, label: str, state: str, why: str, watched: bool, ticked: bool, error: str) -> None:
    """The check's grade from the grader's run and the kernel's own run of the same cell.

    The grader's run decides, except where the check watched how the answer is computed (a
    gradient hook, a recorder of torch calls: that happens in the kernel, out of the grader's
    sight). Then a rule the kernel's run saw broken fails the check, and a grader's failure the
    kernel's run does not confirm is the grader's blind spot, not the student's: it passes.
    """
    if not watched:
        return
    kernel = "pass" if ticked and not error else "fail" if error.startswith("CheckFailed") else "error"
    if state == "pass" and kernel != "pass":
        result.checks[label] = kernel
        result.messages[label] = (error.partition(": ")[2] if kernel == "fail" else error) or "the check printed no ✅"
    elif state != "pass" and kernel == "pass":
        result.checks[label] = "pass"
        result.messages.pop(label, None)


def _grade_copy(path: Path, result: Result, teachers: dict[str, Path], limits: Limits,
                notebook: Path | None, isolate: bool) -> None:
    nb = _read_submission(path, result)
    teacher = notebook or _which_notebook(path, nb, teachers)
    if teacher is None:
        if nb is not None:
            result.status = "unknown notebook"
            result.detail = "no NN_ number in the file name or title; pass --notebook"
        return
    result.notebook = teacher.name
    teacher_nb = nbformat.read(teacher, as_version=4)
    checks = teacher_checks(teacher_nb)
    result.checks = {c.label: "not run" for c in checks}
    if nb is None:
        return
    at = _matching_cells(nb, checks)
    for check in checks:
        if check not in at.values():
            result.checks[check.label] = "missing"
            result.messages[check.label] = "the check cell was deleted or edited; restore it from the original notebook"
    touched = tampering(nb, teacher_nb)
    if touched:
        result.status, result.detail = "tampered", "; ".join(touched)[:500] + " (not run: no points)"
        result.checks = {label: "tampered" for label in result.checks}
        result.messages.clear()
        return
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    imports = notebook_imports([c.source for c in teacher_nb.cells if c.cell_type == "code"])
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        copy = Path(tmp) / "submission.ipynb"
        nbformat.write(nb, copy)
        _run_and_judge(copy, Path(tmp), at, imports, limits, result, isolate)


def _run_and_judge(copy: Path, tmp: Path, at: dict[int, Check], imports: dict[str, tuple[str, str | None]],
                   limits: Limits, result: Result, isolate: bool) -> None:
    """Run the submission in the sandbox; at each check cell, run the check here against its answers."""
    requests_r, requests_w = os.pipe()
    events_r, events_w = os.pipe()
    work = Path("/submission") if isolate and bwrap_path() else tmp / "work"
    argv = [sys.executable, "-m", "course_tools.answers", str(work / "submission.ipynb"),
            ",".join(str(i) for i in sorted(at)), limits.to_json(), str(requests_r), str(events_w)]
    box = Sandbox(argv, work=work, files={"submission.ipynb": copy}, read_only=_sandbox_reads(),
                  env=_sandbox_env(), limits=limits, pass_fds=(requests_r, events_w), isolate=isolate)
    os.close(requests_r)
    os.close(events_w)
    channel = Channel(events_r, requests_w)
    ended = False
    try:
        ended = _follow(channel, Session(channel, box.deadline, box.watch), box, at, imports, result)
    except ProtocolError as err:
        result.status, result.detail = "tampered", f"the sandbox sent what no honest notebook sends ({err})"
        result.checks = {label: "tampered" if state == "pass" else state for label, state in result.checks.items()}
    except (SandboxGone, TimeoutError, BrokenPipeError):
        pass
    finally:
        box.stop()
        os.close(events_r)
        os.close(requests_w)
    if box.stopped:
        result.status, result.detail = box.stopped, _STOPPED.get(box.stopped, "").format(**vars(limits))
    elif not ended and result.status == "ok":
        why = box.exit_reason()
        result.status = why if why.endswith("limit") else "crashed"
        result.detail = (why if why and not why.endswith("limit") else "the kernel stopped before the end") + \
            (f"; {box.stderr_tail().strip().splitlines()[-1][:200]}" if box.stderr_tail().strip() else "")


def _follow(channel: Channel, session: Session, box: Sandbox, at: dict[int, Check],
            imports: dict[str, tuple[str, str | None]], result: Result) -> bool:
    """Follow the driver's events to the end (True) or to a stop (False), judging each check."""
    own: dict = {}
    judged: dict[int, tuple[str, str, bool]] = {}  # check cell -> the grader's state, why, and whether it watched
    while True:
        event = channel.receive(box.deadline, box.watch)
        kind = event.get("event")
        if kind == "end":
            return True
        if kind == "started":
            continue
        if kind == "cell":
            error = str(event.get("error", ""))
            if event.get("cell") in judged:
                _combine(result, at[event["cell"]].label, *judged.pop(event["cell"]), event.get("ticked") is True, error)
            reason = next((why for key, why in _LIMIT_ERRORS.items() if key in error), "")
            if reason and not result.detail:
                result.detail = f"{reason} reached in cell {event.get('cell')} ({error[:120]})"
        elif kind == "stopped":
            if event.get("reason") not in _STOPPED:
                raise ProtocolError(f"an unknown reason to stop: {str(event.get('reason'))[:40]}")
            result.status = event["reason"]
            result.detail = str(event.get("detail") or f"in cell {event.get('cell')}")[:300]
            return False
        elif kind == "check" and event.get("cell") in at:
            check = at[event["cell"]]
            answer = channel.receive(box.deadline, box.watch)
            if answer.get("event") == "unanswered":
                result.checks[check.label] = "error"
                result.messages[check.label] = f"the kernel could not answer: {str(answer.get('detail'))[:200]}"
                continue
            if answer.get("event") != "serving":
                raise ProtocolError(f"expected the answer server, got {str(answer)[:80]}")
            namespace = Namespace(session, imports, own)
            session.watched = False
            state, why = run_check(check.source, namespace)
            own = namespace.own()
            result.checks[check.label] = state
            if why:
                result.messages[check.label] = why
            judged[event["cell"]] = (state, why, session.watched)
            channel.send({"op": "continue"})
        else:
            raise ProtocolError(f"an unexpected message {str(event)[:80]}")


def write_reports(results: list[Result], out_dir: Path, isolated: bool = True) -> tuple[Path, Path]:
    """Write ``grades.csv`` and ``grades.md`` into ``out_dir``; their paths.

    Example:
        >>> write_reports([Result("alice.ipynb", "00_start_here.ipynb", checks={"f": "pass"})],
        ...               Path(tempfile.mkdtemp()))[0].name
        'grades.csv'
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = list(dict.fromkeys(label for r in results for label in r.checks))
    csv_path, md_path = out_dir / "grades.csv", out_dir / "grades.md"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "notebook", "status", "passed", "total", *(f"check:{label}" for label in labels), "detail", "seconds"])
        for r in results:
            problems = "; ".join(f"{label}: {why}" for label, why in r.messages.items())
            detail = "; ".join(part for part in (r.detail, problems) if part)
            writer.writerow([r.submission, r.notebook, r.status, r.passed, len(r.checks),
                             *(r.checks.get(label, "") for label in labels), detail, f"{r.seconds:.1f}"])
    lines = ["# Grades", "", f"Submissions: {isolation(isolated)}.", "",
             "| submission | notebook | status | passed | " + " | ".join(labels) + " |",
             "|---|---|---|---|" + "---|" * len(labels)]
    for r in results:
        marks = " | ".join(SYMBOLS.get(r.checks.get(label, ""), "") for label in labels)
        lines.append(f"| {r.submission} | {r.notebook} | {r.status} | {r.passed}/{len(r.checks)} | {marks} |")
    lines += ["", "Legend: " + ", ".join(f"{s} {name}" for name, s in SYMBOLS.items()), "", "## Problems", ""]
    for r in results:
        if r.detail:
            lines.append(f"- **{r.submission}**: {r.status}: {r.detail}")
        lines += [f"- **{r.submission}**, `{label}` ({r.checks[label]}): {why}" for label, why in r.messages.items()]
    if lines[-1] == "":
        lines.append("None: every check passed.")
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path, md_path


def grade(submissions: str | Path, out_dir: str | Path | None = None, timeout: float = SUBMISSION_TIMEOUT,
          notebook: str | Path | None = None, notebooks: list[Path] | None = None,
          limits: Limits | None = None, isolate: bool = True) -> list[Result]:
    """Grade every ``*.ipynb`` under ``submissions``; write the reports into ``out_dir`` (``build/grades``).

    Example:
        >>> results = grade("submissions/", timeout=120)  # doctest: +SKIP
        >>> [(r.submission, r.status, r.passed) for r in results]  # doctest: +SKIP
        [('alice.ipynb', 'ok', 1), ('bob.ipynb', 'ok', 0)]
    """
    root = Path(submissions)
    if not root.is_dir():
        raise NotADirectoryError(f"SUBMISSIONS must be a folder of submitted notebooks; {root} is not a folder.")
    teachers = {p.name[:2]: p for p in (notebooks or course_notebooks())}
    paths = sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        raise FileNotFoundError(f"No .ipynb files under {root}.")
    limits = limits or Limits(seconds=timeout)
    print(isolation(isolate), flush=True)
    results = []
    for path in paths:
        print(f"grading {path.relative_to(root)} ...", flush=True)
        result = grade_one(path, root, teachers, limits, Path(notebook) if notebook else None, isolate)
        print(f"  {result.status}: {result.passed}/{len(result.checks)} checks passed"
              + (f" ({result.detail})" if result.detail else ""), flush=True)
        results.append(result)
    write_reports(results, Path(out_dir or build_dir("grades")), isolate)
    return results

