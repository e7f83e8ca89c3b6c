"""Two packages with one job each: course_utils for the notebooks, course_tools (`course`) for teachers.

- course_utils imports with the base dependencies alone (what Colab installs), and importing it
  changes nothing a notebook did not ask for;
- course_tools never imports PyTorch, and `course --help` lists one subcommand per tool;
- every module says which names are its public face (``__all__``), and no module of one package
  is imported by a module of the other in the wrong direction.
"""

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import course_tools
import course_utils

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SUBCOMMANDS = [
    "student",
    "homework",
    "grade",
    "slides",
    "slide-tags",
    "html",
    "check",
    "clean",
    "refresh",
    "badges",
]


def modules(package) -> list[str]:
    found = pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    return sorted(m.name for m in found if not m.name.endswith(".__main__"))


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_course_help_lists_the_subcommands():
    course = Path(sys.executable).with_name("course")
    assert course.is_file(), (
        "no `course` script: run `.venv/bin/pip install -c constraints.txt -e . --no-deps`"
    )
    out = subprocess.run(
        [str(course), "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    listed = re.findall(r"^    (\S+)", out, re.MULTILINE)
    assert listed == SUBCOMMANDS, out
    assert PYPROJECT["project"]["scripts"]["course"] == "course_tools.cli:main"


def test_course_tools_never_imports_torch():
    code = (
        "import importlib, pkgutil, sys, course_tools\n"
        "import course_tools.cli\n"
        "course_tools.cli.parser().parse_args(['check'])\n"
        f"for name in {modules(course_tools)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')))"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"course_tools imported PyTorch: {done.stdout[:300]}"


def _installed_with(extras: list[str]) -> set[str]:
    """The base dependencies, those of ``extras``, and everything they require (with the extras
    they ask for, on this platform): what `pip install "course_utils[extras]"` brings."""
    project = PYPROJECT["project"]
    wanted = [
        Requirement(r)
        for r in project["dependencies"]
        + [r for extra in extras for r in project["optional-dependencies"][extra]]
    ]
    seen: set[tuple[str, str]] = set()
    while wanted:
        req = wanted.pop()
        name = req.name.lower().replace("_", "-")
        for extra in {"", *req.extras}:
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            try:
                requires = metadata.requires(name) or []
            except metadata.PackageNotFoundError:  # a requirement for another platform
                continue
            wanted += [
                sub
                for sub in map(Requirement, requires)
                if sub.marker is None or sub.marker.evaluate({"extra": extra})
            ]
    return {name for name, _ in seen}


@pytest.mark.parametrize(
    "package, extras, own",
    [
        (course_utils, [], ["course_utils"]),  # what Colab installs, and the notebooks import
        (course_tools, ["teach"], ["course_utils", "course_tools"]),  # what `course` needs
    ],
    ids=["course_utils", "course_tools"],
)
def test_every_module_imports_with_the_declared_dependencies_alone(package, extras, own):
    """Every module of the package imports when only its declared dependencies are installed.

    Every top-level module of an installed distribution outside the dependencies' closure (for
    course_utils: nbformat, nbgrader, pytest, course_tools itself...) is marked as absent in
    sys.modules, as if it were not installed, the way `pip install` of the package leaves things.
    """
    allowed = sorted(_installed_with(extras))
    # The installed distributions are listed in the fresh process: in this one, an earlier test
    # may have imported setuptools, which puts its vendored copies (jaraco, ...) on sys.path.
    code = f"""
import importlib, sys
from importlib import metadata
absent = [top for top, dists in metadata.packages_distributions().items()
          if top not in {own!r} and not {{d.lower().replace("_", "-") for d in dists}} & set({allowed!r})]
for top in absent:
    sys.modules[top] = None  # import fails, importlib.util.find_spec says None: not installed
for name in {modules(package)!r}:
    importlib.import_module(name)
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr[-2000:]


def test_importing_course_utils_changes_nothing():
    """No IPython hook, no plot style and no PyTorch until a notebook asks for them."""
    code = f"""
import importlib, sys
from IPython.core.interactiveshell import InteractiveShell
import matplotlib as mpl
shell = InteractiveShell.instance()
before = dict(mpl.rcParams)
import course_utils, course_utils.paths
assert "torch" not in sys.modules, "import course_utils imported torch"
for name in {modules(course_utils)!r}:
    importlib.import_module(name)
assert shell.custom_exceptions == (), shell.custom_exceptions
assert dict(mpl.rcParams) == before, "importing course_utils changed the plot style"
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr[-2000:]


SOURCES = sorted(
    p
    for package in ("course_utils", "course_tools")
    for p in (ROOT / package).rglob("*.py")
    if p.name != "__main__.py"
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_names_its_public_face(path):
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    loaded = importlib.import_module(module)
    declared = getattr(loaded, "__all__", None)
    assert declared is not None, f"{module}: say in __all__ which names are public"
    defined = {
        node.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    }
    missing = [name for name in declared if not hasattr(loaded, name)]
    assert not missing, f"{module}.__all__ names what it does not define: {missing}"
    unlisted = sorted(defined - set(declared))
    assert not unlisted, (
        f"{module}: list {unlisted} in __all__, or start their names with an underscore"
    )


def test_helpers_never_import_the_tools():
    for path in (ROOT / "course_utils").rglob("*.py"):
        assert "course_tools" not in {n.split(".")[0] for n in _imported(path)}, path


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {
                f"{node.module}.{alias.name}" for alias in node.names
            }  # a module or a name
    return names


def test_no_import_cycle_between_modules():
    """Module A importing B (at the top or inside a function) while B imports A is a cycle."""
    graph = {}
    for package in ("course_utils", "course_tools"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            graph[name] = {
                n for n in _imported(path) if n.split(".")[0] == package and n != package
            }
    cycles = []

    def visit(node, trail):
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append(" -> ".join(trail[trail.index(nxt) :] + [nxt]))
            elif nxt not in done:
                visit(nxt, trail + [nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    assert not cycles, "import cycles (move what both modules need into a third one): " + "; ".join(
        sorted(set(cycles))
    )
