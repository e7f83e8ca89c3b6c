"""What a qualified name is: where a library's object is defined (``canonical``), and whether an object is one."""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any

__all__ = ["REFERENCES", "canonical"]

#: The qualified names of the course's reference solutions (the student version's "stuck?" line imports
#: one): the checks let one pass a rule on how, the grader gives it no points.
REFERENCES = "course_utils.exercises.*.reference_*"

#: Libraries whose objects a reading may look up (never a student's module): to name what an alias is.
_LIBRARIES = (
    "torch",
    "numpy",
    "scipy",
    "sklearn",
    "math",
    "functools",
    "itertools",
    "operator",
    "builtins",
    "course_utils",
    "torchvision",
    "copy",
    "statistics",
)


def canonical(qualified: str) -> str | None:
    """Where the library object a qualified name stands for is defined (``torch.nn.BCELoss`` ->
    ``torch.nn.modules.loss.BCELoss``); None when it is not a library's or cannot be found. Only
    libraries are looked up, never a student's module.

    Example:
        >>> canonical("torch.nn.BCELoss")
        'torch.nn.modules.loss.BCELoss'
    """
    parts = qualified.split(".")
    obj = _lookup(tuple(parts)) if parts[0] in _LIBRARIES else None
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return (
        f"{module}.{name}"
        if obj is not None and isinstance(module, str) and isinstance(name, str)
        else None
    )


@functools.lru_cache(maxsize=4096)
def _lookup(parts: tuple[str, ...]) -> Any:
    try:
        obj = sys.modules.get(parts[0]) or importlib.import_module(parts[0])
        for i, part in enumerate(parts[1:], start=1):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                obj = importlib.import_module(".".join(parts[: i + 1]))
        return obj
    except Exception:  # noqa: BLE001 - a library not installed here, or no such name: names nothing
        return None


def _library(obj: Any) -> bool:
    """Whether ``obj`` is a library's function or class (named by where it is defined), not a student's."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return (
        isinstance(module, str)
        and isinstance(name, str)
        and module.split(".")[0] in _LIBRARIES
        and _lookup((*module.split("."), *name.split("."))) is obj
    )


def _names(resolved: set[str]) -> tuple[str, ...]:
    """Qualified names and, for a library's object, where it is defined (``torch.nn.modules.loss.BCELoss``)."""
    return tuple(sorted(resolved | {c for q in resolved if (c := canonical(q)) is not None}))
