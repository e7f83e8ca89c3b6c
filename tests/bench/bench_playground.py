"""The spiral playground: redraws per second, and its TF-Playground-style test loss.

Redraws: one frame = network output on the 50×50 grid, blitted curves, PNG for the widget.
Loss: the default settings (features x1, x2; hidden layers 4 and 2; tanh; learning rate 0.03;
batch 10; 50 % train; noise 0; trained like the web version), after EPOCHS epochs, mean over SEEDS.
"""

from __future__ import annotations

import statistics
import time

from course_utils.playground import Playground

FRAMES = 50
EPOCHS = 300
SEEDS = range(5)


def per_second(action, repeats: int) -> float:
    action()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        action()
    return repeats / (time.perf_counter() - start)


def run() -> list[dict]:
    pg = Playground(seed=0)
    redraws = per_second(pg.redraw, FRAMES)
    frames = per_second(pg.step, FRAMES)
    losses = []
    for seed in SEEDS:
        pg = Playground(seed=seed)
        pg.step(EPOCHS, redraw=False)
        losses.append(pg.state()["test TF"])
    note = f"defaults, {EPOCHS} epochs, seeds {list(SEEDS)}: " + ", ".join(f"{v:.3f}" for v in losses)
    return [
        {"benchmark": "playground", "metric": "redraws per second", "value": redraws, "unit": "1/s",
         "note": f"redraw() only, {FRAMES} frames"},
        {"benchmark": "playground", "metric": "Play frames per second", "value": frames, "unit": "1/s",
         "note": "step(): one epoch of training plus a redraw"},
        {"benchmark": "playground", "metric": "TF-style test loss", "value": statistics.mean(losses), "unit": "",
         "note": note + f" (sd {statistics.stdev(losses):.3f})"},
    ]
