"""Grade submitted notebooks: run each one in a sandbox, decide every check in the grader.

Run ``course grade SUBMISSIONS_FOLDER`` (or ``make grade SUBMISSIONS=folder``). Every ``*.ipynb``
under the folder is one submission, named by the documented pattern (``parse_name``):
``STUDENT_NN.ipynb``, ``STUDENT_NN_anything.ipynb`` or ``STUDENT/NN_anything.ipynb``, where
``STUDENT`` is the student's id (letters, digits, ``.``, ``-``, ``@``, ``+``; no ``_``) and ``NN`` the
number of the course notebook it answers (``--notebook`` names one for all).

For each submission, in a process of its own (forked from a grader that has run no student
code, so its grade never depends on what was graded before):

1. the file is read as data: a link or anything but a regular file is refused unread, a file
   over ``MAX_NOTEBOOK_MB`` or not a valid notebook is ``invalid``; stored outputs are dropped
   (a stored ✅ earns nothing); its own cells are scanned for tampering with the checking
   machinery (``tampering``): such a submission is reported as ``tampered`` and earns nothing;
2. its code cells run top to bottom in an IPython shell inside a sandbox
   (``course_tools.sandbox``: no network, read-only course, private /tmp; time, memory,
   process, file and output limits); a cell that raises does not stop the run;
3. at each check cell of the teacher notebook (found in the submission by its source), the
   grader runs the teacher's check statements itself, here, from the course's code; the names
   they need from the notebook come from the sandbox as plain data or as calls into it
   (``course_tools.answers``). A check ``pass``es when it raises nothing and prints ✅,
   ``fail``s on ``CheckFailed`` (with its message), is an ``error`` on another exception,
   ``not run`` when the run stopped before it and ``missing`` when the cell was deleted or edited.
   The sandbox's own run of the cell counts for nothing.

One cause, one status: ``ok``; ``tampered`` (the scan, or a message no honest notebook sends);
``time limit`` (the notebook or a call a check made, past the time); ``memory limit``,
``process limit``, ``output limit``, ``file size limit`` (the sandbox's limits); ``answer limit``
(answers too large for the grader's own bounds); ``crashed`` (the sandbox ended early);
``invalid``, ``refused``, ``unknown notebook`` (never run); ``grader error`` (a bug here, reported).

Many at once: ``jobs`` submissions run in parallel (default: the cores) with a progress bar;
``shard=(k, n)`` grades every n-th submission from the k-th (for a batch system's job array),
``merge`` combines the shards' reports; a submission whose file and the course's checks are
unchanged since the last run into the same folder is not graded again. The reports, in
``build/grades/`` (or ``--out``): ``grades.csv`` and ``grades.md`` (one row per submission),
``gradebook.csv`` (one row per student, for a learning platform) and ``results.json``.
"""

from __future__ import annotations

import ast
import csv
import functools
import hashlib
import html
import json
import multiprocessing
import os
import re
import stat
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course_tools.answers import (
    AnswerTooLarge,
    Channel,
    GradingStop,
    Namespace,
    ProtocolError,
    Remote,
    SandboxGone,
    Session,
    TimeLimit,
    notebook_imports,
    run_check,
)
from course_tools.execution import SUBMISSION_TIMEOUT
from course_tools.gradebook import write_feedback, write_gradebook
from course_tools.notebook_tools import build_dir, course_notebooks
from course_tools.sandbox import CANNOT_ISOLATE, Limits, Sandbox, SandboxUnavailable, bwrap_path, isolation
from course_tools.student import find_exercises

__all__ = ["REFERENCES", "Check", "Limits", "MergeRefused", "Result", "SandboxUnavailable", "deciding_sources", "grade",
           "grade_one", "merge", "name_conflict", "parse_name", "points_printed", "reference_use", "tampering",
           "teacher_checks", "write_reports"]

