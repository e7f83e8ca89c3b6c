"""`make gpu-check`: the course on a CUDA GPU, in one command and about 5 minutes (issue 20).

Three parts, one after the other (so that the timings of the last are not shared with the others):

1. **device unit tests**: the tests and docstring examples of the code that depends on the device
   (``DEVICE_TESTS``: device choice, timing, the training loop, decision plots, the pretrained
   network, checkpoints, the device exercises), with ``COURSE_DEVICE=cuda``; their CUDA-only tests
   run only where there is a GPU;
2. **notebooks on CUDA**: every notebook under nbval with ``COURSE_DEVICE=cuda``, with the flags
   of ``make test`` (read from the Makefile's ``NBVAL``), all notebooks at once;
3. **GPU bench rows**: ``tests/bench/bench_gpu.py`` (fit vs a bare loop, mixed precision,
   channels_last, pinned memory, cuDNN's benchmark, per course model; the tiny MLP's step on the
   CPU and the GPU).

It writes ``build/gpu-check/report.md`` (and ``report.json``, ``bench.json``) and exits 0 when every
part that ran passed. Where there is no CUDA GPU (or with ``--no-gpu``) it still runs: part 1 on
the CPU, part 3 reduced to its note rows, part 2 skipped, and the report and the last line say
which GPU parts were skipped; ``--require-gpu`` makes that an error. CI runs that path
(``tests/project/test_gpu_check.py``). README, "GPU", says how to run it on a lent machine.

    python scripts/gpu_check.py [--out DIR] [--require-gpu] [--no-gpu] [--workers N]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVICE_TESTS = [
    "tests/course_utils/test_device.py",
    "tests/course_utils/test_timing.py",
    "tests/course_utils/test_training.py",
    "tests/course_utils/test_decision.py",
    "tests/course_utils/test_pretrained.py",
    "tests/course_utils/test_checkpoint.py",
    "tests/course_utils/exercises/test_exercises_nb00_start_here.py",
    "tests/course_utils/exercises/test_exercises_nb01_tensors.py",
    "course_utils/device.py",
    "course_utils/timing.py",
    "course_utils/training.py",
    "course_utils/decision.py",
    "course_utils/pretrained.py",
    "course_utils/checkpoint.py",
]
#: Seconds each part may take: 5 minutes in all on one GPU (the expected times are well below).
LIMITS = {"unit": 60, "notebooks": 165, "bench": 75}
#: Without a GPU only the unit tests and the bench's note rows run, on a CPU that may be small and busy.
CPU_LIMITS = {"unit": 600, "notebooks": 0, "bench": 120}
#: What each part imports besides torch (a lent machine may lack them: README, "GPU").
NEEDS = {
    "unit": ["pytest"],
    "notebooks": ["pytest", "xdist", "nbval", "ipykernel", "ipywidgets", "nbformat"],
    "bench": [],
}


@dataclass
class Part:
    key: str
    title: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    skip: str = ""  # why it need not run here, e.g. no GPU ("" = it runs)
    blocked: str = ""  # why it cannot run although it should (a missing package): a failure


@dataclass
class Result:
    part: Part
    status: str  # "passed", "FAILED", "TIMED OUT", "NOT RUN" (blocked), "SKIPPED" (not for this machine)
    seconds: float = 0.0
    summary: str = ""
    output: str = ""


def nbval_flags(makefile: Path = ROOT / "Makefile") -> list[str]:
    """The nbval flags of ``make test`` (the Makefile's ``NBVAL :=`` line), so both run notebooks alike."""
    match = re.search(r"^NBVAL\s*:=\s*(.+)$", makefile.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(
            f"no 'NBVAL := ...' line in {makefile}: gpu_check runs the notebooks with make test's flags"
        )
    return shlex.split(match.group(1))


def cuda_here(hide: bool = False) -> tuple[bool, str]:
    """Whether torch sees a CUDA GPU here (never with ``hide``), and a line describing the machine."""
    import torch

    line = (
        f"Python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} CPU cores, "
        f"{platform.platform()}"
    )
    if hide:
        return False, f"no CUDA GPU (hidden by --no-gpu); {line}"
    if not torch.cuda.is_available():
        return False, f"no CUDA GPU (torch.cuda.is_available() is False); {line}"
    props = torch.cuda.get_device_properties(0)
    return True, (
        f"{props.name} ({props.total_memory / 2**30:.0f} GiB, {torch.cuda.device_count()} GPU(s)), "
        f"CUDA {torch.version.cuda}; {line}"
    )


def missing(modules: list[str]) -> list[str]:
    return [name for name in modules if importlib.util.find_spec(name) is None]


def plan(
    cuda: bool,
    out: Path,
    *,
    tests: list[str] | None = None,
    workers: int | None = None,
    notebooks: list[Path] | None = None,
    hide_gpu: bool = False,
) -> list[Part]:
    """The three parts for a machine with (``cuda``) or without a GPU; nothing runs yet."""
    python = sys.executable
    base = {
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    }
    if hide_gpu:
        base["CUDA_VISIBLE_DEVICES"] = ""
    notebooks = notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    workers = workers or max(1, min(len(notebooks), os.cpu_count() or 1))
    unit = Part(
        "unit",
        "device unit tests" + (" (COURSE_DEVICE=cuda)" if cuda else " (on the CPU)"),
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--doctest-modules",
            *(tests or DEVICE_TESTS),
        ],
        base | ({"COURSE_DEVICE": "cuda"} if cuda else {}),
    )
    nbs = Part(
        "notebooks",
        f"every notebook under nbval, COURSE_DEVICE=cuda ({len(notebooks)} notebooks)",
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            str(workers),
            "--dist",
            "loadfile",
            *[str(p) for p in notebooks],
            *nbval_flags(),
        ],
        base
        | {
            "COURSE_DEVICE": "cuda",
            "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // workers)),
        },
    )
    if not cuda:
        nbs.skip = "no CUDA GPU here (make test runs every notebook on the CPU)"
    bench = Part(
        "bench",
        "GPU bench rows (tests/bench/bench_gpu.py)" + ("" if cuda else ": note rows only"),
        [python, str(ROOT / "tests" / "bench" / "bench_gpu.py"), "--json", str(out / "bench.json")],
        base,
    )
    for part in (unit, nbs, bench):
        lacking = missing(NEEDS[part.key])
        if lacking and not part.skip:
            part.blocked = (
                f"{', '.join(lacking)} not installed (on a GPU machine without them, carry them as "
                "wheels: README, 'GPU')"
            )
    return [unit, nbs, bench]


