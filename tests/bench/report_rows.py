"""One row of the benchmarks' report, the shape ``run_benchmarks.py`` collects: each bench says only
what its row holds. Not a benchmark itself (``run_benchmarks.py`` runs ``bench_*.py`` only)."""

from __future__ import annotations

import statistics


def row(benchmark: str, metric: str, value: float, unit: str = "", note: str = "") -> dict:
    """One row: ``value`` in ``unit`` ("" for a count, a score or a ratio), ``note`` how it was got.

    Example:
        >>> row("training", "bare loop", 812.5, "images/s")["unit"]
        'images/s'
    """
    return {"benchmark": benchmark, "metric": metric, "value": value, "unit": unit, "note": note}


def median_row(
    benchmark: str, metric: str, values: list[float], unit: str, note: str, digits: int = 0
) -> dict:
    """The median of ``values``, each listed after ``note`` with ``digits`` decimals.

    Example:
        >>> median_row("x", "wall time", [3.2, 1.0, 2.4], "s", "median; ")["note"]
        'median; 3, 1, 2'
    """
    listed = ", ".join(f"{v:.{digits}f}" for v in values)
    return row(benchmark, metric, statistics.median(values), unit, note + listed)
