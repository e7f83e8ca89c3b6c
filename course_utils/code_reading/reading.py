"""The reading of one answer: its code and the notebook code it uses, with what it refers to and does.

``read_cells`` reads given cells (what the grader does), ``read_answer`` finds the cells itself (in a
notebook, or the answer's source file); ``Reading`` holds what they found (``Use``, ``Call``, loops) and
why it could not read the code (``problem``).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from course_utils.code_reading.locating import _cells_run, _code_of, _ipython, _locate
from course_utils.code_reading.names import _LIBRARIES, _library, _names
from course_utils.code_reading.syntax import (
    _Binding,
    _bindings,
    _is_reference,
    _loop_text,
    _nodes,
    _Notebook,
    _pairs,
    _parse_text,
    _text,
    _written,
)

__all__ = ["Call", "Reading", "Use", "read_answer", "read_cells"]

_LOOPS = {
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
_LOOPING_CALLS = ("builtins.map", "builtins.filter", "functools.reduce", "itertools.*")
_HELPERS_LIMIT = 50  # definitions read for one answer
_NAMES_LIMIT = 64  # qualified names one expression may stand for (aliases of aliases multiply them)


@dataclass(frozen=True)
class Use:
    """Something the code refers to or does: what it resolves to, as written, and where."""

    names: tuple[
        str, ...
    ]  # what it resolves to: "torch.nn.functional.binary_cross_entropy", "a for loop"
    written: str  # as the student wrote it: "F.binary_cross_entropy"
    line: int  # the line within the definition it is in (1 = the def or class line)
    where: str  # that definition: the answer's name or a helper's
    dead: bool = False  # in code that never runs (under ``if False:``, after a ``return``)

    def __str__(self) -> str:
        known = sorted(
            (n for n in self.names if n.split(".")[0] in _LIBRARIES),
            key=lambda n: ("._" in n, len(n)),
        )
        what = f" ({known[0]})" if known and known[0] != self.written else ""
        return f"{self.written}{what} on line {self.line} of {self.where}" + (
            ", in code that never runs" if self.dead else ""
        )

    def matches(self, *patterns: str) -> bool:
        """Whether one of its names matches one of the ``fnmatch`` patterns (``*`` spans dots)."""
        return any(fnmatchcase(name, pattern) for name in self.names for pattern in patterns)


@dataclass(frozen=True)
class Call:
    """A call the code makes: the ``Use`` of what it calls and its keyword arguments (a literal, or ``...``)."""

    use: Use
    keywords: dict[str, Any]


class Reading:
    """The code of one answer and of the notebook code it uses, with what it refers to and does.

    ``problem`` says why the check cannot read it (None when it can): a check with a rule on how
    turns it into a failure, so code the reading cannot follow never passes unseen.
    """

    def __init__(
        self,
        name: str,
        notebook: _Notebook,
        answer: _Binding | None,
        namespace: dict[str, Any] | None = None,
    ):
        self.name, self.notebook = name, notebook
        self.problem: str | None = None
        self.imported = (
            answer.imported if answer is not None and answer.kind == "import" else ""
        )  # "" if written
        self.namespace = (
            namespace or {}
        )  # outside a notebook: the answer's globals, for names no cell binds
        self.definitions: dict[str, _Binding] = {}
        self._uses: list[Use] = []
        self._calls: list[Call] = []
        self._loops: list[Use] = []
        self._unreadable: list[Use] = []
        if answer is None:
            self.problem = (
                f"the check cannot find the code of {name}: define it with `def` in the notebook"
            )
        elif answer.kind == "import":
            self.problem = (
                f"{name} is imported (from {answer.imported.rpartition('.')[0] or 'another file'}), not "
                "written in the notebook: the check cannot read how it computes. Write it in the notebook."
            )
        else:
            self._read(answer)
            if self._unreadable:
                self.problem = (
                    f"{name} runs code the check cannot read ({self._unreadable[0]}): write the "
                    "computation as plain code."
                )

    def uses(self, *patterns: str, live: bool = False) -> list[Use]:
        """What the code refers to that matches one of ``patterns`` (``fnmatch`` on what it resolves to, e.g.
        ``"torch.*binary_cross_entropy*"``, or a method of anything, ``"*.backward"``); ``live`` leaves out
        code that never runs."""
        return [u for u in self._uses if u.matches(*patterns) and not (live and u.dead)]

    def calls(self, *patterns: str) -> list[Call]:
        """The calls, in code that runs, of what matches ``patterns``, with their keyword arguments."""
        return [c for c in self._calls if c.use.matches(*patterns) and not c.use.dead]

    def loops(self) -> list[Use]:
        """Every Python loop: ``for``, ``while``, comprehensions, ``map``, ``filter``, ``reduce``,
        ``itertools``, and a function that calls itself."""
        return list(self._loops)

    def classes(self, *bases: str) -> list[str]:
        """The classes read (the answer and its helpers) with a base that matches one of ``bases``."""
        return [
            name
            for name, b in self.definitions.items()
            if b.kind == "class"
            and any(
                fnmatchcase(q, p)
                for base in b.node.bases
                for q in _names(_Scope(self, b).resolve(base))
                for p in bases
            )
        ]

    def _read(self, answer: _Binding) -> None:
        todo = [answer]
        while todo and len(self.definitions) < _HELPERS_LIMIT:
            binding = todo.pop(0)
            if binding.name in self.definitions:
                continue
            self.definitions[binding.name] = binding
            todo += [
                helper
                for name in sorted(self._walk(binding))
                if (helper := self.notebook.top.get(name) or self._elsewhere(name))
                and helper.kind != "import"
                and helper.name not in self.definitions
            ]

    def _elsewhere(self, name: str) -> _Binding | None:
        """Outside a notebook, a function or class of the answer's globals that no cell defines, from its own file."""
        obj = self.namespace.get(name)
        code = _code_of(obj) if obj is not None and not _library(obj) else None
        if code is None:
            return None
        return _locate(_parse_text("".join(linecache.getlines(code.co_filename))), obj, code, name)

    def _walk(
        self,
        binding: _Binding,
        root: ast.AST | None = None,
        line: int | None = None,
        dead: bool = False,
    ) -> set[str]:
        """Record what the code of ``binding`` uses and does; the global names it refers to.

        ``root`` and ``line``: the code of an ``eval``/``exec`` string, read as if written on ``line``.
        """
        scope = _Scope(self, binding)
        start = binding.statement.lineno
        names: set[str] = set()
        for node, node_dead in _nodes(binding.node if root is None else root, dead):
            at = line if line is not None else getattr(node, "lineno", start) - start + 1

            def use(
                resolved: set[str], written: str, node_dead: bool = node_dead, at: int = at
            ) -> Use:
                return Use(_names(resolved), written, at, binding.name, node_dead)

            if (
                isinstance(node, ast.Name)
                and isinstance(node.ctx, ast.Load)
                and node.id not in scope.locals
            ):
                names.add(node.id)
            if type(node) in _LOOPS:
                self._loops.append(use({_LOOPS[type(node)]}, _loop_text(node)))
            if isinstance(node, ast.Call):
                called = use(scope.resolve(node.func), _written(node.func))
                if called.matches(*_LOOPING_CALLS) or (
                    binding.kind == "def"
                    and isinstance(node.func, ast.Name)
                    and node.func.id == binding.name
                ):
                    self._loops.append(use({"a loop"}, _written(node)))
                self._calls.append(
                    Call(called, {k.arg: scope.literal(k.value) for k in node.keywords if k.arg})
                )
                if _unreadable(node, scope):
                    self._unreadable.append(use({"unreadable"}, _written(node)))
                code = _literal_code(node, scope)
                if code is not None:
                    names |= self._walk(binding, code, at, node_dead)
            if _is_reference(node) and (resolved := scope.resolve(node)):
                self._uses.append(use(resolved, _written(node)))
        return names

    def _resolve_top(self, binding: _Binding, depth: int) -> set[str]:
        """What a top-level assignment's value stands for (``F = torch.nn.functional``)."""
        return _Scope(self, binding).resolve(binding.node, depth)


