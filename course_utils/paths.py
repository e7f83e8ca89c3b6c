"""Where the course keeps downloaded data, caches and saved models."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["ENV_VAR", "REPO_ROOT", "atomic_write", "data_dir"]

ENV_VAR = "COURSE_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The folder for downloads, caches and checkpoints, created if missing.

    ``$COURSE_DATA_DIR`` if set; else the repository's ``data/`` folder when the
    course runs from a checkout; else ``~/.cache/pytorch-course`` (an installed package,
    e.g. on Colab). The answer never depends on the notebook's working directory.

    Example:
        >>> data_dir().is_dir()
        True
    """
    if os.environ.get(ENV_VAR):
        path = Path(os.environ[ENV_VAR]).expanduser()
    elif (REPO_ROOT / "data").is_dir() and (REPO_ROOT / "pyproject.toml").is_file():
        path = REPO_ROOT / "data"
    else:
        path = Path.home() / ".cache" / "pytorch-course"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(
            f"Cannot create the course's data folder {path}: {err.strerror}. "
            f"Point {ENV_VAR} at a folder you can write to."
        ) from err
    return path


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Let ``write`` fill a temporary file beside ``path``, then rename it into place.

    A crash or Ctrl-C halfway leaves the old file (or none), never a half-written one.

    Example:
        >>> target = Path(tempfile.mkdtemp()) / "hello.txt"
        >>> atomic_write(target, lambda tmp: Path(tmp).write_text("hi"))
        >>> target.read_text()
        'hi'
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
