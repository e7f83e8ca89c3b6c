"""The course's notebooks: where they are, their conventions, and the maintainer's tools.

``course check``, ``course clean``, ``course refresh`` and ``course badges`` (``course --help``)
call the functions here. Students never need this module.

Conventions it enforces (see README, "For maintainers"):

- files are ``notebooks/NN_short_name.ipynb``, stored with the kernelspec and language_info that
  JupyterLab writes for the course's kernel (``KERNELSPEC``, ``LANGUAGE_INFO``), so that opening a
  notebook does not modify it (``course clean`` and ``course refresh`` write them);
- code cells are stored without outputs or execution counts, except cells whose source has
  a line ``# NBVAL_CHECK_OUTPUT``: nbval compares those, so they keep both;
- the first cell is ``# NN · Title`` with the Colab badge for the configured repository and
  the learning goals; the last ``##`` section is the summary;
- checked cells whose outputs depend on the photos are tagged, and the notebook records the photo
  set they were made from (``course_tools.photo_cells``);
- one lab session long: at most ``MAX_CELLS`` cells and ``MAX_WORDS`` words of markdown prose
  (``notebook_size``, ``size_problems``; ``course check`` prints every notebook's size);
- one seed: the setup cell (the code cell after the Colab install) holds the line ``SEED = 0``
  and every seed in the notebook derives from it (``seed_everything(SEED)``,
  ``torch.manual_seed(SEED + 1)``, ``seed=SEED``), so that a benchmark can run the whole notebook on
  another seed by changing that one line (``seed_problems``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat

from course_tools import photo_cells
from course_utils.paths import atomic_write

__all__ = [
    "CHECK_MARKER",
    "KERNELSPEC",
    "LANGUAGE_INFO",
    "MAX_CELLS",
    "MAX_WORDS",
    "badge",
    "build_dir",
    "clean",
    "colab_install_line",
    "colab_url",
    "course_notebooks",
    "is_checked",
    "notebook_size",
    "problems",
    "project_root",
    "refresh",
    "repository_url",
    "seed_problems",
    "set_repository_links",
    "size_problems",
    "size_table",
    "write_notebook",
]

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
NAME_PATTERN = re.compile(r"^(\d\d)_[a-z0-9]+(?:_[a-z0-9]+)*\.ipynb$")
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_BADGE = re.compile(r"\[!\[Open In Colab\]\(" + re.escape(BADGE_IMAGE) + r"\)\]\(([^)]*)\)")
_SECTION = re.compile(r"^##\s+(.*)$", re.MULTILINE)
_INSTALL = re.compile(r'%pip install -q "course_utils @ git\+[^"]*"')
#: One lab session (45–90 minutes in class): at most this many cells and words of markdown prose.
MAX_CELLS = 50
MAX_WORDS = 2500
_WORD = re.compile(
    r"[^\W_]"
)  # a word holds a letter or a digit ("|", "---", "-" and "=" do not count)
#: The one seed line of a notebook's setup cell (a comment may follow it).
SEED_LINE = re.compile(r"^SEED = 0(?:\s+#.*)?$", re.MULTILINE)
_SEED_ASSIGNED = re.compile(r"^\s*SEED\s*=", re.MULTILINE)
#: A seed written as a number: manual_seed(1), seed_everything(0), np.random.seed(3), seed=0, random_state=42.
_LITERAL_SEED = re.compile(
    r"(?:\bmanual_seed|\bseed_everything|\brandom\.seed|\bdefault_rng)\(\s*\d"
    r"|\b(?:seed|random_state)\s*(?::\s*int\s*)?=\s*\d"
)
#: What JupyterLab stores when it opens a notebook on ipykernel's ``python3`` kernel: stored the same,
#: an opened notebook stays unmodified (tests/e2e/test_jupyterlab.py opens, saves and compares each).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: The kernel's language_info on the course's reference Python, 3.11.7; on another Python JupyterLab
#: rewrites its version when the kernel starts (no stored value can match every Python).
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.7",
}


def project_root(start: str | Path | None = None) -> Path:
    """The course checkout at or above ``start`` (default: the current folder).

    It is the nearest folder with a ``pyproject.toml`` and a ``notebooks/`` folder, so the tools
    work from any folder of the checkout, and from an installed package as well as an editable one.

    Example:
        >>> (project_root() / "notebooks").is_dir()
        True
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    raise FileNotFoundError(
        f"No course checkout (a folder with pyproject.toml and notebooks/) at or above {here}: "
        "run the course tools inside the course's folder."
    )


