"""How an answer computes, read from its code: the one reading that checks use for rules on *how*
(no loop, no ready-made loss, no autograd), the same in the notebook and in the grader.

``read_answer(answer, name)`` finds the code of a student's function or class and of the
notebook's functions, classes and variables it uses, transitively: when grading, in the
submitted cells (the grader's handle hands them over); in a notebook, in the cells IPython ran;
elsewhere, in the answer's source file. ``read_cells(cells, name)`` reads given cells. The
reading resolves imports and aliases (``import torch.nn.functional as F``, ``from torch.nn import
BCELoss as L``, ``loss = F.binary_cross_entropy``, ``getattr(F, "mse_loss")``, code in an
``eval("...")`` string), sees nested and dead code, and names what it found and where (``Use``).
What it cannot follow (``exec`` of a computed string, ``getattr`` with a computed name, an answer
imported from a file) is a ``problem``, never a silent pass.

Example:
    >>> cells = ["import torch.nn.functional as F", "def bce(p, y):\\n    return F.binary_cross_entropy(p, y)"]
    >>> [str(use) for use in read_cells(cells, "bce").uses("torch.*binary_cross_entropy*")]
    ['F.binary_cross_entropy (torch.nn.functional.binary_cross_entropy) on line 2 of bce']
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import inspect
import linecache
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

__all__ = ["Call", "Reading", "Use", "as_python", "canonical", "read_answer", "read_cells"]

#: Libraries whose objects a reading may look up (never a student's module): to name what an alias is.
_LIBRARIES = ("torch", "numpy", "scipy", "sklearn", "math", "functools", "itertools", "operator", "builtins",
              "course_utils", "torchvision", "copy", "statistics")
_LOOPS = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
          ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
          ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression"}
_LOOPING_CALLS = ("builtins.map", "builtins.filter", "functools.reduce", "itertools.*")
_HELPERS_LIMIT = 50  # definitions read for one answer
_NAMES_LIMIT = 64  # qualified names one expression may stand for (aliases of aliases multiply them)


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


@dataclass(frozen=True)
class Use:
    """Something the code refers to or does: what it resolves to, as written, and where."""

    names: tuple[str, ...]  # what it resolves to: "torch.nn.functional.binary_cross_entropy", "a for loop"
    written: str  # as the student wrote it: "F.binary_cross_entropy"
    line: int  # the line within the definition it is in (1 = the def or class line)
    where: str  # that definition: the answer's name or a helper's
    dead: bool = False  # in code that never runs (under ``if False:``, after a ``return``)

    def __str__(self) -> str:
        known = sorted((n for n in self.names if n.split(".")[0] in _LIBRARIES), key=lambda n: ("._" in n, len(n)))
        what = f" ({known[0]})" if known and known[0] != self.written else ""
        return f"{self.written}{what} on line {self.line} of {self.where}" + (
            ", in code that never runs" if self.dead else "")

    def matches(self, *patterns: str) -> bool:
        """Whether one of its names matches one of the ``fnmatch`` patterns (``*`` spans dots)."""
        return any(fnmatchcase(name, pattern) for name in self.names for pattern in patterns)


@dataclass(frozen=True)
class Call:
    """A call the code makes: the ``Use`` of what it calls and its keyword arguments (a literal, or ``...``)."""

    use: Use
    keywords: dict[str, Any]


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


class Reading:
    """The code of one answer and of the notebook code it uses, with what it refers to and does.

    ``problem`` says why the check cannot read it (None when it can): a check with a rule on how
    turns it into a failure, so code the reading cannot follow never passes unseen.
    """

    def __init__(self, name: str, notebook: _Notebook, answer: _Binding | None,
                 namespace: dict[str, Any] | None = None):
        self.name, self.notebook = name, notebook
        self.problem: str | None = None
        self.namespace = namespace or {}  # outside a notebook: the answer's globals, for names no cell binds
        self.definitions: dict[str, _Binding] = {}
        self._uses: list[Use] = []
        self._calls: list[Call] = []
        self._loops: list[Use] = []
        self._unreadable: list[Use] = []
        if answer is None:
            self.problem = f"the check cannot find the code of {name}: define it with `def` in the notebook"
        elif answer.kind == "import":
            self.problem = (f"{name} is imported (from {answer.imported.rpartition('.')[0] or 'another file'}), not "
                            "written in the notebook: the check cannot read how it computes. Write it in the notebook.")
        else:
            self._read(answer)
            if self._unreadable:
                self.problem = (f"{name} runs code the check cannot read ({self._unreadable[0]}): write the "
                                "computation as plain code.")

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
        return [name for name, b in self.definitions.items() if b.kind == "class"
                and any(fnmatchcase(q, p) for base in b.node.bases for q in _names(_Scope(self, b).resolve(base))
                        for p in bases)]

    def _read(self, answer: _Binding) -> None:
        todo = [answer]
        while todo and len(self.definitions) < _HELPERS_LIMIT:
            binding = todo.pop(0)
            if binding.name in self.definitions:
                continue
            self.definitions[binding.name] = binding
            todo += [helper for name in sorted(self._walk(binding))
                     if (helper := self.notebook.top.get(name) or self._elsewhere(name))
                     and helper.kind != "import" and helper.name not in self.definitions]

    def _elsewhere(self, name: str) -> _Binding | None:
        """Outside a notebook, a function or class of the answer's globals that no cell defines, from its own file."""
        obj = self.namespace.get(name)
        code = _code_of(obj) if obj is not None and not _library(obj) else None
        if code is None:
            return None
        return _locate(_parse_text("".join(linecache.getlines(code.co_filename))), obj, code, name)

    def _walk(self, binding: _Binding, root: ast.AST | None = None, line: int | None = None,
              dead: bool = False) -> set[str]:
        """Record what the code of ``binding`` uses and does; the global names it refers to.

        ``root`` and ``line``: the code of an ``eval``/``exec`` string, read as if written on ``line``.
        """
        scope = _Scope(self, binding)
        start = binding.statement.lineno
        names: set[str] = set()
        for node, node_dead in _nodes(binding.node if root is None else root, dead):
            at = line if line is not None else getattr(node, "lineno", start) - start + 1

            def use(resolved: set[str], written: str, node_dead: bool = node_dead, at: int = at) -> Use:
                return Use(_names(resolved), written, at, binding.name, node_dead)

            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in scope.locals:
                names.add(node.id)
            if type(node) in _LOOPS:
                self._loops.append(use({_LOOPS[type(node)]}, _loop_text(node)))
            if isinstance(node, ast.Call):
                called = use(scope.resolve(node.func), _written(node.func))
                if called.matches(*_LOOPING_CALLS) or (binding.kind == "def" and isinstance(node.func, ast.Name)
                                                       and node.func.id == binding.name):
                    self._loops.append(use({"a loop"}, _written(node)))
                self._calls.append(Call(called, {k.arg: scope.literal(k.value) for k in node.keywords if k.arg}))
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
                self.locals |= {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                                *filter(None, [args.vararg, args.kwarg])]}
                positional = [*args.posonlyargs, *args.args]
                for arg, default in [*zip(positional[len(positional) - len(args.defaults):], args.defaults),
                                     *zip(args.kwonlyargs, args.kw_defaults)]:
                    if default is not None:  # a parameter may stand for its default
                        self.aliases.setdefault(arg.arg, []).append(default)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.locals.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for b in _bindings(node):
                    self.imported[b.name] = b.imported
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                for target, value in _pairs(node.targets if isinstance(node, ast.Assign) else [node.target], node.value):
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
            return {f"{base}.{node.attr}" for base in self.resolve(node.value, depth + 1)} | {f"?.{node.attr}"}
        if isinstance(node, ast.Call):
            func = self.resolve(node.func, depth + 1)
            args = node.args
            if "builtins.getattr" in func and len(args) > 1 and (attr := _text(args[1])) is not None:
                return {f"{base}.{attr}" for base in self.resolve(args[0], depth + 1)} | {f"?.{attr}"}
            if func & {"importlib.import_module", "builtins.__import__"} and args and (module := _text(args[0])):
                return {module}
            if "functools.partial" in func and args:
                return self.resolve(args[0], depth + 1)
        if isinstance(node, ast.Subscript) and (key := _text(node.slice)) is not None:
            inner = node.value
            if isinstance(inner, ast.Call) and "builtins.vars" in self.resolve(inner.func, depth + 1) and inner.args:
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
            return self.reading._resolve_top(top, depth + 1) if top.kind == "assign" else {f"notebook.{name}"}
        if name in self.reading.namespace:
            obj = self.reading.namespace[name]
            if inspect.ismodule(obj):
                return {obj.__name__}
            return {f"{obj.__module__}.{obj.__qualname__}"} if _library(obj) else {f"notebook.{name}"}
        return {f"builtins.{name}"} if hasattr(builtins, name) else set()

    def literal(self, node: ast.AST) -> Any:
        """The value of a literal, or of a name given one literal value; ``...`` when only a run can tell."""
        values = [node]
        if isinstance(node, ast.Name):
            top = self.reading.notebook.top.get(node.id)
            values = self.aliases.get(node.id) or ([top.node] if top is not None and top.kind == "assign" else [])
        if len(values) == 1:
            try:
                return ast.literal_eval(values[0])
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                pass
        return ...