class _Scope:
    """Names inside one definition: its parameters and locals, its own imports and aliases, then the notebook's."""

    def __init__(self, reading: Reading, binding: _Binding):
        self.reading = reading
        self.aliases: dict[str, list[ast.AST]] = {}
        self.imported: dict[str, str] = {}
        self.locals: set[str] = set()
        if binding.kind not in ("def", "class", "lambda"):
            return
        for node, _ in _nodes(binding.node):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                self.locals |= {
                    a.arg
                    for a in [
                        *args.posonlyargs,
                        *args.args,
                        *args.kwonlyargs,
                        *filter(None, [args.vararg, args.kwarg]),
                    ]
                }
                positional = [*args.posonlyargs, *args.args]
                for arg, default in [
                    *zip(positional[len(positional) - len(args.defaults) :], args.defaults),
                    *zip(args.kwonlyargs, args.kw_defaults),
                ]:
                    if default is not None:  # a parameter may stand for its default
                        self.aliases.setdefault(arg.arg, []).append(default)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.locals.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for b in _bindings(node):
                    self.imported[b.name] = b.imported
            if (
                isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr))
                and node.value is not None
            ):
                for target, value in _pairs(
                    node.targets if isinstance(node, ast.Assign) else [node.target], node.value
                ):
                    self.aliases.setdefault(target, []).append(value)
        self.locals |= set(self.imported)
        if binding.kind != "class":
            self.locals.discard(binding.name)

    def resolve(self, node: ast.AST | None, depth: int = 0) -> set[str]:
        """The qualified names ``node`` may stand for (``"?.attr"``: an attribute of something unknown)."""
        found = self._resolve(node, depth)
        return found if len(found) <= _NAMES_LIMIT else set(sorted(found)[:_NAMES_LIMIT])

    def _resolve(self, node: ast.AST | None, depth: int) -> set[str]:
        if depth > 20 or node is None:
            return set()
        if isinstance(node, ast.Name):
            return self._name(node.id, depth)
        if isinstance(node, ast.Attribute):
            return {f"{base}.{node.attr}" for base in self.resolve(node.value, depth + 1)} | {
                f"?.{node.attr}"
            }
        if isinstance(node, ast.Call):
            func = self.resolve(node.func, depth + 1)
            args = node.args
            if (
                "builtins.getattr" in func
                and len(args) > 1
                and (attr := _text(args[1])) is not None
            ):
                return {f"{base}.{attr}" for base in self.resolve(args[0], depth + 1)} | {
                    f"?.{attr}"
                }
            if (
                func & {"importlib.import_module", "builtins.__import__"}
                and args
                and (module := _text(args[0]))
            ):
                return {module}
            if "functools.partial" in func and args:
                return self.resolve(args[0], depth + 1)
        if isinstance(node, ast.Subscript) and (key := _text(node.slice)) is not None:
            inner = node.value
            if (
                isinstance(inner, ast.Call)
                and "builtins.vars" in self.resolve(inner.func, depth + 1)
                and inner.args
            ):
                return {f"{base}.{key}" for base in self.resolve(inner.args[0], depth + 1)}
            if isinstance(inner, ast.Attribute) and inner.attr == "__dict__":
                return {f"{base}.{key}" for base in self.resolve(inner.value, depth + 1)}
        return set()

    def _name(self, name: str, depth: int) -> set[str]:
        if name in self.imported:
            return {self.imported[name]}
        if name in self.locals:
            found: set[str] = set()
            for value in self.aliases.get(name, []):
                found |= self.resolve(value, depth + 1)
            return found
        top = self.reading.notebook.top.get(name)
        if top is not None:
            if top.kind == "import":
                return {top.imported}
            return (
                self.reading._resolve_top(top, depth + 1)
                if top.kind == "assign"
                else {f"notebook.{name}"}
            )
        if name in self.reading.namespace:
            obj = self.reading.namespace[name]
            if inspect.ismodule(obj):
                return {obj.__name__}
            return (
                {f"{obj.__module__}.{obj.__qualname__}"} if _library(obj) else {f"notebook.{name}"}
            )
        return {f"builtins.{name}"} if hasattr(builtins, name) else set()

    def literal(self, node: ast.AST) -> Any:
        """The value of a literal, or of a name given one literal value; ``...`` when only a run can tell."""
        values = [node]
        if isinstance(node, ast.Name):
            top = self.reading.notebook.top.get(node.id)
            values = self.aliases.get(node.id) or (
                [top.node] if top is not None and top.kind == "assign" else []
            )
        if len(values) == 1:
            try:
                return ast.literal_eval(values[0])
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                pass
        return ...