def build_dir(name: str) -> Path:
    """The default output folder ``build/<name>`` of the checkout (decided when a tool runs).

    Example:
        >>> build_dir("html").relative_to(project_root()).as_posix()
        'build/html'
    """
    return project_root() / "build" / name


def repository_url(pyproject: str | Path | None = None) -> str:
    """The course repository's URL, as configured in ``pyproject.toml``'s project URLs."""
    with open(pyproject or project_root() / "pyproject.toml", "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"]
    return url.rstrip("/")


def colab_url(notebook: str | Path, repo_url: str | None = None, branch: str = "main") -> str:
    """The link that opens ``notebooks/<name>`` from the repository on Colab.

    Example:
        >>> colab_url("00_start_here.ipynb", "https://github.com/me/course")
        'https://colab.research.google.com/github/me/course/blob/main/notebooks/00_start_here.ipynb'
    """
    repo_url = (repo_url or repository_url()).rstrip("/")
    prefix = "https://github.com/"
    if not repo_url.startswith(prefix):
        raise ValueError(
            f"Colab opens notebooks from GitHub; expected {prefix}OWNER/REPO, got {repo_url!r}"
        )
    path = repo_url[len(prefix) :]
    return f"https://colab.research.google.com/github/{path}/blob/{branch}/notebooks/{Path(notebook).name}"