PASS_MARK = "✅"
SYMBOLS = {"pass": "✅", "fail": "❌", "error": "💥", "not run": "⏭", "missing": "❓", "tampered": "🚫", "reference": "📖"}
MAX_NOTEBOOK_MB = 20  # a larger submission is refused unread
#: The student's id in a file or folder name: no "_", which separates it from the notebook number.
_STUDENT = r"[A-Za-z0-9][A-Za-z0-9.@+\-]*"
_FILE_NAME = re.compile(rf"^(?P<student>{_STUDENT})_(?P<number>\d\d)(?:_[^/]*)?\.ipynb$")
_IN_FOLDER = re.compile(r"^(?P<number>\d\d)(?:_[^/]*)?\.ipynb$")


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
    status: str = "ok"
    detail: str = ""
    checks: dict[str, str] = field(default_factory=dict)  # label -> pass/fail/error/not run/missing/tampered
    messages: dict[str, str] = field(default_factory=dict)  # label -> why it did not pass
    seconds: float = 0.0
    student: str = ""
    key: str = ""  # the submission's bytes and the course's checks, hashed: unchanged -> not graded again
    items: dict[str, list[list[Any]]] = field(default_factory=dict)  # label -> [what, earned, possible] a check printed
    seed: str = ""  # the homework's MY_SEED as the notebook set it, when its check used it

    @property
    def passed(self) -> int:
        return sum(state == "pass" for state in self.checks.values())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """A result from ``results.json`` (fields checked, so a hand-edited file cannot inject code or types)."""
        known = {f: data.get(f) for f in cls.__dataclass_fields__ if f in data}
        result = cls(submission=str(known.pop("submission", "")))
        for name in ("notebook", "status", "detail", "student", "key", "seed"):
            setattr(result, name, str(known.get(name) or ""))
        result.seconds = float(known.get("seconds") or 0.0)
        for name in ("checks", "messages"):
            value = known.get(name) or {}
            setattr(result, name, {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {})
        items = known.get("items") if isinstance(known.get("items"), dict) else {}
        result.items = {str(label): [[str(what), float(earned), float(possible)] for what, earned, possible in rows]
                        for label, rows in items.items() if isinstance(rows, list) and all(
                            isinstance(row, list) and len(row) == 3 and all(isinstance(x, (int, float)) and
                                                                             not isinstance(x, bool) for x in row[1:])
                            for row in rows)}
        return result


def parse_name(relative: str) -> tuple[str, str] | None:
    """The (student, notebook number) a submission's path names, by the documented pattern only; a
    student's folder wins over a student named in the file name (``name_conflict`` says so).

    Example:
        >>> parse_name("alice_02_linear_regression.ipynb"), parse_name("bob/07_generative.ipynb")
        (('alice', '02'), ('bob', '07'))
        >>> parse_name("notes_2024_v2.ipynb") is None, parse_name("03_x_02_y.ipynb") is None
        (True, True)
    """
    parts = relative.replace(os.sep, "/").split("/")
    folder = parts[-2] if len(parts) >= 2 and re.fullmatch(_STUDENT, parts[-2]) else None
    match = _FILE_NAME.match(parts[-1]) or (_IN_FOLDER.match(parts[-1]) if folder else None)
    if match is None:
        return None
    return folder or match["student"], match["number"]


def name_conflict(relative: str) -> str:
    """What a submission's folder and file name say that disagrees ("" if nothing): the folder wins.

    Example:
        >>> name_conflict("bob/alice_02.ipynb")
        "the file is named for alice but lies in bob's folder: graded as bob's"
        >>> name_conflict("bob/bob_02.ipynb"), name_conflict("bob/02_x.ipynb")
        ('', '')
    """
    parts = relative.replace(os.sep, "/").split("/")
    match = _FILE_NAME.match(parts[-1])
    named = parse_name(relative)
    if match and named and match["student"] != named[0]:
        return f"the file is named for {match['student']} but lies in {named[0]}'s folder: graded as {named[0]}'s"
    return ""


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


def _matching_cells(nb: nbformat.NotebookNode, checks: list[Check]) -> dict[int, Check]:
    """Submission cell index -> the teacher's check it holds (matched by source, blanks ignored)."""
    wanted = {_normalised(c.source): c for c in checks}
    found: dict[int, Check] = {}
    for index, cell in enumerate(nb.cells):
        check = wanted.get(_normalised(cell.source)) if cell.cell_type == "code" else None
        if check is not None and check not in found.values():
            found[index] = check
    return found


# ---------------------------------------------------------------- the tampering scan

#: Modules whose functions the checks rely on: a submission that replaces one is reported as tampered.
_GUARDED = ("course_utils", "course_tools", "torch", "numpy", "builtins", "math", "IPython", "nbformat", "sys")
#: Module settings honest notebooks change (``torch.backends.cudnn.deterministic = True``).
_HARMLESS = ("deterministic", "benchmark", "allow_tf32", "printoptions", "dont_write_bytecode", "rcParams",
             "recursionlimit")
#: Attributes of functions whose replacement swaps their code.
_FUNCTION_PARTS = ("__code__", "__globals__", "__defaults__", "__kwdefaults__", "__closure__", "__builtins__")
#: Calls that reach the checking machinery's frames, objects or pipes.
_REACHING = {"sys._getframe": "reads the caller's frames", "inspect.currentframe": "reads the caller's frames",
             "inspect.stack": "reads the caller's frames", "gc.get_objects": "searches the interpreter's objects",
             "gc.get_referrers": "searches the interpreter's objects", "os.write": "writes to a raw file descriptor",
             "os.dup2": "rewires a file descriptor", "os.fdopen": "opens a raw file descriptor"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):  # get_ipython().showtraceback = ...
        return ".".join([_dotted(node.func) + "()", *reversed(parts)])
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def _cell_trees(source: str) -> list[ast.AST]:
    """The cell as Python, and the code inside its magics (``%time x = ...``, ``%%capture``)."""
    from course_tools.answers import _python

    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []
    trees = [tree]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func).endswith(("run_line_magic", "run_cell_magic")):
            for arg in node.args[1:]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    text = arg.value.split(None, 1)[-1] if arg.value.lstrip().startswith("-") else arg.value
                    trees += _cell_trees(text)
    return trees


