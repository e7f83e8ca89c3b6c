"""Notebook 09 over seeds 0-4 and 1, 2 and 4 threads: every checked claim with its worst margin, GPT against LSTM.

Runs the notebook itself (``notebook_runs.run_with_seed``: its ``SEED = 0`` line replaced, a report
cell appended) with ``SEED = 0..4``, each with ``OMP_NUM_THREADS`` = 1, 2 and 4 (threads that wait
passively: the same arithmetic, without the spinning that makes 2 threads 25 times slower on a shared,
loaded machine). Each checked claim is
recomputed from what the cells computed, as a margin (positive: the claim holds, by that much)
and the worst margin over all runs is reported, with how many runs the claim held in and which
checked cells printed something else than the stored outputs. Then the comparison of section 4,
both models' held-out bits per character and training seconds, over seeds 0-2 at one thread. Last,
the notebook's wall time under nbval (what ``make test`` runs), median of 3, with one thread per
process and with torch's default thread count, and the machine's load beside it (2 cores here,
shared: timings are noisy). Pytest-xdist changes neither the thread count (``make test`` sets one
thread per worker) nor the arithmetic, so these runs stand for it; ``make test`` runs it.

Run alone: ``python tests/bench/bench_transformers.py`` (15 notebook runs and 6 nbval runs: about
13 minutes on a quiet 2-core CPU, twice that under load). ``BENCH_THREADS=1`` and ``BENCH_SEEDS=0,1`` for a shorter run.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from notebook_runs import run_with_seed, spread
from report_rows import median_row, row

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "09_transformers.ipynb"
SEEDS = tuple(int(s) for s in os.environ.get("BENCH_SEEDS", "0,1,2,3,4").split(","))
THREADS = tuple(int(t) for t in os.environ.get("BENCH_THREADS", "1,2,4").split(","))
COMPARED_SEEDS = (0, 1, 2)
NBVAL_RUNS = int(os.environ.get("BENCH_NOTEBOOK_RUNS", 3))  # 0 skips the nbval timing
REPORT = """
import json
print("BENCH " + json.dumps({
    "bits": {name: r["bits"] for name, r in results.items()},
    "training seconds": {name: r["seconds"] for name, r in results.items()},
    "freq bits": freq_bits, "parameters": {"GPT": n_gpt, "LSTM": n_lstm},
    "ablation bits": {name: r["bits"] for name, r in runs.items()},
    "ablation losses": {name: r["losses"] for name, r in runs.items()},
    "local": local, "reach": reach, "memory lowest": by_distance.min().item()}))
