"""The cells as syntax trees: parsed once (IPython's magics as calls), the statements that bind a name at
their top, and every node of a definition with whether it is in code that never runs."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["as_python"]


def as_python(source: str) -> str:
    """A cell's source as plain Python: IPython's magics and ``!`` commands as the calls they are.

    Example:
        >>> as_python("%time y = 1")
        "get_ipython().run_line_magic('time', 'y = 1')\\n"
    """
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - a cell IPython cannot read is left as it is
        return source


@dataclass
class _Binding:
    """One statement of the cells that binds a name at the top of the notebook, or the answer found by position."""

    name: str
    node: ast.AST  # FunctionDef, ClassDef, Lambda, the value an Assign gives, or an import alias
    statement: ast.AST  # the whole statement (its first line is line 1 of the definition)
    kind: str  # "def", "class", "lambda", "assign" or "import"
    imported: str = ""  # for an import: the qualified name it binds


class _Notebook:
    """Cells parsed once, and the last statement that binds each name at their top level."""

    def __init__(self, cells: list[str]):
        self.trees = [_parse(cell) for cell in cells]
        self.top: dict[str, _Binding] = {}
        for tree in self.trees:
            for statement in _top_statements(tree.body if tree is not None else []):
                for binding in _bindings(statement):
                    self.top[binding.name] = binding


def _nodes(root: ast.AST, dead: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``root`` with whether it is in code that never runs."""
    yield root, dead
    for name, value in ast.iter_fields(root):
        if isinstance(value, list):
            after_exit = False
            for item in value:
                if not isinstance(item, ast.AST):
                    continue
                branch_dead = dead or after_exit or _dead_branch(root, name)
                yield from _nodes(item, branch_dead)
                if isinstance(item, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                    after_exit = True
        elif isinstance(value, ast.AST):
            yield from _nodes(value, dead or _dead_branch(root, name))


def _dead_branch(node: ast.AST, field_name: str) -> bool:
    """Whether the ``field_name`` branch of an ``if``/``while`` with a constant test never runs."""
    if not isinstance(node, (ast.If, ast.While, ast.IfExp)) or not isinstance(
        node.test, ast.Constant
    ):
        return False
    if field_name == "body":
        return not node.test.value
    return (
        field_name == "orelse" and bool(node.test.value) and isinstance(node, (ast.If, ast.IfExp))
    )


def _is_reference(node: ast.AST) -> bool:
    """A name, a whole attribute chain (not the ``torch`` of ``torch.nn``), ``getattr(F, "x")`` or ``vars(F)["x"]``."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return False
    return isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) and not isinstance(
        getattr(node, "_parent", None), ast.Attribute
    )


def _written(node: ast.AST) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _loop_text(node: ast.AST) -> str:
    """A loop as its first line: ``for a in A``, ``while n > 0``, or the whole comprehension."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return _written(ast.Name(f"for {ast.unparse(node.target)} in {ast.unparse(node.iter)}"))
    if isinstance(node, ast.While):
        return _written(ast.Name(f"while {ast.unparse(node.test)}"))
    return _written(node)


def _text(node: ast.AST) -> str | None:
    """The value of a string literal (None for anything else)."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _pairs(targets: list[ast.AST], value: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(name, value) for each name an assignment binds; ``a, b = x, y`` pairs them up, else a name gets
    an unknown value."""
    for target in targets:
        if isinstance(target, ast.Name):
            yield target.id, value
        elif isinstance(target, (ast.Tuple, ast.List)):
            paired = isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(
                target.elts
            )
            for i, inner in enumerate(target.elts):
                yield from _pairs([inner], value.elts[i] if paired else ast.Constant(...))
        elif isinstance(target, ast.Starred):
            yield from _pairs([target.value], ast.Constant(...))


@functools.lru_cache(maxsize=512)
def _parse_text(text: str, mode: str = "exec") -> ast.AST | None:
    """The tree of ``text`` with each node's parent in ``_parent`` (None if it is not Python)."""
    try:
        tree = ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child._parent = node  # type: ignore[attr-defined]
    return tree


def _parse(cell: str) -> ast.Module | None:
    tree = _parse_text(cell)
    if tree is None and any(line.lstrip().startswith(("%", "!")) for line in cell.splitlines()):
        tree = _parse_text(as_python(cell))
    return tree  # type: ignore[return-value]


def _top_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements at the top of a cell, also inside ``if``, ``for``, ``while``, ``with`` and ``try``."""
    for statement in body:
        yield statement
        for name in ("body", "orelse", "finalbody"):
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from _top_statements(getattr(statement, name, []))
        for handler in getattr(statement, "handlers", []):
            yield from _top_statements(handler.body)


def _bindings(statement: ast.AST) -> Iterator[_Binding]:
    """What a statement binds: a def, a class, each name an assignment gives, each import."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        yield _Binding(statement.name, statement, statement, "def")
    elif isinstance(statement, ast.ClassDef):
        yield _Binding(statement.name, statement, statement, "class")
    elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for name, value in _pairs(targets, statement.value):
            yield _Binding(name, value, statement, "assign")
    elif isinstance(statement, ast.Import):
        for alias in statement.names:
            top = alias.name.split(".")[0]
            yield _Binding(
                alias.asname or top, alias, statement, "import", alias.name if alias.asname else top
            )
    elif isinstance(statement, ast.ImportFrom):
        module = "." * statement.level + (statement.module or "")
        for alias in statement.names:
            if alias.name != "*":
                yield _Binding(
                    alias.asname or alias.name, alias, statement, "import", f"{module}.{alias.name}"
                )
