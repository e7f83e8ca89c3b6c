"""Run a notebook of the course with another ``SEED`` and thread count, and read back what its cells computed.

The benchmarks run the notebooks themselves (what a student runs, not a copy of their code):

- ``SEED = s``: the setup cell's line ``SEED = 0`` is replaced (every seed of a notebook derives
  from it, a convention ``course check`` enforces);
- ``threads = t``: the kernel starts with ``OMP_NUM_THREADS=t`` and calls ``torch.set_num_threads(t)``
  first (torch caps the variable at the number of cores; the run says what torch used); ``None``
  keeps the environment's setting (unset: torch's default, one thread per core);
- **margins**: a claim's margin is an expression evaluated in the kernel right after the cell that
  prints the claim (found by a snippet of its source, which must match exactly one code cell),
  positive when the claim holds: for ``train_acc > val_acc + 0.2`` it is
  ``train_acc - (val_acc + 0.2)``. A checked ``True`` with a margin of 0.001 is luck, not a claim;
- a ``report`` cell may be appended that prints one ``BENCH {json}`` line, which is parsed.

Each run also says which ``# NBVAL_CHECK_OUTPUT`` cells printed something else than the stored
outputs, compared as nbval compares them in CI (same sanitizer, images skipped). A checked line
that a seed or a thread count can flip is a fragile claim. Not a benchmark itself
(``run_benchmarks.py`` runs ``bench_*.py`` only).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbval.plugin import coalesce_streams, get_sanitize_patterns, transform_streams_for_comparison
from report_rows import median_row, row

from course_tools.notebook_tools import SEED_LINE, is_checked

ROOT = Path(__file__).resolve().parents[2]
# what nbval leaves out of a comparison (nbval.plugin.IPyNbFile.skip_compare, without nbdime)
_SKIP = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}
_SANITIZE = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text())


def _sanitize(text):
    for pattern, replacement in _SANITIZE:
        text = re.sub(pattern, replacement, text) if isinstance(text, str) else text
    return text


def _compared(cell) -> dict[str, list]:
    """A cell's outputs as nbval compares them: per key (stream name or MIME type), the sanitized values."""
    found = defaultdict(list)
    for output in transform_streams_for_comparison(
        coalesce_streams(nbformat.from_dict(cell.get("outputs", [])))
    ):
        for key, value in output.items():
            if key == "data":
                for mime, text in value.items():
                    if mime not in _SKIP:
                        found[mime].append(_sanitize(text))
            elif key not in _SKIP:
                found[key].append(_sanitize(value))
    return dict(found)


def _find_cell(nb, snippet: str) -> int:
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and snippet in c.source]
    if len(found) != 1:
        raise LookupError(
            f"the snippet {snippet!r} must match exactly one code cell, found {len(found)}: "
            "update the bench's declaration to the notebook's code"
        )
    return found[0]


def _margin_cell(claims: dict[str, str]) -> nbformat.NotebookNode:
    """A cell that prints ``MARGIN {claim: value}`` and defines no name in the notebook."""
    pairs = ", ".join(f"{name!r}: float({expression})" for name, expression in claims.items())
    return nbformat.v4.new_code_cell(f'print("MARGIN " + __import__("json").dumps({{{pairs}}}))')