def tampering(nb: nbformat.NotebookNode, teacher: nbformat.NotebookNode) -> list[str]:
    """What the submission's own cells do to the checking machinery, in words (empty: nothing).

    Replacing a function or module of ``course_utils``, ``torch``, ``numpy``, ``builtins`` or
    ``sys``, writing into ``sys.modules``, hooking IPython's exception or output handling,
    defining a name the teacher's checks use, swapping a function's code, running code the
    scan cannot read (``exec``, ``eval``, ``compile``), reaching for frames, the interpreter's
    objects or raw file descriptors; also inside magics (``%time ...``). A scan of the source:
    the grade does not rely on it (checks run in the grader), it names what was tried.

    Example:
        >>> cell = nbformat.v4.new_code_cell("import torch\\ntorch.allclose = lambda *a, **k: True")
        >>> tampering(nbformat.v4.new_notebook(cells=[cell]), nbformat.v4.new_notebook())
        ['cell 0 replaces torch.allclose']
    """
    teachers = {_normalised(c.source) for c in teacher.cells if c.cell_type == "code"}
    check_names = set(notebook_imports([c.source for c in teacher.cells if c.cell_type == "code"
                                        and "check_" in c.source]))
    check_names = {n for n in check_names if n.startswith("check_") or n in ("CheckFailed", "passed", "call_student",
                                                                              "check_close", "check_tensor")}
    found: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _normalised(cell.source) in teachers:
            continue
        for tree in _cell_trees(cell.source):
            found += _scan(tree, index, check_names)
    return list(dict.fromkeys(found))


def _scan(tree: ast.AST, index: int, check_names: set[str]) -> list[str]:
    found: list[str] = []
    modules = {"builtins", "__builtins__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] in _GUARDED}
            found += [f"cell {index} imports ctypes" for a in node.names if a.name.split(".")[0] == "ctypes"]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in _GUARDED:
                modules |= {a.asname or a.name for a in node.names}
            if (node.module or "").split(".")[0] == "ctypes":
                found.append(f"cell {index} imports ctypes")
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                _dotted(node.value.func) in ("importlib.import_module", "__import__", "import_module"):
            modules |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    modules |= set(_GUARDED)
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in check_names:
            found.append(f"cell {index} defines its own {node.name}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [f"cell {index} binds {a.asname} to another import" for a in node.names
                      if a.asname in check_names]
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if isinstance(node.func, ast.Name) and name in ("setattr", "delattr") and node.args \
                    and _dotted(node.args[0]).split(".")[0] in modules:
                found.append(f"cell {index} calls {name} on {_dotted(node.args[0])}")
            elif name.endswith(("set_custom_exc", "events.register")):
                found.append(f"cell {index} hooks IPython ({name})")
            elif name in ("exec", "eval", "compile") and not (node.args and isinstance(node.args[0], ast.Constant)):
                found.append(f"cell {index} runs code the grader cannot read ({name})")
            elif name in _REACHING:
                found.append(f"cell {index} {_REACHING[name]} ({name})")
        for target in targets:
            if isinstance(target, ast.Name) and target.id in check_names:
                found.append(f"cell {index} replaces {target.id}")
            if isinstance(target, ast.Subscript) and _dotted(target.value) in ("sys.modules", "__builtins__"):
                found.append(f"cell {index} writes into {_dotted(target.value)}")
            name = _dotted(target) if isinstance(target, ast.Attribute) else ""
            if "()" in name and name.split(".")[-1] in ("showtraceback", "_showtraceback", "showsyntaxerror",
                                                        "display_pub", "displayhook", "run_cell"):
                found.append(f"cell {index} hooks IPython ({name})")
            elif isinstance(target, ast.Attribute) and target.attr in _FUNCTION_PARTS:
                found.append(f"cell {index} replaces {name or target.attr}")
            elif name and name.split(".")[0] in modules and name.split(".")[-1] not in _HARMLESS:
                found.append(f"cell {index} replaces {name}")
    return found


# ---------------------------------------------------------------- the course's reference solutions

#: Where the course keeps the reference solution of each exercise (the "stuck? use the reference" line imports one).
REFERENCES = "course_utils.exercises.*.reference_*"
_COPIED = 6  # statements: a reference this long, pasted as it is, is a copy (a shorter one is what anyone writes)


def reference_use(sources: list[str], name: str) -> str:
    """How the answer ``name`` of the submitted cells is the course's reference solution ("" if it is not):
    imported or bound as one, calling one (read as ``course_utils.code_reading`` reads an answer, aliases
    resolved), or holding a reference's body as it is.

    Example:
        >>> reference_use(["from course_utils.exercises.nb04_spiral import reference_early_stopping as f"], "f")
        'f is course_utils.exercises.nb04_spiral.reference_early_stopping'
        >>> reference_use(["def f(x):\\n    return 2 * x"], "f")
        ''
    """
    from fnmatch import fnmatchcase

    from course_utils.code_reading import read_cells

    reading = read_cells(sources, name)
    binding = reading.notebook.top.get(name)
    if binding is not None and binding.kind == "import" and fnmatchcase(binding.imported, REFERENCES):
        return f"{name} is {binding.imported}"
    if reading.problem is None:
        found = reading.uses(REFERENCES)
        if found:
            return f"{name} uses {found[0]}"
    if binding is not None and isinstance(binding.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        body = _body(binding.node)
        for qualified, reference in _reference_bodies().items():
            if body == reference:
                return f"{name} is a copy of {qualified}"
    return ""


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """A function's statements without its docstring, as ``ast.dump`` writes them (names kept, places not)."""
    body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) and \
        isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str) else node.body
    return ast.dump(ast.Module(body=body, type_ignores=[]))


