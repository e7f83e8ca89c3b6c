"""`make gpu-check` (scripts/gpu_check.py): where there is no GPU it still runs and says what it skipped;
on a GPU it runs the notebooks as `make test` does, with COURSE_DEVICE=cuda (issue 20)."""

import json
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import gpu_check  # noqa: E402


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    """The whole check, as on a machine without a GPU, with one quick unit-test file instead of all."""
    out = tmp_path_factory.mktemp("gpu-check")
    quick = "tests/project/test_gpu_check.py::test_the_device_tests_it_names_exist"  # no torch: seconds, not minutes
    status = gpu_check.main(["--no-gpu", "--out", str(out), "--tests", quick])
    return status, out


def test_without_a_gpu_it_runs_passes_and_says_which_gpu_parts_it_skipped(cpu_run, capsys):
    status, out = cpu_run
    report = (out / "report.md").read_text(encoding="utf-8")
    assert status == 0, report
    assert (
        "**Result: PASSED ON THE CPU ONLY: no CUDA GPU here, so these GPU parts were SKIPPED: "
        in report
    )
    for skipped in (
        "every notebook under nbval, COURSE_DEVICE=cuda",
        "the bench's GPU measurements",
        "the CUDA-only unit tests",
    ):
        assert skipped in report.split("**Result:")[1].split("\n")[0], skipped
    rows = {
        line.split(" | ")[0].lstrip("| "): line
        for line in report.splitlines()
        if line.startswith("| ")
    }
    assert (
        " | passed | " in rows["device unit tests (on the CPU)"]
        and " passed" in rows["device unit tests (on the CPU)"]
    )
    assert " | SKIPPED | " in next(
        v for k, v in rows.items() if k.startswith("every notebook under nbval")
    )
    bench = json.loads((out / "bench.json").read_text())
    assert bench and all(row["note"].startswith("SKIPPED: no CUDA GPU") for row in bench)
    assert "| tiny MLP step: GPU time ÷ CPU time | — |" in report, (
        "the bench's note rows are in the report"
    )
    parts = json.loads((out / "report.json").read_text())["parts"]
    assert [p["result"] for p in parts] == ["passed", "SKIPPED", "passed"]


def test_require_gpu_fails_where_there_is_none(tmp_path, monkeypatch):
    monkeypatch.setattr(
        gpu_check, "run_part", lambda part, limit: gpu_check.Result(part, "SKIPPED", summary="x")
    )
    assert gpu_check.main(["--no-gpu", "--require-gpu", "--out", str(tmp_path)]) == 1


def test_on_a_gpu_the_notebooks_run_like_make_test_with_cuda(tmp_path):
    unit, notebooks, bench = gpu_check.plan(True, tmp_path, workers=4)
    assert not (unit.skip or notebooks.skip or bench.skip)
    assert (
        unit.env["COURSE_DEVICE"] == "cuda" and "tests/course_utils/test_training.py" in unit.argv
    )
    command = shlex.join(notebooks.argv)
    makefile = (ROOT / "Makefile").read_text()
    nbval = makefile.split("NBVAL  := ", 1)[1].splitlines()[0] if "NBVAL  := " in makefile else None
    assert nbval and nbval in command, "the same nbval flags as make test"
    assert "-n 4 --dist loadfile" in command and notebooks.env["COURSE_DEVICE"] == "cuda"
    assert all(str(p) in notebooks.argv for p in sorted((ROOT / "notebooks").glob("*.ipynb")))
    assert str(ROOT) in notebooks.env["PYTHONPATH"].split(":"), (
        "kernels import course_utils without an install"
    )
    assert bench.argv[1].endswith("tests/bench/bench_gpu.py")
    assert sum(gpu_check.LIMITS.values()) <= 300, "at most 5 minutes on one GPU"


def test_without_a_gpu_the_notebooks_are_skipped_not_run(tmp_path):
    _, notebooks, _ = gpu_check.plan(False, tmp_path)
    assert notebooks.skip.startswith("no CUDA GPU here")


def test_a_missing_package_is_a_failure_that_says_how_to_bring_it(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_check, "missing", lambda names: ["nbval"] if "nbval" in names else [])
    _, notebooks, _ = gpu_check.plan(True, tmp_path)
    result = gpu_check.run_part(notebooks, 10)
    assert (
        result.status == "NOT RUN"
        and "nbval not installed" in result.summary
        and "wheels" in result.summary
    )


def test_a_failing_part_fails_the_check_and_its_output_is_in_the_report(tmp_path):
    part = gpu_check.Part(
        "unit", "device unit tests", [sys.executable, "-c", "print('boom'); raise SystemExit(3)"]
    )
    result = gpu_check.run_part(part, 60)
    assert result.status == "FAILED" and "boom" in result.output
    report = gpu_check.report([result], True, "a GPU", tmp_path, "now", 1.0)
    assert (
        "**Result: FAILED: device unit tests" in report
        and "boom" in report.split("## Output of")[1]
    )


def test_a_part_over_its_limit_is_stopped(tmp_path):
    part = gpu_check.Part(
        "unit",
        "slow",
        [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"],
    )
    result = gpu_check.run_part(part, 2)
    assert (
        result.status == "TIMED OUT"
        and "limit of 2 s" in result.summary
        and "started" in result.output
    )


def test_the_device_tests_it_names_exist():
    assert all((ROOT / name).is_file() for name in gpu_check.DEVICE_TESTS)
    assert gpu_check.nbval_flags()[0] == "--nbval-lax"