def run_notebook(
    notebook: Path,
    seed: int = 0,
    threads: int | None = None,
    margins: dict[str, dict[str, str]] | None = None,
    report: str | None = None,
    timeout: int = 900,
) -> dict:
    """Execute ``notebook`` with ``SEED = seed`` on ``threads`` threads; what it printed and how long it took.

    ``margins`` maps a snippet of a cell's source to that cell's claims, ``{name: expression}``.
    Returns ``{"seed", "threads", "torch threads", "seconds", "changed": {cell index: (stored, got)},
    "margins": {name: value}, "report": dict or None, "error": str or None}``; a run that raised
    keeps what it measured before the error.
    """
    nb = nbformat.read(notebook, as_version=4)
    setup = [c for c in nb.cells if c.cell_type == "code" and SEED_LINE.search(c.source)]
    if len(setup) != 1:
        raise LookupError(
            f"expected one cell with the line 'SEED = 0' in {notebook.name}, found {len(setup)}"
        )
    setup[0].source = SEED_LINE.sub(f"SEED = {seed}", setup[0].source)
    checked = {i: c for i, c in enumerate(nb.cells) if is_checked(c)}
    stored = {i: _compared(c) for i, c in checked.items()}
    inserted = {_find_cell(nb, snippet): claims for snippet, claims in (margins or {}).items()}
    cells = []
    for i, cell in enumerate(nb.cells):
        cells.append(cell)
        if i in inserted:
            cells.append(_margin_cell(inserted[i]))
    if report:
        cells.append(nbformat.v4.new_code_cell(report))
    # Right after the notebook's first code cell (which sets OMP_WAIT_POLICY before torch is imported):
    # the thread count asked for, and what torch uses before the notebook itself may choose one thread
    # (pick_faster_device does, where one thread is faster).
    first = next(i for i, cell in enumerate(cells) if cell.cell_type == "code") + 1
    probe = nbformat.v4.new_code_cell('print("THREADS", __import__("torch").get_num_threads())')
    cells.insert(first, probe)
    if (
        threads is not None
    ):  # torch caps OMP_NUM_THREADS at the number of cores; set_num_threads does not
        cells.insert(
            first, nbformat.v4.new_code_cell(f'__import__("torch").set_num_threads({threads})')
        )
    nb.cells = cells
    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    error = None
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1][:300]
    seconds = time.perf_counter() - start

    def printed(cell, prefix: str) -> str | None:
        text = "".join(
            o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
        )
        return next(
            (line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)), None
        )

    found = {}
    for cell in nb.cells:
        line = printed(cell, "MARGIN ")
        if line:
            found |= json.loads(line)
    torch_threads = printed(probe, "THREADS ")
    if threads is not None and torch_threads is not None and int(torch_threads) != threads:
        raise RuntimeError(f"asked for {threads} threads, torch used {torch_threads}")
    line = printed(nb.cells[-1], "BENCH ") if report else None
    changed = {
        i: (stored[i], got)
        for i, cell in checked.items()
        if cell.get("execution_count") is not None and (got := _compared(cell)) != stored[i]
    }
    return {
        "seed": seed,
        "threads": threads,
        "torch threads": torch_threads and int(torch_threads),
        "seconds": seconds,
        "changed": changed,
        "margins": found,
        "error": error,
        "report": json.loads(line) if line else None,
    }


def run_with_seed(notebook: Path, seed: int, report: str, timeout: int = 900) -> dict:
    """Execute ``notebook`` with ``SEED = seed`` and the ``report`` cell appended; return its JSON and the wall time.

    ``report`` must print ``"BENCH " + json.dumps({...})``. Threads: the environment's ``OMP_NUM_THREADS``.
    """
    run = run_notebook(notebook, seed, report=report, timeout=timeout)
    if run["error"]:
        raise RuntimeError(f"{notebook.name} with SEED = {seed}: {run['error']}")
    return run["report"] | {
        "seconds": run["seconds"],
        "checked cells changed": sorted(run["changed"]),
    }


def run_rows(benchmark: str, name: str, reports: list[dict], seeds: tuple[int, ...]) -> list[dict]:
    """Two rows on the runs themselves (``run_with_seed``'s reports, one per seed): how many checked
    cells printed something else than the stored outputs (worst seed), and the median wall time."""
    changed = [r["checked cells changed"] for r in reports]
    per_seed = "; ".join(f"seed {s}: {c or 'none'}" for s, c in zip(seeds, changed))
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    return [
        row(
            benchmark,
            f"{name}: checked cells that differ from the stored outputs",
            max(len(c) for c in changed),
            "cells",
            f"worst seed; {per_seed}",
        ),
        median_row(
            benchmark,
            f"{name} wall time per seed",
            [r["seconds"] for r in reports],
            "s",
            f"median; nbclient, OMP_NUM_THREADS={threads}: ",
        ),
    ]


def score_rows(benchmark: str, reports: list[dict], note: str) -> list[dict]:
    """Mean test balanced accuracy and loss of each model the notebook put in ``test_scores``."""
    rows = []
    for name in reports[0]["test"]:
        for what in ("balanced accuracy", "loss"):
            values = [r["test"][name][what] for r in reports]
            rows.append(
                row(
                    benchmark,
                    f"{name}: test {what}",
                    statistics.mean(values),
                    note=f"{note}: {spread(values)}",
                )
            )
    return rows


def spread(values: list[float]) -> str:
    """Mean ± sd (min, max) of per-seed values, three decimals."""
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"