@functools.lru_cache(maxsize=1)
def _reference_bodies() -> dict[str, str]:
    """The body of every reference solution long enough that an identical one is a copy."""
    import importlib
    import inspect
    import pkgutil

    import course_utils.exercises as exercises

    bodies = {}
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"course_utils.exercises.{info.name}")
        for attribute, value in vars(module).items():
            if attribute.startswith("reference_") and inspect.isfunction(value) and value.__module__ == module.__name__:
                node = ast.parse(inspect.getsource(value)).body[0]
                if sum(isinstance(n, ast.stmt) for n in ast.walk(node)) > _COPIED:
                    bodies[f"{module.__name__}.{attribute}"] = _body(node)
    return bodies


# ---------------------------------------------------------------- one submission

#: Cell errors that mean a sandbox limit was reached, in a teacher's words (detail only).
_LIMIT_ERRORS = {"MemoryError": "memory limit", "BlockingIOError": "process limit",
                 "File too large": "file size limit", "No space left on device": "disk space limit"}
_STOPPED = {"time limit": "still running after {seconds:.0f} s (and {startup_seconds:.0f} s to start)",
            "memory limit": "used more than {memory_mb} MB of memory",
            "process limit": "started more than {processes} processes and threads",
            "output limit": "printed more than 20 MB", "crashed": "the sandbox ended before the notebook did",
            "answer limit": "its answers needed more than {grader_memory_mb} MB in the grader"}


