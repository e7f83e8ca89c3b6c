"""The one place that runs the course's notebooks: for ``refresh``, the site and the slide decks.

A notebook runs top to bottom in a fresh ``python3`` kernel, in its own folder (as a student would
run it), against one time limit for the whole run (the kernel's start-up does not count). The kernel
talks to the tool over local sockets (IPC) in a private temporary folder, not over TCP: nothing
else on the machine can reach it, and ipykernel (7.3 and later) has no reason to warn "Kernel is
running over TCP without encryption".

``executed`` keeps a cache of executed copies for the site and the decks (``build/executed/`` by
default): ``NN_name.ipynb`` beside ``NN_name.key.json``, the key it was run under
(``cache_key``: the notebook, the ``course_utils`` sources, the Python and package versions, the
settings and, for notebooks that read them, the photos). A copy is used only while its key still
holds; otherwise the notebook runs again and the tool says what changed. Delete the folder to
run everything again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "NOTEBOOK_TIMEOUT",
    "SUBMISSION_TIMEOUT",
    "RunStopped",
    "cache_key",
    "execute_all",
    "executed",
    "run_file",
    "run_notebook",
]

NOTEBOOK_TIMEOUT = 900  # seconds a course notebook may run in all (refresh, site, slides)
SUBMISSION_TIMEOUT = 300  # seconds a submitted notebook may run in all (grading)
# Environment variables that change what a notebook prints. Not the number of threads: it changes at
# most the last digits, and the course's checked lines hold on 1, 2 and 4 threads (README).
SETTINGS = ("COURSE_DEVICE",)


class RunStopped(RuntimeError):
    """A notebook did not run to its end: the time limit, or the kernel died."""


def run_notebook(nb: nbformat.NotebookNode, cwd: str | Path, timeout: float) -> str:
    """Run ``nb`` in place, cell by cell, in ``cwd``; ``""`` when it ran to the end, else why not.

    The answer is ``"timed out: ..."`` or ``"crashed: ..."``; the cell that did not finish keeps no
    execution count. A cell that raises stops the run with nbclient's ``CellExecutionError``.

    Example:
        >>> import nbformat
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
        >>> run_notebook(nb, ".", timeout=60), nb.cells[0].outputs[0].text
        ('', '42\\n')
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    sockets = tempfile.TemporaryDirectory(prefix="course-kernel-")  # private (0700), short paths
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=int(timeout),
        startup_timeout=120,
        resources={"metadata": {"path": str(Path(cwd).resolve())}},
        config=_local_sockets(sockets.name),
    )
    outcome = ""
    try:
        with sockets, client.setup_kernel():
            deadline = time.monotonic() + timeout
            for index, cell in enumerate(nb.cells):
                client.timeout = max(1, int(deadline - time.monotonic()))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    cell.execution_count = None  # it never finished
                    outcome = f"timed out: still running cell {index} after {timeout:.0f} s in all"
                    break
                except DeadKernelError:
                    cell.execution_count = None
                    outcome = f"crashed: the kernel died in cell {index}"
                    break
    except Exception:  # shutting down a hung or dead kernel can fail too; the outcome is known
        if not outcome:
            raise
    return outcome


def run_file(path: str | Path, timeout: float = NOTEBOOK_TIMEOUT) -> nbformat.NotebookNode:
    """The notebook at ``path`` run top to bottom in its own folder; raises if any cell fails.

    Example:
        >>> run_file("notebooks/00_start_here.ipynb").cells[0].cell_type  # doctest: +SKIP
        'markdown'
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    outcome = run_notebook(nb, path.parent, timeout)
    if outcome:
        raise RunStopped(f"{path}: {outcome}")
    return nb


def _local_sockets(folder: str):
    """nbclient's configuration for a kernel on IPC sockets in ``folder`` (TCP where zmq has no IPC: Windows)."""
    import zmq
    from traitlets.config import Config

    if not zmq.has("ipc"):
        return Config()
    # An absolute path: jupyter_client's default ("kernel-ipc") is relative, and the kernel runs elsewhere.
    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(folder) / "kernel")}})


def _digest(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:16]


