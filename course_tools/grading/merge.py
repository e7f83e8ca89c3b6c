"""The shards of one run combined into one set of reports (``course grade --merge``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from course_tools.grading.reports import write_reports
from course_tools.grading.result import Result
from course_tools.notebook_tools import build_dir

__all__ = ["MergeRefused", "merge"]


class MergeRefused(ValueError):
    """The report folders given to ``merge`` are not the shards of one run, or would replace another run's reports."""


def merge(
    report_dirs: list[str | Path],
    out_dir: str | Path | None = None,
    replace: bool = False,
    gradebook: str = "plain",
) -> list[Result]:
    """Combine the ``results.json`` of one run's shards (``course grade --shard K/N``) into one set of reports.

    Every shard names its run (the submissions' paths and contents, the course's checks, the number of
    shards): shards of different runs, a shard twice or a missing one are refused (``MergeRefused``) with
    what each folder holds. ``out_dir``'s reports of another run are kept unless ``replace``.

    Example:
        >>> merge(["build/grades/shard-1-of-2", "build/grades/shard-2-of-2"], "build/grades")  # doctest: +SKIP
        [Result(submission='alice_00.ipynb', ...), ...]
    """
    shards: list[tuple[Path, dict[str, Any]]] = []
    for folder in map(Path, report_dirs):
        path = folder / "results.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: pass the --out folders of the shards' `course grade` runs"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        run = data.get("run") if isinstance(data, dict) else None
        if not (
            isinstance(run, dict)
            and isinstance(run.get("id"), str)
            and isinstance(run.get("shard"), list)
            and len(run["shard"]) == 2
            and all(type(x) is int for x in run["shard"])
        ):
            raise MergeRefused(
                f"{folder} names no run (graded before runs had ids?): grade its shard again"
            )
        shards.append((folder, data))
    runs = {(d["run"]["id"], d["run"]["shard"][1]) for _, d in shards}
    held = "; ".join(
        f"{f}: run {d['run']['id']}, shard {d['run']['shard'][0]} of {d['run']['shard'][1]}"
        for f, d in shards
    )
    if len(runs) != 1:
        raise MergeRefused(
            f"these folders hold shards of {len(runs)} different runs ({held}): pass the folders "
            "of one run, or grade the others again with the same files and the same --shard K/N"
        )
    ((run_id, n),) = runs
    numbers = sorted(d["run"]["shard"][0] for _, d in shards)
    if numbers != list(range(1, n + 1)):
        missing = sorted(set(range(1, n + 1)) - set(numbers))
        twice = sorted({k for k in numbers if numbers.count(k) > 1})
        raise MergeRefused(
            f"run {run_id} has {n} shards, but "
            + ", ".join(
                part
                for part in (
                    f"shard {', '.join(map(str, missing))} is missing" if missing else "",
                    f"shard {', '.join(map(str, twice))} is given twice" if twice else "",
                )
                if part
            )
            + f" ({held})"
        )
    out = Path(out_dir or build_dir("grades"))
    try:
        before = json.loads((out / "results.json").read_text(encoding="utf-8")).get("run") or {}
    except (OSError, ValueError, AttributeError):
        before = None
    if before is not None and before.get("id") != run_id and not replace:
        raise MergeRefused(
            f"{out} holds the reports of another run ({before.get('id') or 'without an id'}): pass "
            "another --out folder, or --replace to overwrite them"
        )
    results = sorted(
        (
            Result.from_dict(entry)
            for _, data in shards
            for entry in data.get("results", [])
            if isinstance(entry, dict)
        ),
        key=lambda r: r.submission,
    )
    isolated = all(data.get("isolated") is True for _, data in shards)
    write_reports(results, out, isolated, {"id": run_id, "shard": [1, 1], "merged": n}, gradebook)
    return results
