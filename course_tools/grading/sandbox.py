"""Run untrusted code (a student's notebook) in a bubblewrap sandbox with limits.

``Sandbox`` starts a command under ``bwrap`` (Debian's ``bubblewrap``): no network (its own
network namespace, loopback only), its own process tree (PID namespace: killing it kills every
process inside, also one that ignores SIGTERM), a private ``/tmp``, home and work folder (small
tmpfs), and read-only views of only what Python needs: the system's libraries, the Python
installation, the virtual environment, the course packages and the course's data. The teacher's
home, notebooks, grades and the other submissions are simply not there.

Limits (``limits.Limits``): each process gets rlimits (memory as ``RLIMIT_DATA``, processes and
threads as ``RLIMIT_NPROC``, file size, CPU time; set by the command itself through
``limits.apply_limits`` before any student code runs), and a watchdog outside the sandbox stops the
whole tree when its memory (the processes' proportional resident memory plus what they stored in
the sandbox's in-memory folders) or its number of threads passes the limit, or the time is up. The
reason is kept in ``Sandbox.stopped`` ("memory limit", "time limit", ...).

A fair share of the CPU: its processes must stay in its session (the scheduler's autogroup: a process
in a session of its own would take a share of its own), their CPU time together is limited
(``Limits.cpu_seconds``), and the time it waited, runnable, for a CPU that others held moves its
deadline, so that a busy neighbour graded at the same time cannot push it over its time.

Nothing of the teacher's reaches the sandbox: ``bwrap`` itself starts with an empty environment
and reads its options from a file descriptor (its ``/proc/1/environ`` is empty and its
``/proc/1/cmdline`` names only the command), ``/dev`` is read-only with a small ``/dev/shm``,
and the in-memory folders are mounted before the course's read-only paths, so a checkout or a
virtual environment under ``/tmp`` is still visible.

Without bubblewrap (macOS, or a Linux without user namespaces) ``Sandbox`` refuses to run
unless told ``isolate=False``, the teacher's explicit, unsafe choice; ``isolation()`` says which.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from course_tools.grading.limits import Limits

__all__ = [
    "CANNOT_ISOLATE",
    "Sandbox",
    "SandboxUnavailable",
    "bwrap_command",
    "bwrap_path",
    "isolation",
]

#: Files of /etc a Python process needs (dynamic linker, users, time zone, fonts); no secrets.
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "nsswitch.conf",
    "hosts",
    "passwd",
    "group",
    "fonts",
    "ssl",
    "mime.types",
    "alternatives",
    "matplotlibrc",
)
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/conda")


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot make a sandbox here, and running unisolated was not asked for."""


@functools.lru_cache(maxsize=1)
def bwrap_path() -> str | None:
    """The ``bwrap`` executable when it can actually make a sandbox here, else None.

    Example:
        >>> bwrap_path() in (None, shutil.which("bwrap"))
        True
    """
    path = shutil.which("bwrap")
    if path is None or not sys.platform.startswith("linux"):
        return None
    probe = subprocess.run(
        [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
        capture_output=True,
        timeout=30,
    )
    return path if probe.returncode == 0 else None


#: Why grading refuses to run where bubblewrap cannot make a sandbox.
CANNOT_ISOLATE = (
    "CANNOT ISOLATE: bubblewrap is missing or user namespaces are off, so submissions are not run. "
    "Install it (sudo apt-get install bubblewrap), or pass --unsafe-no-sandbox to run them with "
    "your own rights"
)


def isolation(wanted: bool = True) -> str:
    """One line for the teacher: are submissions isolated here?

    Example:
        >>> isolation().split(":")[0] in ("isolated", "NOT ISOLATED", "CANNOT ISOLATE")
        True
    """
    if wanted and bwrap_path():
        return "isolated: each submission runs in a bubblewrap sandbox (no network, read-only course, private /tmp)"
    if wanted:
        return CANNOT_ISOLATE
    return (
        "NOT ISOLATED: you turned the sandbox off (--unsafe-no-sandbox), so submissions run with your "
        "own rights (they can read and change your files); only time, memory and process limits "
        "apply. Install bubblewrap to grade safely: sudo apt-get install bubblewrap"
    )


def _existing(paths: list[Path]) -> list[Path]:
    return [p for p in dict.fromkeys(Path(p) for p in paths) if p.exists()]


def bwrap_command(
    bwrap: str,
    argv: list[str],
    work: Path,
    read_only: list[Path],
    env: dict[str, str],
    limits: Limits,
    files: dict[str, Path] | None = None,
) -> list[str]:
    """The ``bwrap`` command line that runs ``argv`` in ``work`` (a fresh tmpfs) with ``read_only`` visible.

    The in-memory folders come first, so read-only paths under ``/tmp`` (a checkout, a virtual
    environment) are mounted on top of the private ``/tmp`` and stay visible. ``files`` are
    bound read-only into ``work``.

    Example:
        >>> cmd = bwrap_command("bwrap", ["true"], Path("/work"), [], {}, Limits())
        >>> "--unshare-all" in cmd and "--die-with-parent" in cmd and cmd.index("/tmp") < cmd.index("/usr")
        True
    """
    size = str(limits.disk_mb * 2**20)
    cmd = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--clearenv",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]
    for dev in sorted(Path("/dev").glob("nvidia*")):  # a GPU, when the teacher grades on one
        cmd += ["--dev-bind", str(dev), str(dev)]
    cmd += [
        "--size",
        str(limits.shm_mb * 2**20),
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        "--size",
        size,
        "--tmpfs",
        "/tmp",
        "--size",
        size,
        "--tmpfs",
        "/home/student",
    ]
    for system in _SYSTEM:
        path = Path(system)
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), system]
        elif path.exists():
            cmd += ["--ro-bind", system, system]
    for name in _ETC:
        if (Path("/etc") / name).exists():
            cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for path in _existing(read_only):
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--size", size, "--tmpfs", str(work)]
    for name, source in (files or {}).items():
        cmd += ["--ro-bind", str(source), str(work / name)]
    cmd += ["--chdir", str(work)]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--", *argv]


