"""Notebook 01, section 8: matrix-product times, one CPU thread (and the GPU when there is one).

The notebook says: for large n the time grows like the 2n^3 operations (x 8 per doubling of n),
for small n it is nearly flat (the fixed cost of a call); a GPU is no faster for tiny products
and far faster for large ones. Timings depend on the machine and its load: read them as shapes,
and say "under load" when the machine was shared.
"""

from __future__ import annotations

import torch

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
        {
            "benchmark": "nb01_timing",
            "metric": f"CPU 1 thread, n = {n}",
            "value": 1e6 * t,
            "unit": "µs",
            "note": "median of 9",
        }
        for n, t in zip(SIZES, cpu)
    ]
    rows.append(
        {
            "benchmark": "nb01_timing",
            "metric": "CPU time factor n 512 -> 1024 (operations x 8)",
            "value": cpu[-1] / cpu[-2],
            "unit": "x",
            "note": "",
        }
    )
    rows.append(
        {
            "benchmark": "nb01_timing",
            "metric": "CPU time factor n 16 -> 32 (operations x 8)",
            "value": cpu[1] / cpu[0],
            "unit": "x",
            "note": "",
        }
    )
    if torch.cuda.is_available():
        device = torch.device("cuda")
        for n, t_cpu in zip(SIZES, cpu):
            a, b = torch.rand(n, n, device=device), torch.rand(n, n, device=device)
            t = matmul_time(a, b)
            rows.append(
                {
                    "benchmark": "nb01_timing",
                    "metric": f"GPU, n = {n}",
                    "value": 1e6 * t,
                    "unit": "µs",
                    "note": f"CPU (1 thread) / GPU = {t_cpu / t:.1f}",
                }
            )
    else:
        rows.append(
            {
                "benchmark": "nb01_timing",
                "metric": "GPU rows",
                "value": float("nan"),
                "unit": "",
                "note": "skipped: no CUDA GPU on this machine",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']}: {row['value']:.4g} {row['unit']}  {row['note']}")
