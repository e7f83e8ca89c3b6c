"""Notebook 08 over seeds and thread counts: each checked claim's worst margin, the learning-rate
search that sets its models' ``LR``, and its run time at the default thread count.

Every run executes the notebook itself (``notebook_runs.run_with_seed``: ``SEED = s`` in its setup
cell and a report cell appended), with ``OMP_NUM_THREADS`` set for its kernel. The notebook trains on
the faster of one CPU thread and all of them (section 2); for the runs on 2 and 4 threads the
benchmark pins the count instead (it runs a copy of the notebook in which that choice is replaced),
so that every claim is measured on exactly 1, 2 and 4 threads. ``OMP_WAIT_POLICY=PASSIVE`` lets idle
threads sleep rather than spin: the same numbers, and pinned runs that do not crawl on a busy
machine (the run-time rows leave it unset, as a student's machine does).

Rows: for each claim, its worst margin over all runs (above 0: it held in every run; accuracies in
accuracy points, gradient ratios in orders of magnitude, bits in bits); the values behind each claim
per thread count, among them every memory model's test accuracy at distances 0-9, 10-49 and 50-99
(``MODELS``: the four of the comparison and the plain RNN taught on mostly recent keys, section 6),
each seed's in the note; the checked cells whose printed text differed from the stored outputs; the search
table (validation loss after the notebook's budget, mean over the seeds, for each model and learning
rate, and the rate the notebook uses); the outcomes of exercise 10.3 (a) to (c); the notebook's wall
time at the default thread count, median of ``RUNS``.

Run alone: ``python tests/bench/bench_sequences.py`` (about 30 minutes on a quiet 2-core CPU).
``BENCH_SEQUENCES_SEEDS=0,1`` and ``BENCH_SEQUENCES_THREADS=1`` run less (empty: no claim runs);
``BENCH_SEQUENCES_SEARCH=0`` skips the search (``BENCH_SEQUENCES_SEARCH_SEEDS`` its
seeds, default 0, 1, 2), ``BENCH_SEQUENCES_EXERCISE_SEEDS=`` (empty) the outcomes of exercise 10.3 (a) to (c) that
the guide quotes, ``BENCH_NOTEBOOK_RUNS=0`` the run time.
"""

from __future__ import annotations

import ast
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import torch
from notebook_runs import run_with_seed

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "08_sequences.ipynb"
SEEDS = tuple(int(s) for s in os.environ.get("BENCH_SEQUENCES_SEEDS", "0,1,2,3,4").split(",") if s)
THREADS = tuple(int(t) for t in os.environ.get("BENCH_SEQUENCES_THREADS", "1,2,4").split(",") if t)
SEARCH = os.environ.get("BENCH_SEQUENCES_SEARCH", "1") != "0"
EXERCISE_SEEDS = tuple(
    int(s) for s in os.environ.get("BENCH_SEQUENCES_EXERCISE_SEEDS", "0,1,2").split(",") if s
)
RUNS = int(os.environ.get("BENCH_NOTEBOOK_RUNS", 3))
STEP_ROUNDS = int(os.environ.get("BENCH_SEQUENCES_STEP_ROUNDS", 5))
LEARNING_RATES = (0.003, 0.01, 0.03)
SEARCH_SEEDS = tuple(
    int(s) for s in os.environ.get("BENCH_SEQUENCES_SEARCH_SEEDS", "0,1,2").split(",") if s
)
#: The notebook's choice of device and thread count (section 2, ``pick_faster_device``); a pinned run
#: trains on the CPU with the count set instead (PyTorch caps OMP_NUM_THREADS at the number of cores,
#: set_num_threads does not).
CHOICE = "device = pick_faster_device(\n    make_step\n)"
#: Every run's report, one JSON line each, for a closer look than the rows give.
DUMP = Path(__file__).resolve().parents[2] / "build" / "bench" / "sequences_runs.jsonl"