"""


def biggest_rise(losses: list[float]) -> float:
    """How far the mean of 10 consecutive training losses ever climbs back above its lowest value so far, in bits
    (the measure of the notebook's section 5)."""
    curve = [sum(losses[i : i + 10]) / 10 / math.log(2) for i in range(len(losses) - 9)]
    return max(value - min(curve[: i + 1]) for i, value in enumerate(curve))


#: Each checked claim of the notebook as a margin (> 0: it holds) computed from one run's report.
CLAIMS = {
    "parameters within 10 % (GPT / LSTM - 1, of 0.1)": lambda r: (
        0.1 - abs(r["parameters"]["GPT"] / r["parameters"]["LSTM"] - 1)
    ),
    "both >= 1 bit below letter frequencies (bits)": lambda r: (
        r["freq bits"] - 1 - max(r["bits"].values())
    ),
    "LSTM >= 0.5 bits below the GPT (bits)": lambda r: r["bits"]["GPT"] - 0.5 - r["bits"]["LSTM"],
    **{
        f"{name}: > {by} bits worse than as built (bits)": (
            lambda r, name=name, by=by: (
                r["ablation bits"][name] - r["ablation bits"]["as built"] - by
            )
        )
        for name, by in {
            "no residual connections": 0.5,
            "no layer norm": 0.1,
            "no warm-up": 0.3,
        }.items()
    },
    "curve climbs back > 0.4 bits without layer norm, < 0.2 as built (bits)": lambda r: min(
        biggest_rise(r["ablation losses"]["no layer norm"]) - 0.4,
        0.2 - biggest_rise(r["ablation losses"]["as built"]),
    ),
    "no head puts half its weight on the last 3 characters (share)": lambda r: (
        0.5 - max(r["local"].values())
    ),
    "block 2: every head looks > 10 characters back on average (characters)": lambda r: (
        min(v for k, v in r["reach"].items() if k.startswith("block 2")) - 10
    ),
    "memory task: every distance >= 18 of 20 right (accuracy)": lambda r: r["memory lowest"] - 0.9,
}


def _set_environment(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def environment(**values: str | None):
    """Run the kernels started inside with these environment variables (None: unset)."""
    old = {name: os.environ.get(name) for name in values}
    try:
        _set_environment(values)
        yield
    finally:
        _set_environment(old)


def nbval_seconds(n_threads: int | None) -> tuple[list[float], list[float]]:
    """Wall times of ``pytest --nbval-lax`` on the notebook (as ``make notebooks`` runs it), and the load before each."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--nbval-lax",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        str(NOTEBOOK.relative_to(ROOT)),
    ]
    times, loads = [], []
    for _ in range(NBVAL_RUNS):
        loads.append(os.getloadavg()[0])
        with environment(OMP_NUM_THREADS=None if n_threads is None else str(n_threads)):
            start = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"nbval failed on {NOTEBOOK.name}:\n{done.stdout[-3000:]}")
    return times, loads


def measure(n_threads: int, seed: int) -> dict:
    """One run of the notebook with ``SEED = seed`` and ``OMP_NUM_THREADS = n_threads``: what its report cell printed.

    Its threads wait passively (``OMP_WAIT_POLICY=PASSIVE``): the same arithmetic, but on a shared machine
    two threads no longer spin while the other is descheduled (25 times slower here under load)."""
    with environment(OMP_NUM_THREADS=str(n_threads), OMP_WAIT_POLICY="PASSIVE"):
        return run_with_seed(NOTEBOOK, seed, REPORT)


def claim_rows(reports: dict[tuple[int, int], dict]) -> list[dict]:
    """The worst margin of each checked claim, the checked cells that changed, and the GPT-LSTM comparison."""
    runs = sorted(reports)
    where = f"seeds {sorted({s for _, s in runs})} × {sorted({n for n, _ in runs})} threads ({len(runs)} runs)"
    rows = []
    for claim, margin in CLAIMS.items():
        margins = {key: margin(reports[key]) for key in runs}
        worst = min(margins, key=margins.get)
        held = sum(m > 0 for m in margins.values())
        rows.append(
            row(
                "transformers",
                f"claim: {claim}: worst margin",
                margins[worst],
                note=f"held in {held} of {len(margins)} runs ({where}); worst at seed {worst[1]}, "
                f"{worst[0]} threads; median margin {statistics.median(margins.values()):.3g}",
            )
        )
    changed = {key: reports[key]["checked cells changed"] for key in runs}
    which = "; ".join(f"seed {s}, {n} threads: {c}" for (n, s), c in changed.items() if c)
    rows.append(
        row(
            "transformers",
            "checked cells that differ from the stored outputs",
            max(len(c) for c in changed.values()),
            "cells",
            f"worst of {where}; {which or 'none'}",
        )
    )
    one = min(n for n, _ in runs)
    compared = [reports[one, s] for s in COMPARED_SEEDS if (one, s) in reports]
    for model in ("GPT", "LSTM"):
        bits = [r["bits"][model] for r in compared]
        seconds = [r["training seconds"][model] for r in compared]
        rows.append(
            row(
                "transformers",
                f"{model}: held-out bits per character",
                statistics.mean(bits),
                "bits",
                f"seeds {list(COMPARED_SEEDS)}, {one} thread(s), "
                f"{compared[0]['parameters'][model]:,} parameters: {spread(bits)}",
            )
        )
        rows.append(
            median_row(
                "transformers",
                f"{model}: training seconds",
                seconds,
                "s",
                f"median, seeds {list(COMPARED_SEEDS)}, {one} thread(s): ",
                digits=1,
            )
        )
    for n in sorted({n for n, _ in runs}):
        ratio = [
            reports[n, s]["training seconds"]["LSTM"] / reports[n, s]["training seconds"]["GPT"]
            for m, s in runs
            if m == n
        ]
        metric = f"training time LSTM / GPT, {n} thread(s)"
        rows.append(median_row("transformers", metric, ratio, "", "median over seeds: ", digits=2))
    return rows


def timing_rows() -> list[dict]:
    """The notebook under nbval, median of NBVAL_RUNS, with one thread (as ``make test``) and torch's default."""
    rows = []
    for n_threads, label in ((1, "1 thread (make test)"), (None, "torch's default threads")):
        times, loads = nbval_seconds(n_threads)
        each = ", ".join(f"{t:.0f}" for t in times)
        load = ", ".join(f"{x:.1f}" for x in loads)
        rows.append(
            row(
                "transformers",
                f"notebook 09 under nbval, {label}",
                statistics.median(times),
                "s",
                f"median of {NBVAL_RUNS}: {each}; load average before each: {load}",
            )
        )
    return rows


def run() -> list[dict]:
    reports = {(n, seed): measure(n, seed) for n in THREADS for seed in SEEDS}
    return claim_rows(reports) + (timing_rows() if NBVAL_RUNS else [])


if __name__ == "__main__":
    for r in run():
        print(f"{r['metric']}: {r['value']:.4g} {r['unit']}  {r.get('note', '')}")
