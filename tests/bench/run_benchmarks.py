"""`make bench`: run every benchmark, write build/bench/report.json and a markdown table.

A benchmark is a module ``tests/bench/bench_*.py`` with a function ``run() -> list[dict]``;
each dict is one row: ``{"benchmark": ..., "metric": ..., "value": float, "unit": ...}``
plus optional ``"note"``. Benchmarks measure; they never assert (see README).
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "build" / "bench"


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(selected: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        if selected and path.stem not in selected:
            continue
        print(f"== {path.stem}", flush=True)
        start = time.perf_counter()
        for row in load(path).run():
            rows.append(row)
            print(f"   {row['metric']}: {row['value']:.4g} {row['unit']}", flush=True)
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    report = {
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cpu_threads": torch.get_num_threads(),
            "platform": platform.platform(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "rows": rows,
    }
    (OUT / "report.json").write_text(json.dumps(report, indent=2))
    lines = ["| benchmark | metric | value | unit | note |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['benchmark']} | {r['metric']} | {r['value']:.4g} | {r['unit']} | {r.get('note', '')} |"
        for r in rows
    ]
    (OUT / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {OUT / 'report.json'} and {OUT / 'report.md'}")


if __name__ == "__main__":
    main(sys.argv[1:])
