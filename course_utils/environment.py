"""A readable check of the course's environment, for the first notebook."""

from __future__ import annotations

import importlib
import platform
import sys

__all__ = ["REQUIRED", "environment_report", "print_environment_report"]

# (import name, pip name, smallest version the course needs)
REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("torch", "torch", "2.2"),
    ("torchvision", "torchvision", "0.17"),
    ("numpy", "numpy", "1.24"),
    ("matplotlib", "matplotlib", "3.7"),
    ("ipywidgets", "ipywidgets", "8.0"),
    ("tqdm", "tqdm", "4.64"),
    ("PIL", "pillow", "9.1"),
)


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def environment_report() -> list[tuple[str, str, str]]:
    """One row per component: name, version found, and ``"ok"`` or what to do.

    Example:
        >>> environment_report()[0][0]
        'python'
    """
    py = platform.python_version()
    rows = [
        (
            "python",
            py,
            "ok" if sys.version_info >= (3, 11) else "the course needs Python 3.11 or newer",
        )
    ]
    for module, pip_name, minimum in REQUIRED:
        try:
            found = importlib.import_module(module).__version__
        except ImportError:
            rows.append(
                (
                    module,
                    "missing",
                    f"install it: `make setup` here, or `%pip install {pip_name}` on Colab",
                )
            )
            continue
        ok = _version_tuple(found) >= _version_tuple(minimum)
        rows.append(
            (module, found, "ok" if ok else f"too old: `pip install -U '{pip_name}>={minimum}'`")
        )
    return rows


def print_environment_report() -> bool:
    """Print the report as a small table; return True when everything is ok."""
    rows = environment_report()
    for name, version, status in rows:
        print(f"{name:<12} {version:<14} {status}")
    return all(status == "ok" for *_, status in rows)
