"""The one place that runs the course's notebooks: for ``refresh``, the site and the slide decks.

A notebook runs top to bottom in a fresh ``python3`` kernel, in its own folder (as a student would
run it), against one time limit for the whole run (the kernel's start-up does not count). ``executed`` keeps a cache of executed copies
for the site and the decks, keyed on the notebook and on the ``course_utils`` sources it may import.
"""

from __future__ import annotations

import hashlib
import importlib.util
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

__all__ = ["NOTEBOOK_TIMEOUT", "SUBMISSION_TIMEOUT", "RunStopped", "execute_all", "executed", "run_file",
           "run_notebook"]

NOTEBOOK_TIMEOUT = 900  # seconds a course notebook may run in all (refresh, site, slides)
SUBMISSION_TIMEOUT = 300  # seconds a submitted notebook may run in all (grading)


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

    client = NotebookClient(nb, kernel_name="python3", timeout=int(timeout),
                            startup_timeout=120, resources={"metadata": {"path": str(Path(cwd).resolve())}})
    outcome = ""
    try:
        with client.setup_kernel():
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


def _stamp(path: Path) -> str:
    """A hash of the notebook and of every ``course_utils`` source it may import."""
    digest = hashlib.sha256(path.read_bytes())
    spec = importlib.util.find_spec("course_utils")  # found, not imported (no torch here)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for source in sorted(Path(folder).rglob("*.py")):
            digest.update(source.read_bytes())
    return digest.hexdigest()


def executed(path: str | Path, cache_dir: str | Path, timeout: float = NOTEBOOK_TIMEOUT) -> Path:
    """The notebook ``path`` run top to bottom, from the cache ``cache_dir`` when nothing changed; its path.

    Example:
        >>> executed("notebooks/00_start_here.ipynb", "build/executed")  # doctest: +SKIP
        PosixPath('build/executed/00_start_here.ipynb')
    """
    path, cache_dir = Path(path), Path(cache_dir)
    target, stamp_file = cache_dir / path.name, cache_dir / f"{path.stem}.sha256"
    stamp = _stamp(path)
    if target.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return target
    import nbformat

    nb = run_file(path, timeout)
    cache_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    stamp_file.write_text(stamp)
    return target


def execute_all(paths: list[Path], jobs: int, cache_dir: str | Path) -> list[Path]:
    """Run (or take from the cache) several notebooks, ``jobs`` at a time; the executed copies.

    Example:
        >>> execute_all([Path("notebooks/00_start_here.ipynb")], 1, "build/executed")  # doctest: +SKIP
        [PosixPath('build/executed/00_start_here.ipynb')]
    """
    if jobs <= 1 or len(paths) <= 1:
        return [executed(p, cache_dir) for p in paths]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(executed, paths, [cache_dir] * len(paths)))