def _proportional_memory(proc: psutil.Process) -> int:
    """Bytes of RAM ``proc`` uses, its pages shared with other processes split between them (PSS),
    so forked children that share their parent's memory are not counted many times over."""
    try:
        with open(f"/proc/{proc.pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return proc.memory_info().rss


#: The sandbox's in-memory folders, as seen from inside it (their contents count as its memory).
_TMPFS = ("tmp", "home/student", "dev/shm")


def _stored_bytes(pid: int, work: Path) -> int:
    """Bytes the sandbox stored in its in-memory folders, read through ``/proc/PID/root``."""
    total = 0
    for folder in (*_TMPFS, str(work).lstrip("/")):
        try:
            stat = os.statvfs(f"/proc/{pid}/root/{folder}")
        except OSError:
            continue
        total += (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    return total


def _start_isolated(cmd: list[str], pass_fds: tuple[int, ...]) -> subprocess.Popen:
    """Start ``bwrap_command``'s command with an empty environment, bwrap's options read from a file
    descriptor, so that they travel out of its ``/proc/1/cmdline``."""
    bwrap, split = cmd[0], cmd.index("--")
    with tempfile.TemporaryFile() as options:
        options.write(b"".join(arg.encode() + b"\0" for arg in cmd[1:split]))
        options.flush()
        options.seek(0)
        fd = options.fileno()
        return subprocess.Popen(
            [bwrap, "--args", str(fd), *cmd[split:]],
            env={},
            pass_fds=(*pass_fds, fd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )


def _start_unisolated(
    argv: list[str],
    work: Path,
    files: dict[str, Path],
    env: dict[str, str],
    pass_fds: tuple[int, ...],
) -> subprocess.Popen:
    """Start ``argv`` without a sandbox (the teacher's explicit, unsafe choice): ``files`` copied
    into ``work``, a home beside it, the grader's environment with ``env`` on top."""
    work.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        shutil.copyfile(source, work / name)
    home = work.parent / "home"
    home.mkdir(exist_ok=True)
    return subprocess.Popen(
        argv,
        cwd=work,
        env={**os.environ, **env, "HOME": str(home), "TMPDIR": str(work.parent)},
        pass_fds=pass_fds,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


class Sandbox:
    """One sandboxed command, its watchdog and the reason it was stopped, if it was.

    ``files`` are copied into the work folder first (read-only bind mounts of the grader's copies);
    ``pass_fds`` are inherited (the pipes to the grader).
    """

    def __init__(
        self,
        argv: list[str],
        *,
        work: Path,
        files: dict[str, Path],
        read_only: list[Path],
        env: dict[str, str],
        limits: Limits,
        pass_fds: tuple[int, ...] = (),
        isolate: bool = True,
    ):
        self.limits = limits
        self.work = work
        self.stopped = ""  # "memory limit", "time limit", ... when the watchdog stopped it
        self.why = ""  # the watchdog's reason in words, when the limit's name alone does not say it
        self.started = time.monotonic()
        self.deadline = self.started + limits.seconds + limits.startup_seconds
        self.bwrap = bwrap_path() if isolate else None
        if isolate and not self.bwrap:
            raise SandboxUnavailable(CANNOT_ISOLATE)
        env = {
            "HOME": "/home/student",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            **env,
        }
        if self.bwrap:
            cmd = bwrap_command(self.bwrap, argv, work, read_only, env, limits, files)
            self.process = _start_isolated(cmd, pass_fds)
        else:
            self.process = _start_unisolated(argv, work, files, env, pass_fds)
        self._errors = b""
        self._next_watch = 0.0
        self.cpu = (
            0.0  # CPU seconds its processes used together (the most seen: exited ones count too)
        )
        self.waited = 0.0  # seconds it waited for a CPU that others held: added to its deadline
        os.set_blocking(self.process.stderr.fileno(), False)

    def stderr_tail(self) -> str:
        """The last lines the sandboxed command wrote to stderr (at most 4 KB kept)."""
        try:
            while chunk := self.process.stderr.read(1 << 16):
                self._errors = (self._errors + chunk)[-4096:]
        except (OSError, ValueError, TypeError):
            pass
        return self._errors.decode(errors="replace")

    def _tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def watch(self) -> None:
        """Stop the sandbox if it is over a limit; called often (every 0.1 s) while waiting on it."""
        if self.stopped or time.monotonic() < self._next_watch:
            return
        self._next_watch = time.monotonic() + 0.1
        self.stderr_tail()  # keep the pipe drained: a flood of errors must not block it
        if time.monotonic() > self.deadline:
            self.stop("time limit")
            return
        memory = threads = 0
        tree = self._tree()
        for (
            proc
        ) in tree:  # resident memory first (cheap); shared pages are split only when it matters
            try:
                memory += proc.memory_info().rss
                threads += proc.num_threads()
            except (psutil.Error, OSError):
                continue
        if self.bwrap and len(tree) > 1:
            stored = _stored_bytes(tree[-1].pid, self.work)
            memory += stored
        else:
            stored = 0
        if (
            memory > self.limits.memory_mb * 2**20
        ):  # forked children share pages: count each once (PSS)
            memory = stored
            for proc in tree:
                try:
                    memory += _proportional_memory(proc)
                except (psutil.Error, OSError):
                    continue
        if threads > self.limits.processes + 8:  # + bwrap's own and the driver's helpers
            self.stop("process limit")
        elif memory > self.limits.memory_mb * 2**20:
            self.stop("memory limit")
        else:
            self._share(tree)

    def _share(self, tree: list[psutil.Process]) -> None:
        """Keep it to its share of the CPU: its processes stay in its session (the scheduler's group:
        a process in a session of its own takes a share of its own, one more per process), their CPU
        time together stays under ``Limits.cpu_seconds``, and the time it waited for a CPU that others
        held is added to its deadline (a busy neighbour cannot push it over its time)."""
        session, cpu, waited = None, 0.0, 0.0
        for proc in (
            tree[1:] if self.bwrap else tree
        ):  # bwrap itself, outside, is in a session of its own
            try:
                times = proc.cpu_times()
                cpu += times.user + times.system + times.children_user + times.children_system
                waited = max(waited, _run_queue_seconds(proc.pid))
                sid = os.getsid(proc.pid)
            except (psutil.Error, OSError):
                continue
            if session is None:
                session = sid
            elif sid != session:
                self.stop("process limit")
                self.why = "a process left the sandbox's session (setsid): it would take a CPU share of its own"
                return
        self.cpu = max(self.cpu, cpu)
        if waited > self.waited:
            self.deadline += waited - self.waited
            self.waited = waited
        if self.cpu > self.limits.cpu_seconds:
            self.stop("time limit")
            self.why = (
                f"its processes used more than {self.limits.cpu_seconds:.0f} s of CPU time together"
            )

    def stop(self, reason: str = "") -> None:
        """Kill everything inside (SIGKILL: a process ignoring SIGTERM goes too); keep the first reason."""
        if reason and not self.stopped:
            self.stopped = reason
        tree = self._tree()
        for proc in tree:  # the PID namespace dies with bwrap; without bwrap, the whole tree
            try:
                proc.kill()
            except psutil.Error:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        psutil.wait_procs(tree, timeout=5)

    def exit_reason(self) -> str:
        """Why the sandbox ended on its own, in words: a signal from a limit, or an exit code."""
        code = self.process.poll()
        if code is None or code == 0:
            return ""
        signals = {
            signal.SIGXCPU: "time limit",
            signal.SIGXFSZ: "file size limit",
            signal.SIGKILL: "killed",
            signal.SIGSEGV: "crashed (segmentation fault)",
        }
        if code < 0:
            return signals.get(-code, f"killed by signal {-code}")
        return f"exited with code {code}"


def _run_queue_seconds(pid: int) -> float:
    """Seconds the process waited, runnable, for a CPU (``/proc/PID/schedstat``; 0 where the kernel has none)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0
