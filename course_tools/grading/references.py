"""The course's reference solutions, recognised in an answer: called, imported or pasted, it earns no points.

The student version's "stuck? use the reference" line keeps the lab going in class; ``reference_use``
says how a graded answer is (or uses) one, read the way ``course_utils.code_reading`` reads an answer.
"""

from __future__ import annotations

import ast
import functools

from course_utils.code_reading.names import REFERENCES

__all__ = ["REFERENCES", "reference_use"]


_COPIED = 6  # statements: a reference this long, pasted as it is, is a copy (a shorter one is what anyone writes)


def reference_use(sources: list[str], name: str) -> str:
    """How the answer ``name`` of the submitted cells is the course's reference solution ("" if it is not):
    imported or bound as one, calling one (read as ``course_utils.code_reading`` reads an answer, aliases
    resolved), or holding a reference's body as it is.

    Example:
        >>> reference_use(["from course_utils.exercises.nb04_spiral import reference_early_stopping as f"], "f")
        'f is course_utils.exercises.nb04_spiral.reference_early_stopping'
        >>> reference_use(["def f(x):\\n    return 2 * x"], "f")
        ''
    """
    from fnmatch import fnmatchcase

    from course_utils.code_reading import read_cells

    reading = read_cells(sources, name)
    binding = reading.notebook.top.get(name)
    if (
        binding is not None
        and binding.kind == "import"
        and fnmatchcase(binding.imported, REFERENCES)
    ):
        return f"{name} is {binding.imported}"
    if reading.problem is None:
        found = reading.uses(REFERENCES)
        if found:
            return f"{name} uses {found[0]}"
    if binding is not None and isinstance(binding.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        body = _body(binding.node)
        for qualified, reference in _reference_bodies().items():
            if body == reference:
                return f"{name} is a copy of {qualified}"
    return ""


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """A function's statements without its docstring, as ``ast.dump`` writes them (names kept, places not)."""
    body = (
        node.body[1:]
        if node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
        else node.body
    )
    return ast.dump(ast.Module(body=body, type_ignores=[]))


@functools.lru_cache(maxsize=1)
def _reference_bodies() -> dict[str, str]:
    """The body of every reference solution long enough that an identical one is a copy."""
    import importlib
    import inspect
    import pkgutil

    import course_utils.exercises as exercises

    bodies = {}
    for info in pkgutil.iter_modules(exercises.__path__):
        module = importlib.import_module(f"course_utils.exercises.{info.name}")
        for attribute, value in vars(module).items():
            if (
                attribute.startswith("reference_")
                and inspect.isfunction(value)
                and (value.__module__ + ".").startswith(module.__name__ + ".")  # a package's too
            ):
                node = ast.parse(inspect.getsource(value)).body[0]
                if sum(isinstance(n, ast.stmt) for n in ast.walk(node)) > _COPIED:
                    bodies[f"{module.__name__}.{attribute}"] = _body(node)
    return bodies