def badge(notebook: str | Path, repo_url: str | None = None) -> str:
    """The markdown of the "Open in Colab" badge for a notebook."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, repo_url)})"


def colab_install_line(repo_url: str | None = None) -> str:
    """The line in each notebook's first code cell that installs the helpers on Colab."""
    return f'%pip install -q "course_utils @ git+{(repo_url or repository_url()).rstrip("/")}"'


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell whose output nbval compares (a line ``# NBVAL_CHECK_OUTPUT``)."""
    return cell.cell_type == "code" and any(
        line.strip() == CHECK_MARKER for line in cell.source.splitlines()
    )


def problems(path: str | Path, repo_url: str | None = None) -> list[str]:
    """Everything that breaks the notebook conventions, one readable line each (empty: fine)."""
    path = Path(path)
    found: list[str] = []
    match = NAME_PATTERN.match(path.name)
    if not match:
        found.append(
            f"{path.name}: name must look like NN_short_name.ipynb (two digits, lower case, underscores)"
        )
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file is a problem to report
        return found + [f"{path.name}: not a readable notebook ({err})"]
    for key, wanted in (("kernelspec", KERNELSPEC), ("language_info", LANGUAGE_INFO)):
        if nb.metadata.get(key) != wanted:
            found.append(
                f"{path.name}: metadata {key} must be what JupyterLab writes, {wanted}, found "
                f"{nb.metadata.get(key)!r} (run `course clean {path}`)"
            )
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            if not cell.outputs or cell.execution_count is None:
                found.append(
                    f"{path.name}: checked cell {i} needs stored outputs and an execution count "
                    "(run `make refresh NB=...`)"
                )
        else:
            if cell.outputs or cell.execution_count is not None:
                found.append(
                    f"{path.name}: code cell {i} has stored outputs or an execution count "
                    "(run `make clean-notebooks`)"
                )
            if any(tag.split(":")[0] == photo_cells.TAG for tag in cell.metadata.get("tags", [])):
                found.append(
                    f"{path.name}: code cell {i} is tagged {photo_cells.TAG} but is not checked "
                    f"({CHECK_MARKER}): only a checked cell's output depends on the photos"
                )
    found += photo_cells.problems(nb, path.name)
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return found + [f"{path.name}: the first cell must be the markdown title cell"]
    first = nb.cells[0].source
    number = match.group(1) if match else r"\d\d"
    if not re.match(rf"#\s+{number}\s+·\s+\S", first):
        found.append(f"{path.name}: the first cell must start with '# {number} · Title'")
    badges = _BADGE.findall(first)
    expected = colab_url(path.name, repo_url)
    if badges != [expected]:
        found.append(
            f"{path.name}: the first cell needs the Colab badge linking to {expected} "
            f"(found {badges or 'none'}; run `course badges`)"
        )
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    install = colab_install_line(repo_url)
    if not code or install not in code[0]:
        found.append(
            f"{path.name}: the first code cell must install the helpers on Colab with {install}"
        )
    if not re.search(r"(?i)learning goals", first):
        found.append(f"{path.name}: the first cell must list the learning goals")
    sections = [
        m for c in nb.cells if c.cell_type == "markdown" for m in _SECTION.findall(c.source)
    ]
    if not sections or "summary" not in sections[-1].lower():
        last = sections[-1] if sections else "none"
        found.append(f"{path.name}: the last '##' section must be the summary (found {last!r})")
    return found + seed_problems(nb, path.name)


def seed_problems(nb: nbformat.NotebookNode, name: str = "notebook") -> list[str]:
    """Where the notebook breaks the one-seed convention: ``SEED = 0`` in the setup cell, every seed from it.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys"),
        ...     nbformat.v4.new_code_cell("SEED = 0\\ng = seed_everything(SEED)"),
        ...     nbformat.v4.new_code_cell("gen = torch.Generator().manual_seed(1)")])
        >>> seed_problems(nb)  # doctest: +NORMALIZE_WHITESPACE
        ['notebook: code cell 2 writes a seed as a number (manual_seed(1): derive it from SEED, e.g. SEED + 1)']
    """
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    found = []
    setup = code[1] if len(code) > 1 else None
    if setup is None or len(SEED_LINE.findall(setup[1].source)) != 1:
        found.append(
            f"{name}: the setup cell (the code cell after the Colab install) must hold one line "
            "`SEED = 0`, from which every seed of the notebook derives"
        )
    for i, cell in code:
        if setup is not None and i != setup[0] and _SEED_ASSIGNED.search(cell.source):
            found.append(f"{name}: code cell {i} sets SEED again: set it once, in the setup cell")
        for match in _LITERAL_SEED.finditer(cell.source):
            end = cell.source.find(")", match.end())
            shown = cell.source[
                match.start() : end + 1 if "(" in match.group() and end != -1 else match.end()
            ]
            found.append(
                f"{name}: code cell {i} writes a seed as a number ({shown}: derive it from SEED, "
                "e.g. SEED + 1)"
            )
    return found


def notebook_size(nb: nbformat.NotebookNode) -> tuple[int, int]:
    """The number of cells (all kinds) and of words in the markdown cells.

    A word is a run of non-space characters holding a letter or a digit, so table rules and
    bullets do not count, while a formula or a link counts as the words it is written with.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · Two words"),
        ...     nbformat.v4.new_code_cell("x = 1 + 2"), nbformat.v4.new_markdown_cell("- a | b\\n---")])
        >>> notebook_size(nb)
        (3, 5)
    """
    words = sum(
        1
        for c in nb.cells
        if c.cell_type == "markdown"
        for w in c.source.split()
        if _WORD.search(w)
    )
    return len(nb.cells), words


def size_problems(path: str | Path) -> list[str]:
    """A line for each limit of one lab session the notebook at ``path`` is over (empty: fine).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "09_long.ipynb"
        >>> nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell() for _ in range(51)]), path)
        >>> size_problems(path)  # doctest: +ELLIPSIS
        ['09_long.ipynb: 51 cells, over the limit of 50 for one lab session (split the notebook, ...)']
    """
    path = Path(path)
    cells, words = notebook_size(nbformat.read(path, as_version=4))
    found = []
    if cells > MAX_CELLS:
        found.append(
            f"{path.name}: {cells} cells, over the limit of {MAX_CELLS} for one lab session "
            "(split the notebook, or merge small cells and move plumbing to course_utils)"
        )
    if words > MAX_WORDS:
        found.append(
            f"{path.name}: {words:,} words of markdown prose, over the limit of {MAX_WORDS:,} for one lab "
            "session (cut, or move background and evidence to the teacher's guide)"
        )
    return found


def size_table(paths: list[Path]) -> str:
    """Each notebook's cells and words of prose against the limits, as aligned text lines.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "09_short.ipynb"
        >>> nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 09 · Short")]), path)
        >>> print(size_table([path]))
        notebook        cells (max 50)  words (max 2,500)
        09_short.ipynb               1                  2
    """
    width = max([len(p.name) for p in paths] + [len("notebook")])
    lines = [f"{'notebook':<{width}}  cells (max {MAX_CELLS})  words (max {MAX_WORDS:,})"]
    for path in paths:
        cells, words = notebook_size(nbformat.read(path, as_version=4))
        over = "  <- over" if cells > MAX_CELLS or words > MAX_WORDS else ""
        lines.append(f"{path.name:<{width}}  {cells:>14}  {words:>17,}{over}")
    return "\n".join(lines)


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs, counts and run-time metadata, except from checked cells; store JupyterLab's kernelspec.

    Example:
        >>> nb = clean(nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}))
        >>> nb.metadata.kernelspec.display_name, nb.metadata.language_info.version
        ('Python 3 (ipykernel)', '3.11.7')
    """
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and not is_checked(cell):
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = nbformat.from_dict(KERNELSPEC)
    nb.metadata["language_info"] = nbformat.from_dict(LANGUAGE_INFO)
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write a notebook so that an interruption never leaves a half-written file."""
    atomic_write(Path(path), lambda tmp: nbformat.write(nb, tmp))