def _read_bytes(path: Path) -> bytes:
    """The submission's bytes: never through a link, never from anything but a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("not a regular file")
        if info.st_size > MAX_NOTEBOOK_MB * 2**20:
            raise _Invalid(f"the file is larger than {MAX_NOTEBOOK_MB} MB: not opened")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_NOTEBOOK_MB * 2**20:
                raise _Invalid(f"the file is larger than {MAX_NOTEBOOK_MB} MB: not opened")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class _Refused(Exception):
    pass


class _Invalid(Exception):
    pass


def _read_submission(data: bytes, result: Result) -> nbformat.NotebookNode | None:
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
        return nb
    except Exception as err:  # noqa: BLE001 - every unreadable file is reported, not raised
        first = str(err).splitlines()[0][:200] if str(err).strip() else type(err).__name__
        result.status, result.detail = "invalid", f"not a valid notebook: {first}"
        return None
    except RecursionError:
        result.status, result.detail = "invalid", "not a valid notebook: nested too deeply"
        return None


def grade_one(path: Path, root: Path, teachers: dict[str, Path], limits: Limits,
              notebook: Path | None = None, isolate: bool = True) -> Result:
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
        result.status, result.detail = "answer limit", _STOPPED["answer limit"].format(**vars(limits))
        result.checks = {k: "not run" if v == "pass" else v for k, v in result.checks.items()}
    except SandboxUnavailable:
        raise
    except Exception as err:  # noqa: BLE001 - a bug here is one submission's problem, reported
        result.status, result.detail = "grader error", f"{type(err).__name__}: {str(err)[:300]}"
    finally:
        result.seconds = time.perf_counter() - start
    result.detail = "; ".join(part for part in (result.detail, name_conflict(relative)) if part)
    return result


def _grade(path: Path, named: tuple[str, str] | None, result: Result, teachers: dict[str, Path], limits: Limits,
           notebook: Path | None, isolate: bool) -> None:
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
        result.status, result.detail = "refused", f"cannot be opened as a plain file ({err.strerror}): not read"
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
            result.messages[check.label] = "the check cell was deleted or edited; restore it from the original notebook"
    touched = tampering(nb, teacher_nb)
    if touched:
        result.status, result.detail = "tampered", "; ".join(touched)[:500] + " (not run: no points)"
        result.checks = {label: "tampered" for label in result.checks}
        result.messages.clear()
        return
    code = [(i, cell.source) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    imports = notebook_imports([c.source for c in teacher_nb.cells if c.cell_type == "code"])
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        spec = Path(tmp) / "cells.json"
        spec.write_text(json.dumps({"cells": code, "checks": sorted(at)}), encoding="utf-8")
        _run_and_judge(spec, Path(tmp), code, at, imports, limits, result, isolate)


def _sandbox_reads() -> list[Path]:
    """What the sandbox may read: the Python installation, the environment, the course packages, its data."""
    import course_utils

    reads = [Path(sys.base_prefix), Path(sys.prefix), Path(course_utils.__file__).parent, Path(__file__).parent,
             Path(course_utils.__file__).parent.parent / "data"]
    reads += [Path(p) for p in os.environ.get("CATS_DOGS_DIR", "").split(os.pathsep) if p.strip()]
    return [p.resolve() for p in reads]


def _sandbox_env() -> dict[str, str]:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "JUPYTER_PLATFORM_DIRS": "1",
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    if os.environ.get("CATS_DOGS_DIR"):
        env["CATS_DOGS_DIR"] = os.pathsep.join(str(Path(p).resolve()) for p in
                                               os.environ["CATS_DOGS_DIR"].split(os.pathsep) if p.strip())
    return env


def _run_and_judge(spec: Path, tmp: Path, code: list[tuple[int, str]], at: dict[int, Check],
                   imports: dict[str, tuple[str, str | None]], limits: Limits, result: Result, isolate: bool) -> None:
    """Run the submission in the sandbox; at each check cell, run the check here against its answers."""
    requests_r, requests_w = os.pipe()
    events_r, events_w = os.pipe()
    work = Path("/submission") if isolate else tmp / "work"
    argv = [sys.executable, "-I", "-m", "course_tools.answers", str(work / "cells.json"), limits.to_json(),
            str(requests_r), str(events_w)]
    try:
        box = Sandbox(argv, work=work, files={"cells.json": spec}, read_only=_sandbox_reads(), env=_sandbox_env(),
                      limits=limits, pass_fds=(requests_r, events_w), isolate=isolate)
    finally:
        os.close(requests_r)
        os.close(events_w)
    channel = Channel(events_r, requests_w, budget=limits.grader_memory_mb * 2**20 // 2)
    follower = _Follower(channel, box, code, at, imports, result)
    try:
        follower.follow()
    except ProtocolError as err:
        result.status, result.detail = "tampered", f"the sandbox sent what no honest notebook sends ({err})"
        result.checks = {label: "tampered" if state in ("pass", "not run") else state
                         for label, state in result.checks.items()}
    except TimeLimit:
        result.status = "time limit"
    except AnswerTooLarge as err:
        result.status, result.detail = "answer limit", f"the sandbox sent more than the grader takes ({err})"
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
        where = f" (in the check of {follower.in_check})" if follower.in_check else \
            (f" (in cell {follower.cell})" if follower.cell is not None else "")
        why = box.why if box.why and result.status == box.stopped else _STOPPED[result.status].format(**vars(limits))
        result.detail = why + where
    elif result.status == "ok" and not follower.ended:
        why = box.exit_reason()
        result.status = why if why in ("time limit", "file size limit") else "crashed"
        tail = box.stderr_tail().strip()
        result.detail = (f"{why}; " if why and why != result.status else "") + \
            f"the sandbox ended in cell {follower.cell}" + (f"; {tail.splitlines()[-1][:200]}" if tail else "")


class _Follower:
    """Follows the sandbox's events, every one validated, and judges each check when its cell comes."""

    def __init__(self, channel: Channel, box: Sandbox, code: list[tuple[int, str]], at: dict[int, Check],
                 imports: dict[str, tuple[str, str | None]], result: Result):
        self.channel, self.box, self.at, self.imports, self.result = channel, box, at, imports, result
        self.code = code
        self.order = [i for i, _ in code]
        self.cell: int | None = None
        self.in_check: str | None = None
        self.ended = False

    def receive(self) -> dict[str, Any]:
        return self.channel.receive(lambda: self.box.deadline, self.box.watch)

    def follow(self) -> None:
        first = self.receive()
        if first != {"event": "started"}:
            raise ProtocolError(f"expected the start, got {str(first)[:80]}")
        self.box.deadline = time.monotonic() + self.box.limits.seconds  # started: the notebook's own time begins
        own: dict[str, Any] = {}
        position = 0
        while True:
            event = self.receive()
            kind = event.get("event")
            if kind == "cell" and set(event) == {"event", "cell"}:
                if position >= len(self.order) or event["cell"] != self.order[position]:
                    raise ProtocolError(f"a cell out of order: {str(event.get('cell'))[:20]}")
                self.cell, position = event["cell"], position + 1
                if self.cell in self.at:
                    own = self.judge(self.at[self.cell], own)
            elif kind == "error" and set(event) == {"event", "cell", "name", "text"} and event["cell"] == self.cell \
                    and type(event["name"]) is str and type(event["text"]) is str and len(event["name"]) <= 80 \
                    and len(event["text"]) <= 200:
                reason = next((why for key, why in _LIMIT_ERRORS.items() if key in f"{event['name']}: {event['text']}"), "")
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
        sources = [source for index, source in self.code if index < self.cell]
        session = Session(self.channel, lambda: self.box.deadline, self.box.watch, sources)
        namespace = Namespace(session, self.imports, own)
        self.in_check = check.label
        started, notebook_deadline = time.monotonic(), self.box.deadline
        self.box.deadline = started + self.box.limits.seconds  # a check has the notebook's time limit of its own
        state, why = run_check(check.source, namespace)
        self.box.deadline = notebook_deadline + (time.monotonic() - started)  # and does not use the notebook's
        if state == "pass":
            used = [found for name in sorted(namespace.fetched) if isinstance(namespace.get(name), Remote)
                    for found in [reference_use(sources, name)] if found]
            if used:
                state, why = "reference", f"{used[0]}: the course's reference solution earns no points; write your own"
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


#: The line a check prints for each item that earns points: "✅ test RMSE within 10% of the closed form: 2/2".
_ITEM = re.compile(r"^[✅❌]\s*(?P<what>[^\n]{1,120}?):\s+(?P<earned>\d+(?:\.\d+)?)/(?P<possible>\d+(?:\.\d+)?)\s*$",
                   re.MULTILINE)


def points_printed(text: str) -> list[list[Any]]:
    """The items and points a check printed here, in the grader (the course's code; never the sandbox's).

    Example:
        >>> points_printed("✅ answer's form: 1/1\\n❌ weights within 5% of the truth: 0/2\\nautomatic points: 1/7")
        [["answer's form", 1.0, 1.0], ['weights within 5% of the truth', 0.0, 2.0]]
    """
    return [[m["what"].strip(), float(m["earned"]), float(m["possible"])] for m in _ITEM.finditer(text)
            if float(m["earned"]) <= float(m["possible"])]


