"""Timing a piece of PyTorch or NumPy code fairly: warm-up, GPU synchronisation, median.

``median_time`` times one function; ``compare_devices`` times the same training step on every
device this machine has, and ``pick_faster_device`` prints those times (in ms) and returns the
faster device, so a notebook trains its own model where it runs faster (a GPU is slower than the
CPU for the course's tiny MLPs: every step pays a fixed launch cost).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

__all__ = ["compare_devices", "median_time", "pick_faster_device"]


def median_time(
    fn: Callable[[], Any], *, device: torch.device | str = "cpu", repeats: int = 5, warmup: int = 1
) -> float:
    """Median wall-clock time of ``fn()`` in seconds.

    ``warmup`` calls run first and are not timed (they pay for one-off costs such as
    loading GPU kernels). On a CUDA ``device`` the clock is read only after
    ``torch.cuda.synchronize``, because GPU work runs asynchronously: without it you
    time only the launch, not the computation. The median of ``repeats`` runs ignores
    the odd slow run caused by other programs.

    Example:
        >>> seconds = median_time(lambda: sum(range(1000)), repeats=3)
        >>> seconds > 0
        True
    """
    if not callable(fn):
        raise TypeError(
            f"fn must be a function taking no arguments, got {type(fn).__name__}; "
            "wrap your call in a lambda: median_time(lambda: a @ b)"
        )
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    on_cuda = torch.device(device).type == "cuda"

    def sync() -> None:
        if on_cuda:
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare_devices(
    make_step: Callable[[torch.device], Callable[[], Any]],
    devices: Sequence[torch.device | str] | None = None,
    *,
    repeats: int = 5,
    warmup: int = 2,
) -> dict[str, float]:
    """Median seconds of one step on each device: ``{"cpu": 0.0012, "cuda": 0.0031}``.

    ``make_step(device)`` builds what the step needs on that device (model, optimiser, data)
    and returns a function of no arguments that runs one step; each device is timed with
    ``median_time``. ``devices`` defaults to every device here (``available_devices``, one
    GPU of each kind), so on a machine without a GPU the answer has only ``"cpu"``. Pick the
    faster device with ``min(times, key=times.get)``.

    Example:
        >>> def make_step(device):
        ...     x = torch.ones(64, 64, device=device)
        ...     return lambda: x @ x
        >>> times = compare_devices(make_step, ["cpu"], repeats=3)
        >>> list(times), times["cpu"] > 0
        (['cpu'], True)
    """
    from course_utils.device import available_devices

    if not callable(make_step):
        raise TypeError(
            f"make_step must be a function that takes a device and returns a step function, "
            f"got {type(make_step).__name__}"
        )
    if devices is None:
        devices = list(dict.fromkeys(name.split(":")[0] for name in available_devices()))
    if not devices:
        raise ValueError("devices is empty: pass at least one, e.g. ['cpu']")
    times = {}
    for device in devices:
        device = torch.device(device)
        step = make_step(device)
        if not callable(step):
            raise TypeError(
                f"make_step({str(device)!r}) returned {type(step).__name__}, not a function to call: "
                "return the step itself, e.g. `return lambda: train_one_step(model, X, y)`"
            )
        times[str(device)] = median_time(step, device=device, repeats=repeats, warmup=warmup)
    return times


def pick_faster_device(
    make_step: Callable[[torch.device], Callable[[], Any]],
    devices: Sequence[torch.device | str] | None = None,
) -> torch.device:
    """Time one step on each device, print the times in ms, and return the faster device.

    The CPU is timed with all of PyTorch's threads and, when it has several, once more on one
    thread: for a tiny model the threads wait for each other longer than they compute (on a busy
    2-core machine, notebook 08's LSTM step took 19 ms on 2 threads and 9 ms on 1). If one thread wins,
    ``torch.set_num_threads(1)`` is called, and the printed line says so.

    Example:
        >>> def make_step(device):
        ...     x = torch.ones(64, 64, device=device)
        ...     return lambda: x @ x
        >>> pick_faster_device(make_step, ["cpu"])  # doctest: +ELLIPSIS
        one training step: cpu ... ms -> training on cpu...
        device(type='cpu')
    """
    times = compare_devices(make_step, devices)
    threads = torch.get_num_threads()
    if "cpu" in times and threads > 1:
        times[f"cpu ({threads} threads)"] = times.pop("cpu")
        torch.set_num_threads(1)
        try:
            times["cpu (1 thread)"] = median_time(
                make_step(torch.device("cpu")), repeats=5, warmup=2
            )
        finally:
            torch.set_num_threads(threads)
    faster = min(times, key=times.get)
    if faster == "cpu (1 thread)":
        torch.set_num_threads(1)
    print(
        "one training step:",
        ", ".join(f"{name} {seconds * 1e3:.2f} ms" for name, seconds in times.items()),
        "-> training on",
        faster,
    )
    return torch.device(faster.split()[0])
