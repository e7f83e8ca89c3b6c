"""Submissions for the grading tests: the example notebook (``notebook_factory``) answered honestly,
plainly wrongly, or with an attack from ``tests/redteam/`` in it; answers to checks that watch *how*."""

from pathlib import Path

import nbformat
import pytest
from notebook_factory import course_notebook

from course_tools import student
from course_tools.grading.limits import Limits
from course_tools.grading.sandbox import bwrap_path

ISOLATE = (
    bwrap_path() is not None
)  # without bubblewrap (macOS) the tests grade unisolated, as the teacher must ask
needs_bwrap = pytest.mark.skipif(not ISOLATE, reason="bubblewrap cannot make a sandbox here")
HEAD = "import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, Dataset"
ATTACKS = Path(__file__).parent / "redteam"
LIMITS = Limits(seconds=60, memory_mb=2000, processes=64)
WRONG_DOUBLE = "def double(x):\n    return 2 * x + 1"
RIGHT_DOUBLE = course_notebook().cells[7].source
WRONG = {"double": "fail", "total": "fail"}


def attack(name, **fill):
    source = (ATTACKS / f"{name}.py").read_text(encoding="utf-8")
    for key, value in fill.items():
        source = source.replace(f"__{key}__", value)
    return source


def submission(
    *cells_before_total_check,
    after_checks=(),
    double=WRONG_DOUBLE,
    total="total = 11.0",
    before_double=(),
):
    """The student notebook with ``double`` and ``total`` answered and attack cells inserted."""
    nb = student.student_version(course_notebook())
    nb.cells[7].source, nb.cells[10].source = double, total
    nb.cells[11:11] = [nbformat.v4.new_code_cell(c) for c in cells_before_total_check]
    nb.cells[7:7] = [nbformat.v4.new_code_cell(c) for c in before_double]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in after_checks]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return nb


# ---------------------------------------------------------------- a notebook whose checks watch *how*

GRADIENT_CHECKS = {
    "bce": "from course_utils.exercises.nb03_mlp import check_bce\ncheck_bce(bce)",
    "derivative": "from course_utils.exercises.nb01_tensors import check_derivative, check_pairwise_sq_distances\n"
    "check_derivative(derivative)",
    "pairwise_sq_distances": "check_pairwise_sq_distances(pairwise_sq_distances)",
    "Pairs": "from course_utils.exercises.nb02_linear_regression import check_dataset, check_homework\n"
    "check_dataset(Pairs)\ntrain = Pairs(torch.rand(800, 1), torch.rand(800, 1))\n"
    "loader = DataLoader(train, batch_size=32, shuffle=True)\nxb, yb = next(iter(loader))",
    "fit_linear_regression": "check_homework(fit_linear_regression, seed=MY_SEED)",
    # Not rules on how, but answers that are classes, loops and in-place changes: all across the sandbox.
    "standardize": "from course_utils.exercises.nb02_linear_regression import check_standardize\n"
    "check_standardize(standardize)",
    "XorMLP": "from course_utils.exercises.nb03_mlp import check_train, check_xor_mlp\ncheck_xor_mlp(XorMLP)",
    "train": "check_train(train)",
}
RIGHT = {
    "bce": "def bce(p, y):\n    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()",
    "derivative": "def derivative(f, x0):\n    x = torch.tensor(x0, requires_grad=True)\n    f(x).backward()\n"
    "    return x.grad.item()",
    "pairwise_sq_distances": "def pairwise_sq_distances(A, B):\n    return ((A[:, None] - B[None]) ** 2).sum(-1)",
    "Pairs": "class Pairs(Dataset):\n    def __init__(self, X, y):\n        self.X, self.y = X, y\n"
    "    def __len__(self):\n        return len(self.X)\n    def __getitem__(self, i):\n"
    "        return self.X[i], self.y[i]",
    "fit_linear_regression": """MY_SEED = 7
def fit_linear_regression(X, y, seed):
    torch.manual_seed(seed)
    mean, std = X.mean(0), X.std(0)
    loader = DataLoader(Pairs((X - mean) / std, y[:, None]), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model, loss_fn = nn.Linear(4, 1), nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=8, gamma=0.3)
    for epoch in range(24):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        scheduler.step()
    w, b = model.weight.detach().squeeze(0), model.bias.detach().squeeze(0)
    return w / std, b - (w * mean / std).sum()""",
    "standardize": "def standardize(X_train, X_test):\n    mean, std = X_train.mean(0), X_train.std(0)\n"
    "    return (X_train - mean) / std, (X_test - mean) / std",
    "XorMLP": "class XorMLP(nn.Module):\n    def __init__(self, hidden):\n        super().__init__()\n"
    "        self.hidden, self.output = nn.Linear(2, hidden), nn.Linear(hidden, 1)\n"
    "    def forward(self, x):\n        return self.output(torch.tanh(self.hidden(x)))",
    "train": "def train(model, X, y, steps, lr):\n    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
    "    losses = []\n    for _ in range(steps):\n"
    "        loss = nn.functional.binary_cross_entropy_with_logits(model(X).squeeze(1), y)\n"
    "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n"
    "        losses.append(loss.item())\n    return losses",
}


def solution(answer):
    """The answer's code with its body marked as the solution (after the def or class line)."""
    lines = answer.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith(("def ", "class ")))
    return "\n".join(
        [*lines[: head + 1], "    ### BEGIN SOLUTION", *lines[head + 1 :], "    ### END SOLUTION"]
    )


def stored_notebook(cells, prefix):
    """A notebook of ``cells`` as the course stores one: a kernel, and cell ids starting with ``prefix``."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i, cell in enumerate(nb.cells):
        cell.id = f"{prefix}{i}"
    return nb


def report_files(folder):
    return {
        p.name: p.read_bytes().decode("utf-8") for p in folder.iterdir() if p.is_file()
    }  # strict UTF-8