# ---------------------------------------------------------------- reports

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # a lone half of a UTF-16 pair, or a file name's undecodable byte
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,15}):(?=//)|\b(www)\.(?=\S)")


def _plain(text: Any) -> str:
    """One line of text any file or terminal can hold: control characters (newlines, terminal escapes, bidi
    overrides) as spaces, what UTF-8 cannot encode (a lone surrogate, an undecodable byte of a file name) as �.

    Example:
        >>> _plain("caf" + chr(0xDCE9) + chr(10) + "| x")
        'caf� | x'
    """
    return _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", str(text)))


def _inert(text: Any) -> str:
    """``_plain`` text whose web addresses no report makes a live link: ``http[:]//``, ``www[.]``.

    Example:
        >>> _inert("see https://evil.example or www.evil.example")
        'see https[:]//evil.example or www[.]evil.example'
    """
    return _SCHEME.sub(lambda m: f"{m[1]}[:]" if m[1] else f"{m[2]}[.]", _plain(text))


def _csv_cell(value: Any) -> Any:
    """A CSV field a spreadsheet shows as text: never a formula (OWASP's leading-character rule)."""
    if isinstance(value, (int, float)):
        return value
    text = _inert(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _md(text: Any) -> str:
    """Text for a markdown table cell or list item: one line, no HTML but ``<code>`` for a message's
    `code`, no table or link syntax, no address a renderer links by itself (a web address is made
    inert, an e-mail address broken after its ``@``).

    Example:
        >>> print(_md("use `x[0]` | <b>"))
        use <code>x\\[0\\]</code> \\| &lt;b&gt;
    """
    escaped = re.sub(r"([\\*\[\]|])", r"\\\1", html.escape(_inert(text), quote=False).replace("@", "@\u200b"))
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped).replace("`", "&#96;")  # `code` as code, never "\`"


def write_reports(results: list[Result], out_dir: Path, isolated: bool = True,
                  run: dict[str, Any] | None = None, gradebook: str = "plain") -> tuple[Path, Path]:
    """Write ``grades.csv``, ``grades.md``, ``gradebook.csv`` (and the ``gradebook`` format's file, see
    ``course_tools.gradebook``), ``feedback/STUDENT.md`` and ``.html``, and ``results.json`` into
    ``out_dir``; the paths of the first two. Every name and message is escaped for its format.

    Example:
        >>> write_reports([Result("alice_00.ipynb", "00_start_here.ipynb", checks={"f": "pass"}, student="alice")],
        ...               Path(tempfile.mkdtemp()))[0].name
        'grades.csv'
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    results = sorted(results, key=lambda r: r.submission)
    labels = list(dict.fromkeys(label for r in results for label in r.checks))
    csv_path, md_path = out_dir / "grades.csv", out_dir / "grades.md"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "student", "notebook", "status", "passed", "total",
                         *(f"check:{label}" for label in labels), "detail", "seconds"])
        for r in results:
            problems = "; ".join(f"{label}: {why}" for label, why in r.messages.items())
            detail = "; ".join(part for part in (r.detail, problems) if part)
            writer.writerow([_csv_cell(v) for v in (r.submission, r.student, r.notebook, r.status, r.passed,
                                                    len(r.checks), *(r.checks.get(label, "") for label in labels),
                                                    detail, round(r.seconds, 1))])
    md_path.write_text(_grades_md(results, isolated), encoding="utf-8")
    for form in dict.fromkeys(("plain", gradebook)):
        write_gradebook(results, out_dir, form, _csv_cell)
    write_feedback(results, out_dir / "feedback", _md, _inert)
    (out_dir / "results.json").write_text(json.dumps(
        {"isolated": isolated, "run": run, "results": [_stored(asdict(r)) for r in results]}, indent=1, ensure_ascii=True), encoding="utf-8")
    return csv_path, md_path


def _grades_md(results: list[Result], isolated: bool) -> str:
    """grades.md: a table per notebook (its own checks only), each followed by its problems."""
    lines = ["# Grades", "", f"Submissions: {_md(isolation(isolated))}.", "",
             "Legend: " + ", ".join(f"{s} {name}" for name, s in SYMBOLS.items()) + ". Points: see gradebook.csv; "
             "each student's checks and messages: feedback/STUDENT.md.", ""]
    for notebook in sorted({r.notebook for r in results}, key=lambda nb: (nb == "", nb)):
        mine = [r for r in results if r.notebook == notebook]
        labels = list(dict.fromkeys(label for r in mine for label in r.checks))
        lines += [f"## {_md(notebook or 'Not graded')} ({len(mine)} submission{'s' * (len(mine) != 1)})", "",
                  "| submission | student | status | passed | " + "".join(f"{_md(label)} | " for label in labels),
                  "|---|---|---|---|" + "---|" * len(labels)]
        lines += [f"| {_md(r.submission)} | {_md(r.student)} | {_md(r.status)} | {r.passed}/{len(r.checks)} | "
                  + "".join(f"{SYMBOLS.get(r.checks.get(label, ''), '')} | " for label in labels) for r in mine]
        problems = [f"- **{_md(r.submission)}**: {_md(r.status)}: {_md(r.detail)}" for r in mine if r.detail]
        problems += [f"- **{_md(r.submission)}**, {_md(label)} ({_md(r.checks.get(label, ''))}): {_md(why)}"
                     for r in mine for label, why in r.messages.items()]
        lines += ["", *(["Problems:", "", *problems, ""] if problems else ["No problems: every check passed.", ""])]
    return "\n".join(lines)


def _stored(value: Any) -> Any:
    """A result's fields with every string ``_plain``: what ``results.json`` holds is valid UTF-8 for any reader."""
    if isinstance(value, dict):
        return {_plain(k): _stored(v) for k, v in value.items()}
    return _plain(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- many submissions


def _submissions(root: Path) -> list[tuple[Path, bool]]:
    """Every ``*.ipynb`` under ``root`` (links are listed, never followed), and whether it is a link."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in sorted(files):
            if name.endswith(".ipynb"):
                path = Path(folder) / name
                found.append((path, path.is_symlink()))
        for name in dirs:
            if (Path(folder) / name).is_symlink():
                found.append((Path(folder) / name, True))
    return sorted(found, key=lambda item: item[0].relative_to(root).as_posix())


def deciding_sources() -> list[Path]:
    """Every file whose change may change a grade: all of ``course_utils`` (the checks and what they use)
    and all of ``course_tools`` (the grader, the sandbox, how check cells are found), their data included.

    Example:
        >>> {"student.py", "answers.py", "checks.py"} <= {p.name for p in deciding_sources()}
        True
    """
    import course_utils

    packages = (Path(course_utils.__file__).parent, Path(__file__).parent)
    return sorted(p for package in packages for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _fingerprint(teacher: Path, limits: Limits, isolate: bool) -> str:
    """What a grade depends on besides the submission: the teacher notebook, the course's code, the limits."""
    digest = hashlib.sha256(teacher.read_bytes())
    root = Path(__file__).parents[1]
    for source in deciding_sources():
        name = source.relative_to(root).as_posix() if source.is_relative_to(root) else source.name
        digest.update(f"{name}\0{hashlib.sha256(source.read_bytes()).hexdigest()}\0".encode())
    digest.update(f"{limits.to_json()} {isolate}".encode())
    return digest.hexdigest()


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
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform.startswith("linux") else "spawn")


def _grade_all(todo: list[tuple[Path, bool]], root: Path, teachers: dict[str, Path], limits: Limits,
               notebook: Path | None, isolate: bool, jobs: int, report: Any) -> list[Result]:
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
        return 3 * (limits.startup_seconds + limits.seconds * (1 + counts.get(teacher, 0))) + 60  # waits for a CPU extend it

    def finish(result: Result) -> None:
        results.append(result)
        report(result)

    while pending or running:
        while pending and len(running) < jobs:
            path, is_link = pending.pop(0)
            if is_link:
                named = parse_name(path.relative_to(root).as_posix())
                finish(Result(path.relative_to(root).as_posix(), status="refused", student=named[0] if named else "",
                              detail="a link (to a file or folder outside the submissions, perhaps): not followed"))
                continue
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=((path, root, teachers, limits, notebook, isolate), send),
                                      daemon=True)
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
                    result = Result(relative, status="time limit" if over else "answer limit",
                                    student=named[0] if named else "",
                                    detail="the grader's own work on it passed the time limit" if over else
                                    f"the grader's process for it ended (exit {process.exitcode}): its answers "
                                    f"needed more than {limits.grader_memory_mb} MB")
                receive.close()
                del running[sentinel]
                finish(result)
    return results


