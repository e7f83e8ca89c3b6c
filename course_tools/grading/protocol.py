"""The pipe between the grader and a sandboxed notebook: one JSON object per line, with size limits.

Two halves speak this protocol over a pair of pipes: the sandbox's (``runner``: it runs the notebook and
answers) and the grader's (``handles``: it asks). No message is a verdict: the sandbox can only answer,
announce a cell, or stop. The grader's own exceptions for a stop (``GradingStop``: time limit, a closed
sandbox, a malformed message, an answer too large) derive from ``BaseException``, so a check's
``except Exception`` cannot turn them into a student's mistake.
"""

from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "MAX_MESSAGE",
    "AnswerTooLarge",
    "Channel",
    "GradingStop",
    "ProtocolError",
    "SandboxGone",
    "TimeLimit",
]


MAX_MESSAGE = 64 * 2**20  # bytes in one message


class GradingStop(BaseException):
    """The grader stops this submission (not a student's exception: checks cannot catch it)."""


class ProtocolError(GradingStop):
    """The sandbox sent something that is not a well-formed message: only tampering does that."""


class SandboxGone(GradingStop):
    """The sandbox stopped answering: it exited, crashed or was stopped by a limit."""


class TimeLimit(GradingStop):
    """The sandbox did not answer before the submission's time was up."""


class AnswerTooLarge(GradingStop):
    """The sandbox's answers passed the grader's size limit for one submission."""


class Channel:
    """One JSON object per line over a pair of pipe file descriptors, with size limits.

    ``budget`` bounds the bytes received in all (the grader's memory for one submission).
    """

    def __init__(self, read_fd: int, write_fd: int, budget: int | None = None):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.budget = budget
        self.received = 0
        self._buffer = bytearray()
        self._searched = 0  # bytes of the buffer known to hold no end of line

    def send(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message, separators=(",", ":"), allow_nan=False))

    def send_text(self, text: str) -> None:
        """Send one message already written as JSON (one line)."""
        view = memoryview(text.encode() + b"\n")
        while view:
            view = view[os.write(self.write_fd, view) :]

    def receive(
        self,
        deadline: float | Callable[[], float] | None = None,
        poll: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """The next message; ``poll()`` runs every 0.1 s while waiting (the grader's watchdog), which may move
        a ``deadline`` given as a function (the sandbox's, extended by the time it waited for a CPU)."""
        while (end := self._buffer.find(b"\n", self._searched)) < 0:
            self._searched = len(self._buffer)
            if len(self._buffer) > MAX_MESSAGE:
                raise AnswerTooLarge(f"a message longer than {MAX_MESSAGE // 2**20} MB")
            if deadline is not None and time.monotonic() > (
                deadline() if callable(deadline) else deadline
            ):
                raise TimeLimit("no answer before the time limit")
            ready, _, _ = select.select([self.read_fd], [], [], 0.1)
            if poll is not None:
                poll()
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise SandboxGone("the sandbox closed the connection")
                self.received += len(chunk)
                if self.budget is not None and self.received > self.budget:
                    raise AnswerTooLarge(f"answers larger than {self.budget // 2**20} MB in all")
                self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        self._searched = 0
        try:
            message = json.loads(line)
        except (ValueError, RecursionError) as err:
            raise ProtocolError(f"not JSON: {str(err)[:80]}") from None
        if type(message) is not dict:
            raise ProtocolError("a message that is not a JSON object")
        return message