REPORT = """
import json
with torch.no_grad():
    val_loss = {name: F.cross_entropy(m(val_x.to(device)), val_key.to(device)).item() for name, m in models.items()}
print("BENCH " + json.dumps({
    "threads": torch.get_num_threads(), "device": str(device), "torch": torch.__version__, "lr": LR,
    "acc": {name: {"0-9": a[:10].mean().item(), "10-49": a[10:50].mean().item(), "10-99": a[10:].mean().item(),
                   "50-99": a[50:].mean().item(), "far half": a[L // 2:].mean().item(), "all": a.mean().item()}
            for name, a in {**acc, "plain RNN, taught on mostly recent keys": taught}.items()},
    "val curve": curves, "val loss": val_loss,
    "gain ratio": {str(gain): r for gain, r in ratio.items()}, "far reach": far_reach,
    "attention per letter": per_letter,
    "lm bits": lm_bits, "frequency bits": freq_bits, "share before": share_before, "share after": share_after}))
"""


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else -math.inf


#: Every model the notebook trains on the memory task, as its report names them; the bench gives
#: each one's test accuracy at distances 0-9, 10-49 and 50-99 for every seed and thread count.
MODELS = (
    "MLP, window 10",
    "plain RNN",
    "plain RNN, taught on mostly recent keys",
    "LSTM",
    "attention",
)

BANDS = ("0-9", "10-49", "50-99")


def _accuracy(model: str, band: str) -> Callable[[dict], float]:
    return lambda r: r["acc"][model][band]


#: Each checked claim of the notebook: its margin in one run's report (> 0: the claim holds), and the unit.
CLAIMS: dict[str, tuple[Callable[[dict], float], str]] = {
    "MLP: key inside the window, accuracy > 0.9": (
        lambda r: r["acc"]["MLP, window 10"]["0-9"] - 0.9,
        "accuracy",
    ),
    "MLP: key outside the window, accuracy < 0.35": (
        lambda r: 0.35 - r["acc"]["MLP, window 10"]["10-99"],
        "accuracy",
    ),
    "untrained RNN, gain 0.5: gradient 50 back < 1e-6 of the last": (
        lambda r: -6 - _log10(r["gain ratio"]["0.5"]),
        "orders of magnitude",
    ),
    "untrained RNN, gain 3: gradient 50 back > the last": (
        lambda r: _log10(r["gain ratio"]["3.0"]),
        "orders of magnitude",
    ),
    "plain RNN taught on mostly recent keys: distances 0-9, accuracy > 0.9": (
        lambda r: r["acc"]["plain RNN, taught on mostly recent keys"]["0-9"] - 0.9,
        "accuracy",
    ),
    "plain RNN taught on mostly recent keys: distances 50-99, accuracy > 0.9": (
        lambda r: r["acc"]["plain RNN, taught on mostly recent keys"]["50-99"] - 0.9,
        "accuracy",
    ),
    "LSTM: distances 50-99, accuracy > 0.9": (
        lambda r: r["acc"]["LSTM"]["50-99"] - 0.9,
        "accuracy",
    ),
    "distances 50-99: LSTM ahead of the plain RNN": (
        lambda r: r["acc"]["LSTM"]["50-99"] - r["acc"]["plain RNN"]["50-99"],
        "accuracy",
    ),
    "trained LSTM: gradient reaching a key 50-99 back > 10 x the plain RNN's": (
        lambda r: _log10(r["far reach"]["LSTM"]) - _log10(r["far reach"]["plain RNN"]) - 1,
        "orders of magnitude",
    ),
    "attention: distances 50-99, accuracy > 0.9": (
        lambda r: r["acc"]["attention"]["50-99"] - 0.9,
        "accuracy",
    ),
    "attention: over half on the key for >= 3 of 4 letters": (
        lambda r: sorted(r["attention per letter"])[1] - 0.5,
        "weight of the third-best letter",
    ),
    "LM: >= 1.5 bits per character below letter frequencies": (
        lambda r: r["frequency bits"] - 1.5 - r["lm bits"],
        "bits per character",
    ),
    "LM: real-word share before training < 0.1": (lambda r: 0.1 - r["share before"], "share"),
    "LM: real-word share after 300 steps > 0.35": (lambda r: r["share after"] - 0.35, "share"),
}


