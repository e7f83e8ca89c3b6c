"""The playground's speed: frames per second of Play with the network picture, epochs per second.

A Play frame is what the ▶ Play loop does each time: one epoch of training, the readings, the
network picture (every neuron's output on the 50×50 grid), the output over the plane and the
curves, both images encoded for the widgets, then ``frame_delay`` (10 ms) of sleep so Jupyter
can handle clicks. Sending the images to the browser is not counted. Measured for the default
network and for [8, 8] on all seven features; epochs per second are training alone, no drawing.
The load average is noted: on a shared machine the numbers are lower than on a quiet one.
"""

from __future__ import annotations

import asyncio
import os
import time

from course_utils.playground import Playground

FRAMES = 60
FRAME_DELAY = 0.01  # the Playground's default
EPOCHS = 200
SETTINGS = {
    "default network (x1, x2; 4, 2)": {},
    "[8, 8], all 7 features": {
        "hidden": [8, 8],
        "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"],
    },
}


def play_fps(settings: dict) -> tuple[float, float]:
    """Frames per second of the real Play loop (``max_play_epochs`` frames, then it stops), and the
    process's CPU seconds per frame (what a frame costs whatever else the machine runs)."""

    async def scenario() -> tuple[float, float]:
        pg = Playground(seed=0, max_play_epochs=FRAMES, frame_delay=FRAME_DELAY)
        pg.configure(**settings)
        pg.step()  # warm-up
        start, cpu = time.perf_counter(), time.process_time()
        await pg.play()
        return FRAMES / (time.perf_counter() - start), (time.process_time() - cpu) / FRAMES

    return asyncio.run(scenario())


def epochs_per_second(settings: dict) -> float:
    pg = Playground(seed=0)
    pg.configure(**settings)
    pg.step(redraw=False)
    start = time.perf_counter()
    pg.step(EPOCHS, redraw=False)
    return EPOCHS / (time.perf_counter() - start)


def run() -> list[dict]:
    rows = []
    for name, settings in SETTINGS.items():
        load = os.getloadavg()[0]
        fps, cpu = play_fps(settings)
        rows.append(
            {
                "benchmark": "playground",
                "metric": f"Play frames per second, {name}",
                "value": fps,
                "unit": "1/s",
                "note": f"{FRAMES} frames with the network picture; {1000 * cpu:.0f} ms of CPU "
                f"per frame (+ {1000 * FRAME_DELAY:.0f} ms sleep); load average {load:.1f} "
                f"on {os.cpu_count()} cores when it started",
            }
        )
        load = os.getloadavg()[0]
        rows.append(
            {
                "benchmark": "playground",
                "metric": f"epochs per second without drawing, {name}",
                "value": epochs_per_second(settings),
                "unit": "1/s",
                "note": f"{EPOCHS} epochs of 250 points; load average {load:.1f}",
            }
        )
    return rows
