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

One idea per module: ``reading`` (``Reading``, ``read_answer``, ``read_cells``: what an answer's code uses
and does), ``syntax`` (the cells parsed, the statements that bind a name, code that never runs),
``locating`` (where an answer's code is: the cells IPython ran, or its file) and ``names`` (what a
qualified name is: ``canonical``).

Example:
    >>> cells = ["import torch.nn.functional as F", "def bce(p, y):\\n    return F.binary_cross_entropy(p, y)"]
    >>> [str(use) for use in read_cells(cells, "bce").uses("torch.*binary_cross_entropy*")]
    ['F.binary_cross_entropy (torch.nn.functional.binary_cross_entropy) on line 2 of bce']
"""

from course_utils.code_reading.names import REFERENCES, canonical
from course_utils.code_reading.reading import Call, Reading, Use, read_answer, read_cells
from course_utils.code_reading.syntax import as_python

__all__ = [
    "REFERENCES",
    "Call",
    "Reading",
    "Use",
    "as_python",
    "canonical",
    "read_answer",
    "read_cells",
]
