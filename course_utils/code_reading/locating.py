"""Where an answer's code is: the cells IPython ran, or the answer's source file, and its definition there."""

from __future__ import annotations

import ast
import inspect
import linecache
import sys
from typing import Any

from course_utils.code_reading.syntax import _Binding

__all__: list[str] = []


def _cells_run(shell: Any) -> dict[str, str]:
    """The code of each cell IPython ran, by the file name it compiled it under, in the order first run; also
    where history is off (nbval runs cells with ``store_history=False``)."""
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if isinstance(names, dict):
        return {name: "".join(linecache.getlines(name)) for name in names}
    history = getattr(getattr(shell, "history_manager", None), "input_hist_parsed", [])
    return {f"<cell {i}>": str(cell) for i, cell in enumerate(history)}


def _ipython() -> Any:
    """The IPython shell running this code, if any."""
    module = sys.modules.get("IPython")
    try:
        return module.get_ipython() if module is not None else None
    except Exception:  # noqa: BLE001 - no shell: not in IPython
        return None


def _code_of(answer: Any) -> Any:
    """The code object that locates an answer: a function's own, or one of a class's methods'."""
    try:
        target = inspect.unwrap(answer)
    except (ValueError, TypeError):
        target = answer
    if inspect.isfunction(target):
        return target.__code__
    if inspect.isclass(target):
        return next((v.__code__ for v in vars(target).values() if inspect.isfunction(v)), None)
    return None


def _locate(tree: ast.Module | None, answer: Any, code: Any, name: str) -> _Binding | None:
    """The definition of ``answer`` in ``tree``: a def, a class or a lambda, at any depth."""
    if tree is None:
        return None
    is_class = inspect.isclass(answer)
    candidates = []
    for node in ast.walk(tree):
        if is_class and isinstance(node, ast.ClassDef):
            if node.name == answer.__name__ and node.lineno <= code.co_firstlineno <= (
                node.end_lineno or 0
            ):
                candidates.append(node)
        elif is_class:
            continue
        elif (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name
        ):
            if min([node.lineno, *(d.lineno for d in node.decorator_list)]) == code.co_firstlineno:
                candidates.append(node)
        elif (
            isinstance(node, ast.Lambda)
            and code.co_name == "<lambda>"
            and node.lineno == code.co_firstlineno
        ):
            candidates.append(node)
    if len(candidates) > 1:
        candidates = [n for n in candidates if _same_code(n, code)] or candidates
    if not candidates:
        return None
    node = candidates[0]
    if isinstance(node, ast.Lambda):
        return _Binding(name, node, node, "lambda")
    return _Binding(node.name, node, node, "class" if is_class else "def")


def _same_code(node: ast.AST, code: Any) -> bool:
    """Whether compiling ``node`` gives the bytecode of ``code`` (tells apart two lambdas on one line)."""
    try:
        tree = ast.Expression(node) if isinstance(node, ast.Lambda) else ast.Module([node], [])
        compiled = compile(tree, "<check>", "eval" if isinstance(node, ast.Lambda) else "exec")
    except (SyntaxError, ValueError, TypeError):
        return False
    return any(
        getattr(c, "co_code", None) == code.co_code and c.co_names == code.co_names
        for c in compiled.co_consts
    )
