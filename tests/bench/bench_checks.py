"""What an exercise check costs a student: the seconds one check takes on a right answer, in the
notebook (an IPython shell, as Jupyter runs it) and as ``course grade`` decides it (the grader's own
code, the answer served from a thread instead of a sandbox: the sandbox's start is not counted).

Budget (the checks issue): a check in a notebook within a couple of seconds on a laptop's CPU. The
right answers are the unit tests' (``tests/course_utils/exercises/test_exercises_*.py``), so that the bench times what
the tests prove right. Median of ``RUNS`` after one warm-up run (the first also imports and, for the
loops, computes the reference once per session: the note gives it, and the machine's load average).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
RUNS = 5


def _answers() -> dict[str, tuple[str, list[str]]]:
    """check -> (check cell, the answer's cells): one right answer per build exercise and rule on how."""
    sys.path[:0] = [str(TESTS), str(TESTS / "course_utils" / "exercises")]
    import test_exercises_nb01_tensors as t01
    import test_exercises_nb02_linear_regression as t02
    import test_exercises_nb03_mlp as t03
    import test_exercises_nb04_spiral as t04
    import test_exercises_nb05_cnn as t05
    import test_exercises_nb06_transfer as t06
    import test_exercises_nb07_generative as t07
    import test_exercises_nb08_sequences as t08

    return {
        "pairwise_sq_distances (01)": (
            t01.PAIRWISE_CHECK,
            [
                t01.HEAD,
                "def pairwise_sq_distances(A, B):\n"
                "    return ((A[:, None] - B[None]) ** 2).sum(-1)",
            ],
        ),
        "derivative (01)": (
            t01.DERIVATIVE_CHECK,
            [
                t01.HEAD,
                "def derivative(f, x0):\n    x = torch.tensor(x0, "
                "requires_grad=True)\n    f(x).backward()\n"
                "    return x.grad.item()",
            ],
        ),
        "train_sgd (02)": (t02.LOOP_CHECK, [t02.HEAD, t02.TRAIN_SGD]),
        "homework (02)": (t02.HOMEWORK_CHECK, t02.homework(t02.HW_FIT, epochs=18)),
        "bce (03)": (
            t03.BCE_CHECK,
            [
                t03.HEAD,
                "def bce(p, y):\n    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()",
            ],
        ),
        "XorMLP (03)": (
            t03.XOR_CHECK,
            t03.xor_mlp(t03.LINEAR, "return self.output(torch.tanh(self.hidden(x)))"),
        ),
        "train (03)": (t03.TRAIN_CHECK, [t03.HEAD, t03.TRAIN_RIGHT]),
        "SpiralNet (04)": (t04.SPIRAL_CHECK, t04.spiral_net(t04.LOOP, "return self.layers(x)")),
        "train_early_stopping (04)": (t04.ES_CHECK, [t04.ES_HEAD, t04.ES]),
        "SmallCNN (05)": (t05.CNN_CHECK, [t05.HEAD, t05.SMALL_CNN]),
        "frozen_features (06)": (t06.CHECK, [t06.HEAD, t06.RIGHT]),
        "reparameterise (07)": (
            t07.REPARAMETERISE_CHECK,
            [
                t07.HEAD,
                "def reparameterise(mu, logvar, eps):\n"
                "    return mu + torch.exp(0.5 * logvar) * eps",
            ],
        ),
        "vae_loss (07)": (t07.VAE_CHECK, [t07.HEAD, t07.VAE]),
        "lstm_step (08)": (t08.LSTM_CHECK, [t08.HEAD, t08.LSTM]),
        "causal_attention_weights (08)": (t08.CAUSAL_CHECK, [t08.HEAD, t08.CAUSAL]),
    }


def _seconds(run, check: str, cells: list[str]) -> tuple[float, float]:
    """The first run's seconds (imports, references computed once per session) and the median of the next."""
    start = time.perf_counter()
    run(check, cells)
    first = time.perf_counter() - start
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        state, _ = run(check, cells)
        times.append(time.perf_counter() - start)
        if state != "pass":
            raise RuntimeError(f"the bench's right answer should pass: {check}")
    return first, statistics.median(times)


def run() -> list[dict]:
    answers = _answers()  # puts tests/ on the path
    from both_ways import graded, notebook

    load = f"median of {RUNS}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start"
    rows = []
    for name, (check, cells) in answers.items():
        for mode, runner in (("notebook", notebook), ("grader, no sandbox", graded)):
            first, again = _seconds(runner, check, cells)
            rows.append(
                {
                    "benchmark": "checks",
                    "metric": f"{name}, {mode}",
                    "value": again,
                    "unit": "s",
                    "note": f"{load}; first run {first:.2f} s",
                }
            )
    return rows
