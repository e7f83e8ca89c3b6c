"""A submission as a file: whose it is and which notebook it answers (by its path), its bytes read safely.

Every ``*.ipynb`` under the submissions folder is one (``_submissions``; links listed, never followed),
named by the documented pattern (``parse_name``): ``STUDENT_NN.ipynb``, ``STUDENT_NN_anything.ipynb`` or
``STUDENT/NN_anything.ipynb``. A file is read as data (``_read_bytes``): a link or anything but a regular
file is refused unread, a file over ``MAX_NOTEBOOK_MB`` or not a valid notebook is ``invalid``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import nbformat

from course_tools.grading.result import Result

__all__ = ["MAX_NOTEBOOK_MB", "name_conflict", "parse_name"]


MAX_NOTEBOOK_MB = 20  # a larger submission is refused unread
#: The student's id in a file or folder name: no "_", which separates it from the notebook number.
_STUDENT = r"[A-Za-z0-9][A-Za-z0-9.@+\-]*"
_FILE_NAME = re.compile(rf"^(?P<student>{_STUDENT})_(?P<number>\d\d)(?:_[^/]*)?\.ipynb$")
_IN_FOLDER = re.compile(r"^(?P<number>\d\d)(?:_[^/]*)?\.ipynb$")


def parse_name(relative: str) -> tuple[str, str] | None:
    """The (student, notebook number) a submission's path names, by the documented pattern only; a
    student's folder wins over a student named in the file name (``name_conflict`` says so).

    Example:
        >>> parse_name("alice_02_linear_regression.ipynb"), parse_name("bob/07_generative.ipynb")
        (('alice', '02'), ('bob', '07'))
        >>> parse_name("notes_2024_v2.ipynb") is None, parse_name("03_x_02_y.ipynb") is None
        (True, True)
    """
    parts = relative.replace(os.sep, "/").split("/")
    folder = parts[-2] if len(parts) >= 2 and re.fullmatch(_STUDENT, parts[-2]) else None
    match = _FILE_NAME.match(parts[-1]) or (_IN_FOLDER.match(parts[-1]) if folder else None)
    if match is None:
        return None
    return folder or match["student"], match["number"]


def name_conflict(relative: str) -> str:
    """What a submission's folder and file name say that disagrees ("" if nothing): the folder wins.

    Example:
        >>> name_conflict("bob/alice_02.ipynb")
        "the file is named for alice but lies in bob's folder: graded as bob's"
        >>> name_conflict("bob/bob_02.ipynb"), name_conflict("bob/02_x.ipynb")
        ('', '')
    """
    parts = relative.replace(os.sep, "/").split("/")
    match = _FILE_NAME.match(parts[-1])
    named = parse_name(relative)
    if match and named and match["student"] != named[0]:
        return f"the file is named for {match['student']} but lies in {named[0]}'s folder: graded as {named[0]}'s"
    return ""


def _submissions(root: Path) -> list[tuple[Path, bool]]:
    """Every ``*.ipynb`` under ``root`` (links are listed, never followed), and whether it is a link."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in sorted(files):
            if name.endswith(".ipynb"):
                path = Path(folder) / name
                found.append((path, path.is_symlink()))
        for name in dirs:
            if (Path(folder) / name).is_symlink():
                found.append((Path(folder) / name, True))
    return sorted(found, key=lambda item: item[0].relative_to(root).as_posix())


def _read_bytes(path: Path) -> bytes:
    """The submission's bytes: never through a link, never from anything but a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("not a regular file")
        if info.st_size > MAX_NOTEBOOK_MB * 2**20:
            raise _Invalid(f"the file is larger than {MAX_NOTEBOOK_MB} MB: not opened")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_NOTEBOOK_MB * 2**20:
                raise _Invalid(f"the file is larger than {MAX_NOTEBOOK_MB} MB: not opened")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class _Refused(Exception):
    pass


class _Invalid(Exception):
    pass


def _read_submission(data: bytes, result: Result) -> nbformat.NotebookNode | None:
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
        return nb
    except Exception as err:  # noqa: BLE001 - every unreadable file is reported, not raised
        first = str(err).splitlines()[0][:200] if str(err).strip() else type(err).__name__
        result.status, result.detail = "invalid", f"not a valid notebook: {first}"
        return None
    except RecursionError:
        result.status, result.detail = "invalid", "not a valid notebook: nested too deeply"
        return None