def notebook_copy(folder: Path, name: str, replacements: dict[str, str]) -> Path:
    """A copy of the notebook in ``folder`` with each key (exact code text, found once) replaced."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for old, new in replacements.items():
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        if len(cells) != 1:
            raise RuntimeError(
                f"expected {old!r} in one code cell of {NOTEBOOK.name}, found {len(cells)}: "
                "update the benchmark with the notebook"
            )
        cells[0].source = cells[0].source.replace(old, new)
    path = folder / name
    nbformat.write(nb, path)
    return path


def run_notebook(path: Path, seed: int, threads: int | None, passive: bool = True) -> dict:
    """``run_with_seed`` with ``OMP_NUM_THREADS=threads`` (None: unset, PyTorch's default) for the kernel.

    The report is appended to ``DUMP`` with the run's settings.
    """
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    try:
        for key, value in (
            ("OMP_NUM_THREADS", threads),
            ("OMP_WAIT_POLICY", "PASSIVE" if passive else None),
        ):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = str(value)
        report = run_with_seed(path, seed, REPORT, timeout=3600)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    DUMP.parent.mkdir(parents=True, exist_ok=True)
    with DUMP.open("a") as out:
        out.write(
            json.dumps({"notebook": path.name, "seed": seed, "OMP_NUM_THREADS": threads, **report})
            + "\n"
        )
    print(
        f"sequences: {path.name}, seed {seed}, OMP_NUM_THREADS={threads}: "
        f"trained on {report['threads']} threads, {report['seconds']:.0f} s",
        file=sys.stderr,
    )
    return report


def claim_rows(runs: dict[tuple[int, int], dict]) -> list[dict]:
    rows = []
    where = f"seeds {', '.join(map(str, SEEDS))} x threads {', '.join(map(str, THREADS))}"
    for claim, (margin, unit) in CLAIMS.items():
        margins = {key: margin(r) for key, r in runs.items()}
        worst = min(margins, key=margins.get)
        per_thread = "; ".join(
            f"{t} threads: worst {min(m for (s, tt), m in margins.items() if tt == t):.3g}"
            for t in THREADS
        )
        rows.append(
            {
                "benchmark": "sequences",
                "metric": f"claim: {claim}: worst margin",
                "value": margins[worst],
                "unit": unit,
                "note": f"{where}; held in {sum(m > 0 for m in margins.values())} of {len(margins)} "
                f"runs; worst at seed {worst[0]}, {worst[1]} threads; {per_thread}",
            }
        )
    values = {
        f"{model}: accuracy, distances {band}": _accuracy(model, band)
        for model in MODELS
        for band in BANDS
    } | {
        "plain RNN: gradient reaching a key 50-99 back (log10)": lambda r: _log10(
            r["far reach"]["plain RNN"]
        ),
        "LSTM: gradient reaching a key 50-99 back (log10)": lambda r: _log10(
            r["far reach"]["LSTM"]
        ),
        "language model: held-out bits per character": lambda r: r["lm bits"],
        "language model: real-word share after 300 steps": lambda r: r["share after"],
    }
    for name, value in values.items():
        for t in THREADS:
            per_seed = [value(runs[(s, t)]) for s in SEEDS]
            rows.append(
                {
                    "benchmark": "sequences",
                    "metric": f"{name}, {t} threads",
                    "value": statistics.median(per_seed),
                    "unit": "",
                    "note": "median; seeds "
                    + ", ".join(f"{s}: {v:.3g}" for s, v in zip(SEEDS, per_seed)),
                }
            )
    changed = {
        key: r["checked cells changed"] for key, r in runs.items() if r["checked cells changed"]
    }
    rows.append(
        {
            "benchmark": "sequences",
            "metric": "checked cells that printed something else than the stored outputs",
            "value": max((len(c) for c in changed.values()), default=0),
            "unit": "cells (worst run)",
            "note": "; ".join(f"seed {s}, {t} threads: cells {c}" for (s, t), c in changed.items())
            or where,
        }
    )
    used = sorted({(t, r["threads"], r["device"], r["torch"]) for (s, t), r in runs.items()})
    rows.append(
        {
            "benchmark": "sequences",
            "metric": "runs (seeds x thread counts)",
            "value": len(runs),
            "unit": "runs",
            "note": "; ".join(
                f"OMP_NUM_THREADS={t}: trained on {n} threads on {d}, torch {v}"
                for t, n, d, v in used
            ),
        }
    )
    return rows


def notebook_lr() -> tuple[str, dict[str, float]]:
    """The notebook's assignment ``LR = {...}`` (its source text) and the learning rate it sets for each model."""
    found = [
        (ast.get_source_segment(c.source, node), ast.literal_eval(node.value))
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        if c.cell_type == "code" and "LR = {" in c.source
        for node in ast.parse(c.source).body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["LR"]
    ]
    if len(found) != 1:
        raise RuntimeError(
            f"expected one assignment 'LR = {{...}}' in {NOTEBOOK.name}, found {len(found)}"
        )
    return found[0]


def search_rows(folder: Path) -> list[dict]:
    """Every model with every learning rate, seeds ``SEARCH_SEEDS``, one thread: validation loss after the budget."""
    line, lr_used = notebook_lr()
    losses: dict[tuple[str, float], list[float]] = {}
    for lr in LEARNING_RATES:
        path = notebook_copy(
            folder, f"search_{lr}.ipynb", {line: f"LR = dict.fromkeys({tuple(lr_used)!r}, {lr})"}
        )
        for seed in SEARCH_SEEDS:
            for name, loss in run_notebook(path, seed, threads=1)["val loss"].items():
                losses.setdefault((name, lr), []).append(loss)
    rows = []
    for name in lr_used:
        best = min(LEARNING_RATES, key=lambda lr: statistics.mean(losses[(name, lr)]))
        for lr in LEARNING_RATES:
            rows.append(
                {
                    "benchmark": "sequences",
                    "metric": f"search: {name}, lr {lr}: validation loss",
                    "value": statistics.mean(losses[(name, lr)]),
                    "unit": "nats",
                    "note": "mean over seeds; "
                    + ", ".join(
                        f"seed {s}: {v:.3f}" for s, v in zip(SEARCH_SEEDS, losses[(name, lr)])
                    )
                    + ("; the lowest" if lr == best else ""),
                }
            )
        rows.append(
            {
                "benchmark": "sequences",
                "metric": f"search: {name}: the notebook's LR is the lowest-loss rate",
                "value": float(math.isclose(best, lr_used[name])),
                "unit": "1 = yes",
                "note": f"lowest mean validation loss at lr {best}; the notebook uses {lr_used[name]}",
            }
        )
    return rows


#: Exercise 10.3's changes (a to c), as replacements in the notebook's code, and the model each is about.
EXERCISES = {
    "10.3(a) nn.GRU in place of the LSTM": (
        {"lstm_model = MemoryRNN(nn.LSTM, hidden=16)": "lstm_model = MemoryRNN(nn.GRU, hidden=16)"},
        "LSTM",
    ),
    "10.3(b) the plain RNN for 3,000 steps": (
        {
            'train_memory(rnn_model, LR["plain RNN"], seed=SEED)': (
                'train_memory(rnn_model, LR["plain RNN"], seed=SEED, steps=3000)'
            )
        },
        "plain RNN",
    ),
    "10.3(c) windows of 200 characters, plain RNN": (
        {"L, n_keys = 100, 4": "L, n_keys = 200, 4"},
        "plain RNN",
    ),
    "10.3(c) windows of 200 characters, LSTM": (
        {"L, n_keys = 100, 4": "L, n_keys = 200, 4"},
        "LSTM",
    ),
    "10.3(c) windows of 200 characters, attention": (
        {"L, n_keys = 100, 4": "L, n_keys = 200, 4"},
        "attention",
    ),
}


def exercise_rows(folder: Path) -> list[dict]:
    """The expected outcomes of exercise 10.3 (a) to (c): the notebook with each change, seeds ``EXERCISE_SEEDS``."""
    rows, reports = [], {}
    for name, (replacements, model) in EXERCISES.items():
        key = tuple(replacements.items())
        if key not in reports:
            path = notebook_copy(folder, f"exercise_{len(reports)}.ipynb", replacements)
            reports[key] = [run_notebook(path, seed, threads=1) for seed in EXERCISE_SEEDS]
        for part in ("0-9", "far half"):
            values = [r["acc"][model][part] for r in reports[key]]
            rows.append(
                {
                    "benchmark": "sequences",
                    "metric": f"exercise {name}: test accuracy, distances {part}",
                    "value": statistics.median(values),
                    "unit": "",
                    "note": "median; seeds "
                    + ", ".join(f"{s}: {v:.3f}" for s, v in zip(EXERCISE_SEEDS, values)),
                }
            )
    return rows


#: One Adam step of the notebook's LSTM (section 7's model, a batch of 128 windows), timed in a fresh
#: process: the threads' settings are read when PyTorch starts.
STEP = """
import statistics, time, torch, torch.nn.functional as F
from torch import nn
from course_utils.sequences import SYMBOLS, load_python_docs, memory_batch
_ = torch.manual_seed(0)
embed, lstm, head = nn.Embedding(len(SYMBOLS), 16), nn.LSTM(16, 16, batch_first=True), nn.Linear(16, 4)
optimizer = torch.optim.Adam([*embed.parameters(), *lstm.parameters(), *head.parameters()])
xb, yb, _ = memory_batch(load_python_docs().train_ids, 128, 100, 4, generator=torch.Generator().manual_seed(0))
times = []
for i in range(9):
    start = time.perf_counter()
    loss = F.cross_entropy(head(lstm(embed(xb))[0][:, -1]), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    times.append(time.perf_counter() - start)
print(torch.get_num_threads(), statistics.median(times[2:]))
"""


def step_time_rows() -> list[dict]:
    """One LSTM step on 1 thread, on 2 threads that spin while they wait (OpenMP's default), and on 2 that sleep."""
    settings = {
        "1 thread": ("1", None),
        "2 threads": ("2", None),
        "2 threads, OMP_WAIT_POLICY=PASSIVE": ("2", "PASSIVE"),
    }
    times: dict[str, list[float]] = {name: [] for name in settings}
    load = []
    for _ in range(
        STEP_ROUNDS
    ):  # the settings interleaved, so that a change of load hits all of them
        load.append(os.getloadavg()[0])
        for name, (threads, policy) in settings.items():
            env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | {
                "OMP_NUM_THREADS": threads
            }
            if policy:
                env["OMP_WAIT_POLICY"] = policy
            out = subprocess.run(
                [sys.executable, "-c", STEP], env=env, capture_output=True, text=True, check=True
            )
            used, seconds = out.stdout.split()
            if used != threads:
                raise RuntimeError(f"asked for {threads} threads, torch used {used}")
            times[name].append(float(seconds) * 1e3)
    return [
        {
            "benchmark": "sequences",
            "metric": f"one LSTM training step (section 7's model), {name}",
            "value": statistics.median(t),
            "unit": "ms",
            "note": f"median of {STEP_ROUNDS} processes (each the median of 7 steps), torch {torch.__version__}; "
            + ", ".join(f"{x:.1f}" for x in t)
            + "; load average "
            + ", ".join(f"{x:.1f}" for x in load),
        }
        for name, t in times.items()
    ]


def wall_time_rows() -> list[dict]:
    """The notebook as a student runs it: PyTorch's default thread count, no benchmark settings."""
    times, threads, load = [], set(), []
    for _ in range(RUNS):
        load.append(os.getloadavg()[0])
        report = run_notebook(NOTEBOOK, 0, threads=None, passive=False)
        times.append(report["seconds"])
        threads.add(report["threads"])
    return [
        {
            "benchmark": "sequences",
            "metric": "notebook 08 top to bottom, default thread count",
            "unit": "s",
            "value": statistics.median(times),
            "note": f"median of {RUNS}, torch {torch.__version__}, default {torch.get_num_threads()} threads, "
            f"trained on {sorted(threads)}; runs "
            + ", ".join(f"{t:.0f}" for t in times)
            + "; load average "
            + ", ".join(f"{x:.1f}" for x in load),
        }
    ]


def run() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        pinned = {
            t: notebook_copy(
                folder,
                f"pinned_{t}.ipynb",
                {CHOICE: f'device = torch.device("cpu")\ntorch.set_num_threads({t})  # pinned'},
            )
            for t in THREADS
            if t > 1
        }
        runs = {
            (seed, t): run_notebook(NOTEBOOK if t == 1 else pinned[t], seed, t)
            for t in THREADS
            for seed in SEEDS
        }
        if runs:
            rows += claim_rows(runs)
        if SEARCH:
            rows += search_rows(folder)
        if EXERCISE_SEEDS:
            rows += exercise_rows(folder)
    if STEP_ROUNDS:
        rows += step_time_rows()
    if RUNS:
        rows += wall_time_rows()
    return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['metric']:<90} {row['value']:10.4g} {row['unit']:<12} {row.get('note', '')}",
            flush=True,
        )
