"""Timing a piece of PyTorch or NumPy code fairly: warm-up, GPU synchronisation, median."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["median_time"]


def median_time(fn: Callable[[], Any], *, device: torch.device | str = "cpu",
                repeats: int = 5, warmup: int = 1) -> float:
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
        raise TypeError(f"fn must be a function taking no arguments, got {type(fn).__name__}; "
                        "wrap your call in a lambda: median_time(lambda: a @ b)")
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
