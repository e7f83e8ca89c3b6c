"""The prose check: a notebook's text may only quote numbers that its checked cells print.

A sentence such as "the regularised CNN reaches 0.543" goes stale as soon as the code, the data
or a library changes, and nothing fails. This check makes such drift a test failure. The rule:

1. **Every decimal number in a markdown cell** (``0.543``, ``1.25``, ``5.58e+06``; the sign is
   ignored) must equal, as a number, a decimal printed in a stored output of a
   ``# NBVAL_CHECK_OUTPUT`` cell (nbval makes CI reproduce those outputs), or a number literal in
   the *code* of a code cell (a constant the notebook itself sets, such as ``lr = 0.05``;
   comments and strings do not count). "0.5" matches a printed "0.50".
2. **Section numbers** ("section 7.3", "Exercise 11.2", "§ 8.3") must name a heading
   (``### 7.3 ...``) or an exercise (``**Exercise 11.2 ...``) of the same notebook.
3. Not checked: integers (counts, sizes, years, epochs: usually the notebook's own settings),
   version numbers with two or more dots (``2.4.1``), numbers inside links, URLs and inline
   code spans (`` `dropout=0.3` `` is code for the reader to type, not a claim), and the number
   of a heading itself.
4. A fact from outside the notebook that no cell can print ("ImageNet has 1.3 million photos")
   is declared in the notebook's metadata with its source, where a reviewer sees it:
   ``"course": {"prose_allow": {"1.3": "ImageNet-1k training set size, image-net.org"}}``.

Example:
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("lr = 0.05"),
    ...     nbformat.v4.new_markdown_cell("With lr 0.05 the loss reaches 0.543 (see section 7.3)."),
    ... ])
    >>> for line in notebook_problems(nb):
    ...     print(line)
    cell 1: "section 7.3" names no heading or exercise of this notebook
    cell 1: 0.543 is not printed by any # NBVAL_CHECK_OUTPUT cell and is no constant in the code
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat

__all__ = ["notebook_problems", "problems"]

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"

#: An unsigned decimal (optionally with an exponent) that is not part of a version number x.y.z.
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?:[eE][+-]?\d+)?(?![\w]|\.\d)")
#: A reference to a numbered section or exercise: "section 7.3", "Exercise 11.2", "§ 8.3".
REFERENCE = re.compile(r"(?i)(?<!\w)(sections?|exercises?|§)\s*(\d+(?:\.\d+)+)")
#: What a section number is defined by: a heading "### 7.3 Title" or "**Exercise 11.2 · ...".
DEFINITION = re.compile(r"(?im)^\s*(?:#+\s*|\*\*exercise\s+)(\d+(?:\.\d+)+)")
#: Text that holds numbers which are not claims: link targets, bare URLs, heading numbers.
NOT_PROSE = re.compile(
    r"\]\([^)]*\)|<?https?://\S+|`[^`\n]*`|^\s*#+\s*\d+(?:\.\d+)*\.?", re.MULTILINE
)


def _decimals(text: str) -> set[float]:
    return {float(m.group()) for m in DECIMAL.finditer(text)}


def _output_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append(out["text"])
        for key in ("text/plain", "text/markdown", "text/html"):
            if key in out.get("data", {}):
                parts.append(out["data"][key])
        if out.get("output_type") == "error":
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def _code_literals(source: str) -> set[float]:
    """Number literals in Python code, ignoring comments, strings and IPython magics."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    numbers: set[float] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if tok.type == tokenize.NUMBER and not tok.string.endswith(("j", "J")):
                numbers.add(
                    float(tok.string.replace("_", ""))
                    if "." in tok.string or "e" in tok.string.lower()
                    else float(int(tok.string, 0))
                )
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        pass  # a cell that does not tokenise contributes the literals found before the error
    return numbers


def notebook_problems(nb: nbformat.NotebookNode) -> list[str]:
    """The prose problems of one notebook, as ``"cell N: ..."`` lines (empty when it is clean)."""
    printed: set[float] = set()
    constants: set[float] = set()
    defined: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            constants |= _code_literals(cell.source)
            if cell.source.lstrip().startswith(CHECK_MARKER):
                printed |= _decimals(_output_text(cell))
        elif cell.cell_type == "markdown":
            defined |= {m.group(1) for m in DEFINITION.finditer(cell.source)}
    allowed = nb.metadata.get("course", {}).get("prose_allow", {})
    if not isinstance(allowed, dict):
        raise ValueError(
            'metadata "course"/"prose_allow" must map each number to its source, '
            'e.g. {"1.3": "ImageNet-1k training set size, image-net.org"}'
        )
    known = printed | constants | {float(number) for number in allowed}
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = NOT_PROSE.sub(" ", cell.source)
        references = list(REFERENCE.finditer(text))
        for m in references:
            if m.group(2) not in defined:
                problems.append(
                    f'cell {i}: "{m.group(1).lower()} {m.group(2)}" names no heading or '
                    "exercise of this notebook"
                )
        for m in references[::-1]:
            text = text[: m.start()] + " " + text[m.end() :]
        seen = set()
        for m in DECIMAL.finditer(text):
            if float(m.group()) not in known and m.group() not in seen:
                seen.add(m.group())
                problems.append(
                    f"cell {i}: {m.group()} is not printed by any {CHECK_MARKER} cell "
                    "and is no constant in the code"
                )
    return problems


def problems(path: str | Path) -> list[str]:
    """The prose problems of the notebook at ``path``, each line starting with the file name.

    Example:
        >>> import nbformat, tempfile
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("It scores 0.9.")])
        >>> path = Path(tempfile.mkdtemp()) / "07_x.ipynb"
        >>> nbformat.write(nb, path)
        >>> problems(path)
        ['07_x.ipynb cell 0: 0.9 is not printed by any # NBVAL_CHECK_OUTPUT cell and is no constant in the code']
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}: give the path of an .ipynb file")
    nb = nbformat.read(path, as_version=4)
    return [f"{path.name} {line}" for line in notebook_problems(nb)]