# ---------------------------------------------------------------- walking the code


def _nodes(root: ast.AST, dead: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``root`` with whether it is in code that never runs."""
    yield root, dead
    for name, value in ast.iter_fields(root):
        if isinstance(value, list):
            after_exit = False
            for i, item in enumerate(value):
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
    if not isinstance(node, (ast.If, ast.While, ast.IfExp)) or not isinstance(node.test, ast.Constant):
        return False
    if field_name == "body":
        return not node.test.value
    return field_name == "orelse" and bool(node.test.value) and isinstance(node, (ast.If, ast.IfExp))


def _is_reference(node: ast.AST) -> bool:
    """A name, a whole attribute chain (not the ``torch`` of ``torch.nn``), ``getattr(F, "x")`` or ``vars(F)["x"]``."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        return False
    return isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) and not isinstance(
        getattr(node, "_parent", None), ast.Attribute)


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


def _names(resolved: set[str]) -> tuple[str, ...]:
    """Qualified names and, for a library's object, where it is defined (``torch.nn.modules.loss.BCELoss``)."""
    return tuple(sorted(resolved | {c for q in resolved if (c := canonical(q)) is not None}))


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


def _pairs(targets: list[ast.AST], value: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(name, value) for each name an assignment binds; ``a, b = x, y`` pairs them up, else a name gets
    an unknown value."""
    for target in targets:
        if isinstance(target, ast.Name):
            yield target.id, value
        elif isinstance(target, (ast.Tuple, ast.List)):
            paired = isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
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
            yield _Binding(alias.asname or top, alias, statement, "import", alias.name if alias.asname else top)
    elif isinstance(statement, ast.ImportFrom):
        module = "." * statement.level + (statement.module or "")
        for alias in statement.names:
            if alias.name != "*":
                yield _Binding(alias.asname or alias.name, alias, statement, "import", f"{module}.{alias.name}")


# ---------------------------------------------------------------- finding an answer's code


def read_cells(cells: list[str], name: str) -> Reading:
    """The reading of ``name``, defined by the last top-level statement of ``cells`` that binds it
    (what the grader does with the submitted cells before a check).

    Example:
        >>> read_cells(["from helper import bce"], "bce").problem
        'bce is imported (from helper), not written in the notebook: the check cannot read how it computes. Write it in the notebook.'
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
        if code is None or code.co_filename not in ran:  # not written in a cell (imported, a partial...): by its name
            return read_cells(list(ran.values()), name)
        cells = list(ran.values())
        notebook = _Notebook(cells)
        return Reading(name, notebook, _locate(notebook.trees[list(ran).index(code.co_filename)], answer, code, name))
    text = "".join(linecache.getlines(code.co_filename)) if code is not None else ""
    notebook = _Notebook([text])
    namespace = getattr(inspect.unwrap(answer), "__globals__", None)
    return Reading(name, notebook, _locate(notebook.trees[0], answer, code, name) if text else None, namespace=namespace)


def _cells_run(shell: Any) -> dict[str, str]:
    """The code of each cell IPython ran, by the file name it compiled it under, in the order first run; also
    where history is off (nbval runs cells with ``store_history=False``)."""
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if isinstance(names, dict):
        return {name: "".join(linecache.getlines(name)) for name in names}
    history = getattr(getattr(shell, "history_manager", None), "input_hist_parsed", [])
    return {f"<cell {i}>": str(cell) for i, cell in enumerate(history)}


def _library(obj: Any) -> bool:
    """Whether ``obj`` is a library's function or class (named by where it is defined), not a student's."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return isinstance(module, str) and isinstance(name, str) and module.split(".")[0] in _LIBRARIES and \
        _lookup((*module.split("."), *name.split("."))) is obj


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
            if node.name == answer.__name__ and node.lineno <= code.co_firstlineno <= (node.end_lineno or 0):
                candidates.append(node)
        elif is_class:
            continue
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name:
            if min([node.lineno, *(d.lineno for d in node.decorator_list)]) == code.co_firstlineno:
                candidates.append(node)
        elif isinstance(node, ast.Lambda) and code.co_name == "<lambda>" and node.lineno == code.co_firstlineno:
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
    return any(getattr(c, "co_code", None) == code.co_code and c.co_names == code.co_names
               for c in compiled.co_consts)


# ---------------------------------------------------------------- what a qualified name is


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
    return f"{module}.{name}" if obj is not None and isinstance(module, str) and isinstance(name, str) else None


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
