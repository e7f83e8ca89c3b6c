"""Notebook 01, section 8: matrix-product times, one CPU thread (and the GPU when there is one).

The notebook says: for large n the time grows like the 2n^3 operations (x 8 per doubling of n),
for small n it is nearly flat (the fixed cost of a call); a GPU is no faster for tiny products
and far faster for large ones. Timings depend on the machine and its load: read them as shapes,
and say "under load" when the machine was shared.
"""

from __future__ import annotations

import torch
from report_rows import row

from course_utils.timing import median_time

SIZES = [16, 32, 64, 128, 256, 512, 1024]


def matmul_time(a: torch.Tensor, b: torch.Tensor) -> float:
    """The median time of ``a @ b`` over 9 runs, on the device that holds them."""
    return median_time(lambda: a @ b, device=a.device, repeats=9)


def run() -> list[dict]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cpu = []
        for n in SIZES:
            a, b = torch.rand(n, n), torch.rand(n, n)
            cpu.append(matmul_time(a, b))
    finally:
        torch.set_num_threads(threads)
    rows = [
        row("nb01_timing", f"CPU 1 thread, n = {n}", 1e6 * t, "µs", "median of 9")
        for n, t in zip(SIZES, cpu)
    ]
    rows.append(
        row("nb01_timing", "CPU time factor n 512 -> 1024 (operations x 8)", cpu[-1] / cpu[-2], "x")
    )
    rows.append(
        row("nb01_timing", "CPU time factor n 16 -> 32 (operations x 8)", cpu[1] / cpu[0], "x")
    )
    if torch.cuda.is_available():
        device = torch.device("cuda")
        for n, t_cpu in zip(SIZES, cpu):
            a, b = torch.rand(n, n, device=device), torch.rand(n, n, device=device)
            t = matmul_time(a, b)
            rows.append(
                row(
                    "nb01_timing",
                    f"GPU, n = {n}",
                    1e6 * t,
                    "µs",
                    f"CPU (1 thread) / GPU = {t_cpu / t:.1f}",
                )
            )
    else:
        rows.append(
            row(
                "nb01_timing", "GPU rows", float("nan"), note="skipped: no CUDA GPU on this machine"
            )
        )
    return rows


if __name__ == "__main__":
    for r in run():
        print(f"{r['metric']}: {r['value']:.4g} {r['unit']}  {r['note']}")