def _photo_set() -> str:
    """The photos notebooks 05 and 06 would read (``course_utils.photos.photo_folders``: ``$CATS_DOGS_DIR``,
    else the shipped sample and the download), each folder's files by name, size and modification time."""
    from course_utils.photos import (
        photo_folders,
    )  # imports torch: only for the notebooks that read photos

    folders = photo_folders()
    listing = []
    for folder in folders:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        listing += [f"{folder.resolve()}"] + [
            f"{p.relative_to(folder)} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in files
        ]
    return f"{', '.join(map(str, folders))} ({_digest(*listing)})"


def cache_key(path: str | Path) -> dict[str, str]:
    """What the outputs of the notebook at ``path`` depend on, one readable entry each.

    The notebook's bytes; the ``course_utils`` sources it may import; the Python and every installed
    package's version (the course's own among them: a new release or a new torch runs it again);
    the settings in ``SETTINGS``; and, for a notebook that reads photos (it mentions ``cats_dogs`` or
    ``photos`` of ``course_utils``), the photo folders it would read.

    Example:
        >>> sorted(cache_key("notebooks/00_start_here.ipynb"))
        ['course_utils', 'environment', 'notebook', 'settings']
    """
    source = Path(path).read_bytes()
    helpers = []
    spec = importlib.util.find_spec("course_utils")  # found, not imported (no torch here)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        helpers += [source.read_bytes() for source in sorted(Path(folder).rglob("*.py"))]
    # The installed packages, from site-packages only: what sys.path holds besides depends on what was imported.
    folders = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    packages = sorted(
        {
            f"{d.metadata['Name']}=={d.version}"
            for d in importlib.metadata.distributions(path=folders)
        }
    )
    key = {
        "notebook": _digest(source),
        "course_utils": _digest(*helpers),
        "environment": f"Python {sys.version.split()[0]}, {len(packages)} packages ({_digest(*packages)})",
        "settings": ", ".join(f"{name}={os.environ.get(name, '')}" for name in SETTINGS),
    }
    if b"cats_dogs" in source or b"course_utils.photos" in source:
        key["photos"] = _photo_set()
    return key


def _stored_key(path: Path, cache_dir: Path) -> dict[str, str] | None:
    key_file = cache_dir / f"{path.stem}.key.json"
    return json.loads(key_file.read_text()) if key_file.is_file() else None


def _cached(path: str | Path, cache_dir: str | Path) -> Path | None:
    """The executed copy of ``path`` in ``cache_dir`` if its key still holds, else None."""
    path, cache_dir = Path(path), Path(cache_dir)
    target = cache_dir / path.name
    return target if target.is_file() and _stored_key(path, cache_dir) == cache_key(path) else None


def executed(path: str | Path, cache_dir: str | Path, timeout: float = NOTEBOOK_TIMEOUT) -> Path:
    """The notebook ``path`` run top to bottom, from the cache ``cache_dir`` while its key holds; its path.

    Example:
        >>> executed("notebooks/00_start_here.ipynb", "build/executed")  # doctest: +SKIP
        PosixPath('build/executed/00_start_here.ipynb')
    """
    path, cache_dir = Path(path), Path(cache_dir)
    target = _cached(path, cache_dir)
    if target:
        return target
    key, stored = cache_key(path), _stored_key(path, cache_dir)
    changed = [name for name in key if stored is not None and stored.get(name) != key[name]]
    why = f"its {', '.join(changed)} changed" if changed else "not in the cache"
    print(f"running {path.name} ({why}) ...", file=sys.stderr, flush=True)
    import nbformat

    nb = run_file(path, timeout)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / path.name
    nbformat.write(nb, target)
    (cache_dir / f"{path.stem}.key.json").write_text(json.dumps(key, indent=1) + "\n")
    return target


def execute_all(paths: list[Path], jobs: int, cache_dir: str | Path) -> list[Path]:
    """Run (or take from the cache) several notebooks, ``jobs`` at a time; the executed copies.

    Example:
        >>> execute_all([Path("notebooks/00_start_here.ipynb")], 1, "build/executed")  # doctest: +SKIP
        [PosixPath('build/executed/00_start_here.ipynb')]
    """
    # Worker processes only for the notebooks that must run: each would import torch to check a key.
    copies = {p: _cached(p, cache_dir) for p in paths}
    stale = [p for p, copy in copies.items() if copy is None]
    if jobs > 1 and len(stale) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            copies.update(zip(stale, pool.map(executed, stale, [cache_dir] * len(stale))))
    else:
        copies.update((p, executed(p, cache_dir)) for p in stale)
    return [copies[p] for p in paths]