def _unreadable(node: ast.Call, scope: _Scope) -> bool:
    """``exec``/``eval``/``compile`` of a computed string, ``getattr``/``import_module`` of a computed name."""
    func = scope.resolve(node.func)
    if func & {"builtins.exec", "builtins.eval", "builtins.compile"}:
        return not (node.args and _text(node.args[0]) is not None)
    if "builtins.getattr" in func:
        return len(node.args) > 1 and _text(node.args[1]) is None
    if func & {"importlib.import_module", "builtins.__import__"}:
        return bool(node.args) and _text(node.args[0]) is None
    return False


def _literal_code(node: ast.Call, scope: _Scope) -> ast.AST | None:
    """The code of ``eval("...")`` or ``exec("...")`` with a literal string."""
    mode = {"builtins.eval": "eval", "builtins.exec": "exec"}
    modes = [mode[f] for f in scope.resolve(node.func) if f in mode]
    if not modes or not node.args or (text := _text(node.args[0])) is None:
        return None
    tree = _parse_text(text, modes[0])
    return tree


def read_cells(cells: list[str], name: str) -> Reading:
    """The reading of ``name``, defined by the last top-level statement of ``cells`` that binds it
    (what the grader does with the submitted cells before a check).

    Example:
        >>> print(read_cells(["from helper import bce"], "bce").problem)  # doctest: +NORMALIZE_WHITESPACE
        bce is imported (from helper), not written in the notebook: the check cannot read how it
        computes. Write it in the notebook.
    """
    notebook = _Notebook(cells)
    return Reading(name, notebook, notebook.top.get(name))


