"""Run an exercise check both ways, in milliseconds: as a student's notebook runs it, and as
``course grade`` runs it, where the answer lives in a sandbox and the check sees it through handles.

``notebook`` runs the cells and then the check cell in an IPython shell, as a notebook's kernel
does (the reading of an answer's code then comes from the shell's history, as in Jupyter).

``graded`` is the grader's own code (``Session``, ``Namespace``, ``run_check``) talking over pipes
to ``serve`` in a thread that stands in for the sandbox: the student's cells run there, in a
namespace of their own, and every call, attribute, iteration and gradient crosses the same
protocol as in a real sandbox. What the stand-in does not do is isolate (no bubblewrap, no limits):
``tests/course_tools/grading/test_grading*.py`` test that.

``both`` runs a check cell both ways on the same cells and insists on one verdict and one message.
Any other exception than ``CheckFailed`` is a crash, and fails the test.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
import time

from course_tools.grading.check_cells import notebook_imports, run_check
from course_tools.grading.handles import Namespace, Session
from course_tools.grading.protocol import Channel
from course_tools.grading.runner import serve
from course_utils.checks import CheckFailed


def _define(cells: list[str]) -> dict:
    """The cells run in a namespace of their own, as the sandbox runs a submission."""
    namespace = {"__name__": "__main__"}
    for cell in cells:
        exec(compile(cell, "<cell>", "exec"), namespace)  # noqa: S102 - the test's own answer
    return namespace


def _short(message: str) -> str:
    """A message as the grader reports it: one line, at most 500 characters."""
    return " ".join(message.split())[:500]


_SHELL: list = []


@contextlib.contextmanager
def _kernel():
    """An IPython shell with an empty history and namespace, the current one only while in use (also as
    ``__main__``, which IPython replaces: spawned processes of later tests need the real one)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    main = sys.modules["__main__"]
    if not _SHELL:
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        config.InteractiveShell.colors = "nocolor"
        config.InteractiveShell.cache_size = (
            0  # no output cache: resetting it would run a full gc.collect()
        )
        _SHELL.append(InteractiveShell.instance(config=config))
    InteractiveShell._instance = _SHELL[0]
    _SHELL[0].reset(new_session=True)
    try:
        yield _SHELL[0]
    finally:
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main


def notebook(check: str, cells: list[str]) -> tuple[str, str]:
    """The cells, then the check cell, run in an IPython shell: ``("pass", printed)`` or ``("fail", message)``."""
    printed = io.StringIO()
    with _kernel() as shell, contextlib.redirect_stdout(printed):
        for cell in (
            cells
        ):  # as nbval runs them (Jupyter stores history, nbval does not: the reading needs neither)
            result = shell.run_cell(cell, store_history=False)
            assert result.success, (
                f"a cell of the answer failed: {result.error_before_exec or result.error_in_exec}"
            )
        result = shell.run_cell(check, store_history=False)
    error = result.error_before_exec or result.error_in_exec
    if isinstance(error, CheckFailed):
        return "fail", _short(str(error))
    assert error is None, (
        f"the check crashed in the notebook: {type(error).__name__}: {error}\n{printed.getvalue()}"
    )
    if "✅" not in printed.getvalue():
        return "fail", "the check printed no ✅"
    return "pass", printed.getvalue()


def graded(check: str, cells: list[str], seconds: float = 60.0) -> tuple[str, str]:
    """The check cell run by the grader's code, the cells served from a thread that stands in for the sandbox."""
    answers = _define(cells)
    to_box, from_grader = os.pipe()
    to_grader, from_box = os.pipe()
    box = threading.Thread(target=serve, args=(Channel(to_box, from_box), answers), daemon=True)
    box.start()
    channel = Channel(to_grader, from_grader)
    session = Session(channel, lambda: time.monotonic() + seconds, None, list(cells))
    try:
        return run_check(check, Namespace(session, notebook_imports([check]), {}))
    finally:
        channel.send({"op": "continue", "id": 0})
        box.join(10)
        for fd in (to_box, from_grader, to_grader, from_box):
            os.close(fd)


def both(check: str, cells: list[str] | str) -> tuple[str, str]:
    """The verdict and message of ``check`` on ``cells``, the same in the notebook and in the grader
    (the notebook's printed lines when it passes)."""
    cells = [cells] if isinstance(cells, str) else cells
    state, message = notebook(check, cells)
    graded_state, why = graded(check, cells)
    assert graded_state != "error", f"the check crashed in the grader: {why}"
    assert (graded_state, why if state == "fail" else "") == (
        state,
        message if state == "fail" else "",
    ), f"the notebook says {state}: {message!r}\nthe grader says {graded_state}: {why!r}"
    return state, message
