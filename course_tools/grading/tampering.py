"""The tampering scan: what a submission's own cells do to the checking machinery, named from their source.

The grade does not rely on it (every check runs in the grader, from the course's code): it names what
was tried, and a submission it names is reported as ``tampered`` and earns nothing.
"""

from __future__ import annotations

import ast

import nbformat

from course_tools.grading.check_cells import _normalised, _python, notebook_imports

__all__ = ["tampering"]


#: Modules whose functions the checks rely on: a submission that replaces one is reported as tampered.
_GUARDED = (
    "course_utils",
    "course_tools",
    "torch",
    "numpy",
    "builtins",
    "math",
    "IPython",
    "nbformat",
    "sys",
)
#: Module settings honest notebooks change (``torch.backends.cudnn.deterministic = True``).
_HARMLESS = (
    "deterministic",
    "benchmark",
    "allow_tf32",
    "printoptions",
    "dont_write_bytecode",
    "rcParams",
    "recursionlimit",
)
#: Attributes of functions whose replacement swaps their code.
_FUNCTION_PARTS = (
    "__code__",
    "__globals__",
    "__defaults__",
    "__kwdefaults__",
    "__closure__",
    "__builtins__",
)
#: Calls that reach the checking machinery's frames, objects or pipes.
_REACHING = {
    "sys._getframe": "reads the caller's frames",
    "inspect.currentframe": "reads the caller's frames",
    "inspect.stack": "reads the caller's frames",
    "gc.get_objects": "searches the interpreter's objects",
    "gc.get_referrers": "searches the interpreter's objects",
    "os.write": "writes to a raw file descriptor",
    "os.dup2": "rewires a file descriptor",
    "os.fdopen": "opens a raw file descriptor",
}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):  # get_ipython().showtraceback = ...
        return ".".join([_dotted(node.func) + "()", *reversed(parts)])
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def _cell_trees(source: str) -> list[ast.AST]:
    """The cell as Python, and the code inside its magics (``%time x = ...``, ``%%capture``)."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []
    trees = [tree]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func).endswith(
            ("run_line_magic", "run_cell_magic")
        ):
            for arg in node.args[1:]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    text = (
                        arg.value.split(None, 1)[-1]
                        if arg.value.lstrip().startswith("-")
                        else arg.value
                    )
                    trees += _cell_trees(text)
    return trees


def tampering(nb: nbformat.NotebookNode, teacher: nbformat.NotebookNode) -> list[str]:
    """What the submission's own cells do to the checking machinery, in words (empty: nothing).

    Replacing a function or module of ``course_utils``, ``torch``, ``numpy``, ``builtins`` or
    ``sys``, writing into ``sys.modules``, hooking IPython's exception or output handling,
    defining a name the teacher's checks use, swapping a function's code, running code the
    scan cannot read (``exec``, ``eval``, ``compile``), reaching for frames, the interpreter's
    objects or raw file descriptors; also inside magics (``%time ...``). A scan of the source:
    the grade does not rely on it (checks run in the grader), it names what was tried.

    Example:
        >>> cell = nbformat.v4.new_code_cell("import torch\\ntorch.allclose = lambda *a, **k: True")
        >>> tampering(nbformat.v4.new_notebook(cells=[cell]), nbformat.v4.new_notebook())
        ['cell 0 replaces torch.allclose']
    """
    teachers = {_normalised(c.source) for c in teacher.cells if c.cell_type == "code"}
    check_names = set(
        notebook_imports(
            [c.source for c in teacher.cells if c.cell_type == "code" and "check_" in c.source]
        )
    )
    check_names = {
        n
        for n in check_names
        if n.startswith("check_")
        or n in ("CheckFailed", "passed", "call_student", "check_close", "check_tensor")
    }
    found: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _normalised(cell.source) in teachers:
            continue
        for tree in _cell_trees(cell.source):
            found += _scan(tree, index, check_names)
    return list(dict.fromkeys(found))


def _scan(tree: ast.AST, index: int, check_names: set[str]) -> list[str]:
    found: list[str] = []
    modules = {"builtins", "__builtins__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {
                a.asname or a.name.split(".")[0]
                for a in node.names
                if a.name.split(".")[0] in _GUARDED
            }
            found += [
                f"cell {index} imports ctypes"
                for a in node.names
                if a.name.split(".")[0] == "ctypes"
            ]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in _GUARDED:
                modules |= {a.asname or a.name for a in node.names}
            if (node.module or "").split(".")[0] == "ctypes":
                found.append(f"cell {index} imports ctypes")
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _dotted(node.value.func)
            in ("importlib.import_module", "__import__", "import_module")
        ):
            modules |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    modules |= set(_GUARDED)
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.name in check_names
        ):
            found.append(f"cell {index} defines its own {node.name}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [
                f"cell {index} binds {a.asname} to another import"
                for a in node.names
                if a.asname in check_names
            ]
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if (
                isinstance(node.func, ast.Name)
                and name in ("setattr", "delattr")
                and node.args
                and _dotted(node.args[0]).split(".")[0] in modules
            ):
                found.append(f"cell {index} calls {name} on {_dotted(node.args[0])}")
            elif name.endswith(("set_custom_exc", "events.register")):
                found.append(f"cell {index} hooks IPython ({name})")
            elif name in ("exec", "eval", "compile") and not (
                node.args and isinstance(node.args[0], ast.Constant)
            ):
                found.append(f"cell {index} runs code the grader cannot read ({name})")
            elif name in _REACHING:
                found.append(f"cell {index} {_REACHING[name]} ({name})")
        for target in targets:
            if isinstance(target, ast.Name) and target.id in check_names:
                found.append(f"cell {index} replaces {target.id}")
            if isinstance(target, ast.Subscript) and _dotted(target.value) in (
                "sys.modules",
                "__builtins__",
            ):
                found.append(f"cell {index} writes into {_dotted(target.value)}")
            name = _dotted(target) if isinstance(target, ast.Attribute) else ""
            if "()" in name and name.split(".")[-1] in (
                "showtraceback",
                "_showtraceback",
                "showsyntaxerror",
                "display_pub",
                "displayhook",
                "run_cell",
            ):
                found.append(f"cell {index} hooks IPython ({name})")
            elif isinstance(target, ast.Attribute) and target.attr in _FUNCTION_PARTS:
                found.append(f"cell {index} replaces {name or target.attr}")
            elif name and name.split(".")[0] in modules and name.split(".")[-1] not in _HARMLESS:
                found.append(f"cell {index} replaces {name}")
    return found