def pytest_summary(output: str) -> str:
    """The counts of pytest's last line ("78 passed, 3 skipped"), or the last line."""
    lines = [line.strip("= ").strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if (
            re.search(r"\d+ (passed|failed|error|errors|skipped|deselected)\b", line)
            or "no tests ran" in line
        ):
            return re.sub(r" in [\d.]+s.*$", "", line)
    return lines[-1][:200] if lines else "(no output)"


def run_part(part: Part, limit: float) -> Result:
    """Run one part in its own process group (so a time-out stops its workers and kernels too)."""
    if part.skip:
        return Result(part, "SKIPPED", summary=part.skip)
    if part.blocked:
        return Result(part, "NOT RUN", summary=part.blocked)
    start = time.perf_counter()
    print(f"== {part.title}: {shlex.join(part.argv[1:])}", flush=True)
    proc = subprocess.Popen(
        part.argv,
        cwd=ROOT,
        env=os.environ | part.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return Result(
            part,
            "TIMED OUT",
            time.perf_counter() - start,
            f"stopped after its limit of {limit:.0f} s: {pytest_summary(output)}",
            output,
        )
    seconds = time.perf_counter() - start
    summary = pytest_summary(output) if part.key != "bench" else f"exit status {proc.returncode}"
    return Result(part, "passed" if proc.returncode == 0 else "FAILED", seconds, summary, output)


def bench_table(path: Path) -> tuple[list[str], int]:
    """Markdown lines of the bench rows, and how many rows were measured (not skipped)."""
    if not path.is_file():
        return ["(no bench rows: the bench part did not finish)"], 0
    rows = json.loads(path.read_text())
    lines = ["| metric | value | unit | note |", "|---|---|---|---|"]
    lines += [
        f"| {r['metric']} | {'—' if math.isnan(r['value']) else format(r['value'], '.4g')} | {r['unit']} | "
        f"{r.get('note', '')} |"
        for r in rows
    ]
    return lines, sum(not math.isnan(r["value"]) for r in rows)


def report(
    results: list[Result], cuda: bool, machine: str, out: Path, started: str, seconds: float
) -> str:
    failed = [r for r in results if r.status not in ("passed", "SKIPPED")]
    gpu_skipped = [r.part.title for r in results if r.status == "SKIPPED"]
    bench_lines, measured = bench_table(out / "bench.json")
    if failed:
        verdict = "FAILED: " + "; ".join(
            f"{r.part.title} ({r.status.lower()}: {r.summary})" for r in failed
        )
    elif not cuda:
        verdict = (
            "PASSED ON THE CPU ONLY: no CUDA GPU here, so these GPU parts were SKIPPED: "
            + "; ".join(
                gpu_skipped
                + ["the bench's GPU measurements (note rows only)", "the CUDA-only unit tests"]
            )
        )
    else:
        verdict = f"PASSED on the GPU ({measured} bench rows measured)"
    lines = [
        "# GPU check (`make gpu-check`, scripts/gpu_check.py)",
        "",
        f"- **Result: {verdict}**",
        f"- Machine: {machine}",
        f"- Started {started}, took {seconds:.0f} s (limits: "
        + ", ".join(f"{k} {v} s" for k, v in (LIMITS if cuda else CPU_LIMITS).items() if v)
        + ")",
        "",
        "| part | result | seconds | details |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r.part.title} | {r.status} | {r.seconds:.0f} | {r.summary} |" for r in results]
    lines += ["", "## GPU bench rows (tests/bench/bench_gpu.py)", "", *bench_lines]
    for r in failed:
        tail = "\n".join(r.output.splitlines()[-60:])
        lines += ["", f"## Output of '{r.part.title}' (last 60 lines)", "", "```", tail, "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out",
        default=str(ROOT / "build" / "gpu-check"),
        help="report folder (default: build/gpu-check)",
    )
    parser.add_argument(
        "--require-gpu", action="store_true", help="fail (exit 1) where there is no CUDA GPU"
    )
    parser.add_argument(
        "--no-gpu",
        action="store_true",
        help="behave as on a machine without a GPU (CUDA_VISIBLE_DEVICES= for every part)",
    )
    parser.add_argument(
        "--workers", type=int, help="notebooks run at once (default: all, up to the CPU cores)"
    )
    parser.add_argument(
        "--tests", nargs="+", help=f"the device unit tests (default: {' '.join(DEVICE_TESTS)})"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").unlink(missing_ok=True)
    started, start = datetime.datetime.now().isoformat(timespec="seconds"), time.perf_counter()
    cuda, machine = cuda_here(hide=args.no_gpu)
    print(f"GPU check on: {machine}", flush=True)
    parts = plan(cuda, out, tests=args.tests, workers=args.workers, hide_gpu=args.no_gpu)
    results = []
    for part in parts:
        result = run_part(part, (LIMITS if cuda else CPU_LIMITS)[part.key])
        print(f"   {result.status}: {result.summary} ({result.seconds:.0f} s)", flush=True)
        results.append(result)
    text = report(results, cuda, machine, out, started, time.perf_counter() - start)
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "report.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "cuda": cuda,
                "started": started,
                "parts": [
                    {
                        "part": r.part.title,
                        "result": r.status,
                        "seconds": round(r.seconds, 1),
                        "details": r.summary,
                    }
                    for r in results
                ],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    verdict = text.split("**Result: ", 1)[1].split("**", 1)[0]
    print(f"\n{verdict}\nreport: {out / 'report.md'}")
    failed = any(r.status not in ("passed", "SKIPPED") for r in results)
    if args.require_gpu and not cuda:
        print("--require-gpu: this machine has no CUDA GPU", file=sys.stderr)
    return 1 if failed or (args.require_gpu and not cuda) else 0


if __name__ == "__main__":
    sys.exit(main())