def read_answer(answer: Any, name: str) -> Reading:
    """The reading of a student's answer (a function or a class) that the notebook calls ``name``.

    Grading, the grader's handle gives the submitted cells before the check, and the last one that
    binds ``name`` defines it. In IPython, the cells run so far: the one that compiled the answer's
    code holds it (or, for an answer not written in a cell, the last that binds ``name``).
    Elsewhere, the source file of the answer's code.

    Example:
        >>> def double(x):
        ...     return [2 * v for v in x]
        >>> [str(use) for use in read_answer(double, "double").loops()]
        ['[2 * v for v in x] on line 2 of double']
    """
    hook = getattr(type(answer), "__course_source__", None)
    if hook is not None:
        given, cells = hook(answer)
        return read_cells([str(c) for c in cells], str(given or name))
    code = _code_of(answer)
    shell = _ipython()
    if shell is not None:
        ran = _cells_run(shell)
        if (
            code is None or code.co_filename not in ran
        ):  # not written in a cell (imported, a partial...): by its name
            return read_cells(list(ran.values()), name)
        cells = list(ran.values())
        notebook = _Notebook(cells)
        return Reading(
            name,
            notebook,
            _locate(notebook.trees[list(ran).index(code.co_filename)], answer, code, name),
        )
    text = "".join(linecache.getlines(code.co_filename)) if code is not None else ""
    notebook = _Notebook([text])
    namespace = getattr(inspect.unwrap(answer), "__globals__", None)
    return Reading(
        name,
        notebook,
        _locate(notebook.trees[0], answer, code, name) if text else None,
        namespace=namespace,
    )
