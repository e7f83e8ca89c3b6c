"""What a grade depends on and is kept by: a submission whose file and checks are unchanged is not graded again.

A grade is kept by its submission's path and bytes and the course's fingerprint (``_fingerprint``): the
teacher notebook, every file that may change a grade (``deciding_sources``: all of ``course_utils`` and
``course_tools``, this package included, whatever its modules are called) and the limits. A run's id
(``_run_id``) names its submissions, so that ``merge`` takes the shards of one run only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import course_tools
from course_tools.grading.limits import Limits
from course_tools.grading.reports import _plain
from course_tools.grading.result import Result

__all__ = ["deciding_sources"]


def deciding_sources() -> list[Path]:
    """Every file whose change may change a grade: all of ``course_utils`` (the checks and what they use)
    and all of ``course_tools`` (the grader, the sandbox, how check cells are found), their data included.

    Example:
        >>> {"student.py", "runner.py", "checks.py"} <= {p.name for p in deciding_sources()}
        True
    """
    import course_utils

    packages = (Path(course_utils.__file__).parent, Path(course_tools.__file__).parent)
    return sorted(
        p
        for package in packages
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def _fingerprint(teacher: Path, limits: Limits, isolate: bool) -> str:
    """What a grade depends on besides the submission: the teacher notebook, the course's code, the limits."""
    digest = hashlib.sha256(teacher.read_bytes())
    root = Path(course_tools.__file__).parents[1]
    for source in deciding_sources():
        name = source.relative_to(root).as_posix() if source.is_relative_to(root) else source.name
        digest.update(f"{name}\0{hashlib.sha256(source.read_bytes()).hexdigest()}\0".encode())
    digest.update(f"{limits.to_json()} {isolate}".encode())
    return digest.hexdigest()


def _run_id(submissions: list[tuple[str, str]], shards: int) -> str:
    """One run's id, the same in each of its shards: every submission's path and key, and the number of shards.

    Example:
        >>> _run_id([("a_00.ipynb", "k1")], 2) == _run_id([("a_00.ipynb", "k1")], 2) != _run_id([("a_00.ipynb", "k2")], 2)
        True
    """
    digest = hashlib.sha256(f"{shards}".encode())
    for relative, key in sorted(submissions):
        digest.update(f"\0{_plain(relative)}\0{key}".encode())
    return digest.hexdigest()[:16]


def _key(relative: str, data: bytes, fingerprint: str) -> str:
    """What a grade is kept by: whose submission it is (its path), its bytes and the course's fingerprint, so that
    two students' byte-identical files keep a grade each.

    Example:
        >>> _key("alice_00.ipynb", b"{}", "f") != _key("bob_00.ipynb", b"{}", "f")
        True
    """
    name = relative.encode("utf-8", "surrogateescape")
    return hashlib.sha256(
        b"%d:%s%s%s" % (len(name), name, hashlib.sha256(data).digest(), fingerprint.encode())
    ).hexdigest()


def _previous(out: Path) -> dict[str, Result]:
    """The results of the last run into ``out``, by key (none if unreadable)."""
    try:
        data = json.loads((out / "results.json").read_text(encoding="utf-8"))
        results = [Result.from_dict(r) for r in data.get("results", []) if isinstance(r, dict)]
    except (OSError, ValueError, AttributeError, TypeError):
        return {}
    return {r.key: r for r in results if r.key}