def grade(submissions: str | Path, out_dir: str | Path | None = None, timeout: float = SUBMISSION_TIMEOUT,
          notebook: str | Path | None = None, notebooks: list[Path] | None = None,
          limits: Limits | None = None, isolate: bool = True, jobs: int | None = None,
          shard: tuple[int, int] | None = None, progress: bool = True, reuse: bool = True,
          gradebook: str = "plain") -> list[Result]:
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
        raise NotADirectoryError(f"SUBMISSIONS must be a folder of submitted notebooks; {root} is not a folder.")
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
    for path, is_link in found:  # every submission, not only this shard's: the run's id names them all
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
    run = {"id": _run_id([(path.relative_to(root).as_posix(), key) for path, _, key in keyed], n), "shard": [k, n]}
    keep, todo = [], []
    for path, is_link, key in keyed[k - 1::n]:
        if key and key in previous:  # the key holds the path: the same student's same file
            keep.append(previous[key])
        else:
            todo.append((path, is_link, key))
    print(isolation(isolate), flush=True)
    if keep:
        print(f"{len(keep)} unchanged since the last run: kept, not graded again", flush=True)
    _preload()
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: each submission's process is forked from this one
    keys = {path: key for path, _, key in todo}
    bar = tqdm(total=len(todo), desc="grading", unit="notebook", file=sys.stderr, disable=not progress or not todo,
               dynamic_ncols=True, mininterval=0.5)

    def report(result: Result) -> None:
        result.key = keys.get(root / result.submission, "")
        if result.status in ("time limit", "grader error", "answer limit") and result.key:
            result.key = ""  # a stop that may be the machine's: graded again next time
        bar.write(f"{_plain(result.submission)}: {result.status}, {result.passed}/{len(result.checks)} checks passed"
                  + (f" ({_plain(result.detail)[:160]})" if result.detail else ""), file=sys.stdout)
        bar.update(1)

    try:
        graded = _grade_all([(p, link) for p, link, _ in todo], root, teachers, limits,
                            Path(notebook) if notebook else None, isolate, max(1, jobs or _default_jobs(limits)), report)
    finally:
        bar.close()
    results = sorted([*keep, *graded], key=lambda r: r.submission)
    write_reports(results, out, isolate, run, gradebook)
    return results