def refresh(path: str | Path, timeout: float = 900) -> None:
    """Execute a notebook, keep the outputs of its checked cells, store it clean.

    A notebook with cells that depend on the photos (``course_tools.photo_cells``) records the
    photo set they were made from: the one this run read.
    """
    from course_tools.execution import run_file
    from course_utils.photos import photo_set

    nb = clean(run_file(path, timeout))
    tagged = any(photo_cells.photo_tag(cell) is not None for cell in nb.cells)
    photo_cells.record_photo_set(nb, photo_set().name if tagged else None)
    write_notebook(nb, path)


def set_repository_links(path: Path, repo_url: str | None = None) -> bool:
    """Point the Colab badge and the Colab install line at the configured repository.

    Returns True if the notebook changed.
    """
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        new = _BADGE.sub(lambda _: badge(path.name, repo_url), cell.source)
        new = _INSTALL.sub(lambda _: colab_install_line(repo_url), new)
        changed |= new != cell.source
        cell.source = new
    if changed:
        write_notebook(nb, path)
    return changed


def course_notebooks(paths: list[str] | list[Path] | None = None) -> list[Path]:
    """The notebooks named in ``paths``, or every notebook of the course.

    Example:
        >>> course_notebooks()[0].name
        '00_start_here.ipynb'
    """
    if paths:
        return [Path(p) for p in paths]
    return sorted((project_root() / "notebooks").glob("*.ipynb"))


if __name__ == "__main__":  # the entry point before `course` existed: say where the tools went
    raise SystemExit(
        "The tools are subcommands of `course` now: `course refresh NB...` (or "
        "`python -m course_tools refresh NB...`); `course --help` lists them all."
    )
