"""What one submission may use (``Limits``), in numbers and in words, and the rlimits that enforce
a part of it.

``Limits`` travels to the sandbox as JSON; there, before any student code runs, the sandboxed
command calls ``apply_limits`` (this module imports nothing of the sandbox's machinery, so the
untrusted side loads little). The watchdog that enforces the rest, from outside, is ``sandbox``'s.
"""

from __future__ import annotations

import json
import resource
from dataclasses import asdict, dataclass

__all__ = ["Limits", "apply_limits", "time_limit"]


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Memory and processes count the whole sandbox."""

    seconds: float = 300.0  # wall-clock time for the notebook's cells
    startup_seconds: float = 60.0  # on top, to start the sandbox and the kernel
    memory_mb: int = 4096  # resident memory of all its processes together
    processes: int = 256  # processes and threads together
    file_mb: int = 64  # the largest file it may write
    disk_mb: int = 256  # each of its writable folders (/tmp, home, work folder), held in memory
    shm_mb: int = 64  # /dev/shm (shared memory for DataLoader workers), held in memory
    grader_memory_mb: int = 2048  # what the grader itself may use for one submission's answers
    cpu_share: float = (
        2.0  # CPU time of all its processes together, in multiples of its time (cells and start)
    )

    @property
    def cpu_seconds(self) -> float:
        """The CPU time all its processes together may use: ``cpu_share`` times its time to start and run."""
        return self.cpu_share * (self.seconds + self.startup_seconds)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Limits:
        return cls(**json.loads(text))


def apply_limits(limits: Limits) -> None:
    """Set this process's rlimits (inherited by every process it starts); soft = hard.

    Called by the sandboxed command itself before any untrusted code runs. ``RLIMIT_NPROC``
    counts the sandbox's own user namespace under bubblewrap; it does not bind root.
    """
    mb = 2**20
    wanted = {
        "RLIMIT_DATA": limits.memory_mb * mb,
        "RLIMIT_NPROC": limits.processes,
        "RLIMIT_FSIZE": limits.file_mb * mb,
        "RLIMIT_CPU": int(
            (limits.seconds + limits.startup_seconds) * 4
        ),  # a backstop; the wall clock stops it first
        "RLIMIT_CORE": 0,
    }
    for name, value in wanted.items():
        which = getattr(resource, name, None)
        if which is None:
            continue
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):  # e.g. macOS refuses some; apply what it accepts
            pass


def time_limit(seconds: float, startup_seconds: float = Limits.startup_seconds) -> str:
    """The time limit of one submission in words: the one description the README and the homework's
    INSTRUCTIONS.md give.

    Example:
        >>> time_limit(300)
        '300 s for all its cells together, 60 s more to start, and 300 s for each check'
    """
    return (
        f"{seconds:.0f} s for all its cells together, {startup_seconds:.0f} s more to start, "
        f"and {seconds:.0f} s for each check"
    )