def _run_id(submissions: list[tuple[str, str]], shards: int) -> str:
    """One run's id, the same in each of its shards: every submission's path and key, and the number of shards.

    Example:
        >>> _run_id([("a_00.ipynb", "k1")], 2) == _run_id([("a_00.ipynb", "k1")], 2) != _run_id([("a_00.ipynb", "k2")], 2)
        True
    """
    digest = hashlib.sha256(f"{shards}".encode())
    for relative, key in sorted(submissions):
        digest.update(f"\0{_plain(relative)}\0{key}".encode())
    return digest.hexdigest()[:16]


def _key(relative: str, data: bytes, fingerprint: str) -> str:
    """What a grade is kept by: whose submission it is (its path), its bytes and the course's fingerprint, so that
    two students' byte-identical files keep a grade each.

    Example:
        >>> _key("alice_00.ipynb", b"{}", "f") != _key("bob_00.ipynb", b"{}", "f")
        True
    """
    name = relative.encode("utf-8", "surrogateescape")
    return hashlib.sha256(b"%d:%s%s%s" % (len(name), name, hashlib.sha256(data).digest(), fingerprint.encode())).hexdigest()


def _default_jobs(limits: Limits) -> int:
    """The cores this process may use, fewer if the machine's memory would not hold that many sandboxes."""
    import psutil

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    each = (limits.memory_mb + limits.grader_memory_mb // 2) * 2**20
    return max(1, min(cores, psutil.virtual_memory().total // each))


def _previous(out: Path) -> dict[str, Result]:
    """The results of the last run into ``out``, by key (none if unreadable)."""
    try:
        data = json.loads((out / "results.json").read_text(encoding="utf-8"))
        results = [Result.from_dict(r) for r in data.get("results", []) if isinstance(r, dict)]
    except (OSError, ValueError, AttributeError, TypeError):
        return {}
    return {r.key: r for r in results if r.key}


class MergeRefused(ValueError):
    """The report folders given to ``merge`` are not the shards of one run, or would replace another run's reports."""


def merge(report_dirs: list[str | Path], out_dir: str | Path | None = None, replace: bool = False,
          gradebook: str = "plain") -> list[Result]:
    """Combine the ``results.json`` of one run's shards (``course grade --shard K/N``) into one set of reports.

    Every shard names its run (the submissions' paths and contents, the course's checks, the number of
    shards): shards of different runs, a shard twice or a missing one are refused (``MergeRefused``) with
    what each folder holds. ``out_dir``'s reports of another run are kept unless ``replace``.

    Example:
        >>> merge(["build/grades/shard-1-of-2", "build/grades/shard-2-of-2"], "build/grades")  # doctest: +SKIP
        [Result(submission='alice_00.ipynb', ...), ...]
    """
    shards: list[tuple[Path, dict[str, Any]]] = []
    for folder in map(Path, report_dirs):
        path = folder / "results.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: pass the --out folders of the shards' `course grade` runs")
        data = json.loads(path.read_text(encoding="utf-8"))
        run = data.get("run") if isinstance(data, dict) else None
        if not (isinstance(run, dict) and isinstance(run.get("id"), str) and isinstance(run.get("shard"), list)
                and len(run["shard"]) == 2 and all(type(x) is int for x in run["shard"])):
            raise MergeRefused(f"{folder} names no run (graded before runs had ids?): grade its shard again")
        shards.append((folder, data))
    runs = {(d["run"]["id"], d["run"]["shard"][1]) for _, d in shards}
    held = "; ".join(f"{f}: run {d['run']['id']}, shard {d['run']['shard'][0]} of {d['run']['shard'][1]}"
                     for f, d in shards)
    if len(runs) != 1:
        raise MergeRefused(f"these folders hold shards of {len(runs)} different runs ({held}): pass the folders "
                           "of one run, or grade the others again with the same files and the same --shard K/N")
    (run_id, n), = runs
    numbers = sorted(d["run"]["shard"][0] for _, d in shards)
    if numbers != list(range(1, n + 1)):
        missing = sorted(set(range(1, n + 1)) - set(numbers))
        twice = sorted({k for k in numbers if numbers.count(k) > 1})
        raise MergeRefused(f"run {run_id} has {n} shards, but " + ", ".join(
            part for part in (f"shard {', '.join(map(str, missing))} is missing" if missing else "",
                              f"shard {', '.join(map(str, twice))} is given twice" if twice else "") if part)
            + f" ({held})")
    out = Path(out_dir or build_dir("grades"))
    try:
        before = json.loads((out / "results.json").read_text(encoding="utf-8")).get("run") or {}
    except (OSError, ValueError, AttributeError):
        before = None
    if before is not None and before.get("id") != run_id and not replace:
        raise MergeRefused(f"{out} holds the reports of another run ({before.get('id') or 'without an id'}): pass "
                           "another --out folder, or --replace to overwrite them")
    results = sorted((Result.from_dict(entry) for _, data in shards for entry in data.get("results", [])
                      if isinstance(entry, dict)), key=lambda r: r.submission)
    isolated = all(data.get("isolated") is True for _, data in shards)
    write_reports(results, out, isolated, {"id": run_id, "shard": [1, 1], "merged": n}, gradebook)
    return results
