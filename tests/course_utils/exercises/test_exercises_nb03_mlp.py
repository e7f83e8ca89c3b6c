"""Checks of notebook 03: accept right answers however written, reject a stub and typical mistakes."""

import math
import re
import textwrap

import numpy as np
import pytest
import torch
from both_ways import both
from torch import nn

from course_utils.checks import CheckFailed
from course_utils.exercises.nb03_mlp import (
    check_bce,
    check_count_parameters,
    reference_count_parameters,
)


def stub(*args):
    raise NotImplementedError()


def count_by_loop(sizes):
    total = 0
    for i in range(len(sizes) - 1):
        total += sizes[i] * sizes[i + 1] + sizes[i + 1]
    return total


@pytest.mark.parametrize(
    "right",
    [
        reference_count_parameters,
        count_by_loop,
        lambda s: int(np.dot(np.array(s[:-1]) + 1, s[1:])),
        lambda s: np.dot(np.array(s[:-1]) + 1, s[1:]),  # NumPy's int64 is an integer too
    ],
)
def test_right_counts_pass(right, capsys):
    check_count_parameters(right)
    assert capsys.readouterr().out.strip() == "✅ count_parameters is correct"


@pytest.mark.parametrize(
    "right",
    [
        lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean(),
        lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log1p(-p)).sum() / len(p),
        lambda p, y: -torch.where(y == 1, p, 1 - p).log().mean(),
        lambda p, y: -torch.mean(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p)),
        lambda p, y: (
            -(
                y * p.clamp(1e-7, 1 - 1e-7).log() + (1 - y) * (1 - p.clamp(1e-7, 1 - 1e-7)).log()
            ).mean()
        ),
    ],
)
def test_right_bce_pass(right, capsys):
    check_bce(right)
    assert capsys.readouterr().out.strip() == "✅ bce is correct"


@pytest.mark.parametrize("check", [check_count_parameters, check_bce])
def test_stub_says_not_written_yet(check):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(stub)


def count_with_pytorch(sizes):
    layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    return sum(p.numel() for layer in layers for p in layer.parameters())


@pytest.mark.parametrize(
    "wrong, match",
    [
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), "weights only"),
        (
            lambda s: sum(a * b + a for a, b in zip(s[:-1], s[1:])),
            "n_in·n_out weights plus n_out biases",
        ),
        (
            lambda s: float(reference_count_parameters(s)),
            "returned float 54.0; it should return a Python int",
        ),
        (
            lambda s: torch.tensor(reference_count_parameters(s)),
            "returned a tensor; it should return a Python int",
        ),
        (lambda s: str(reference_count_parameters(s)), "returned str '54'"),
        (lambda s: 54, r"returned 54, expected 3"),
        (count_with_pytorch, "built PyTorch layers"),
    ],
)
def test_wrong_counts_are_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_count_parameters(wrong)


@pytest.mark.parametrize(
    "wrong, match",
    [
        (lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).sum(), "take the mean"),
        (lambda p, y: (y * p.log() + (1 - y) * (1 - p).log()).mean(), "wrong sign"),
        (lambda p, y: -(y * p.log()).mean(), "add the"),
        (lambda p, y: ((p - y) ** 2).mean(), "expected"),
        (
            lambda p, y: nn.BCELoss()(p, y),
            r"PyTorch's own loss \(nn.BCELoss \(torch.nn.BCELoss\) on line 1 of bce\)",
        ),
        (lambda p, y: nn.functional.binary_cross_entropy(p, y), "PyTorch's own loss"),
        (lambda p, y: nn.BCEWithLogitsLoss()(torch.logit(p), y), "nn.BCEWithLogitsLoss"),
        (
            lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean().item(),
            r"returned a float; .*no \.item\(\)",
        ),
        (lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean().detach(), "no gradient"),
        (
            lambda p, y: torch.tensor(
                -np.mean(
                    [
                        yi * math.log(pi) + (1 - yi) * math.log(1 - pi)
                        for pi, yi in zip(p.tolist(), y.tolist())
                    ]
                )
            ),
            "no gradient",
        ),
        (lambda p, y: -(y * p.log() + (1 - y) * (1 - p.detach()).log()).mean(), "wrong gradient"),
        (lambda p, y: "0.39", "returned a str"),
    ],
)
def test_wrong_bce_is_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_bce(wrong)


# ---------------------------------------------------------------- exercise 8.3: XorMLP and train

from course_utils.exercises.nb03_mlp import check_train, check_xor_mlp  # noqa: E402

F = nn.functional


class TanhNet(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.hidden = nn.Linear(2, hidden)
        self.output = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.output(torch.tanh(self.hidden(x)))


def net_class(forward=None, init=None):
    """A class like TanhNet with its forward (or __init__) replaced: one typical mistake each."""
    body = {}
    if forward is not None:
        body["forward"] = forward
    if init is not None:
        body["__init__"] = init
    return type("XorMLP", (TanhNet,), body)


class SequentialNet(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.layers(x)


@pytest.mark.parametrize(
    "right",
    [
        TanhNet,
        SequentialNet,
        net_class(forward=lambda self, x: self.output(torch.sigmoid(self.hidden(x)))),
        net_class(
            forward=lambda self, x: self.output(nn.functional.leaky_relu(self.hidden(x), 0.1))
        ),
    ],
)
def test_right_networks_pass(right, capsys):
    check_xor_mlp(right)
    assert capsys.readouterr().out.strip().startswith("✅ XorMLP is correct")


def init_without_super(self, hidden):
    self.hidden = nn.Linear(2, hidden)
    self.output = nn.Linear(hidden, 1)


def init_with_list(self, hidden):
    nn.Module.__init__(self)
    self.layers = [nn.Linear(2, hidden), nn.Linear(hidden, 1)]


def init_fixed_size(self, hidden):
    nn.Module.__init__(self)
    self.hidden = nn.Linear(2, 4)
    self.output = nn.Linear(4, 1)


def init_two_hidden(self, hidden):
    nn.Module.__init__(self)
    self.hidden = nn.Linear(2, hidden)
    self.middle = nn.Linear(hidden, hidden)
    self.output = nn.Linear(hidden, 1)


def init_empty(self, hidden):
    nn.Module.__init__(self)


class NotAModule:
    def __init__(self, hidden):
        self.net = TanhNet(hidden)

    def __call__(self, x):
        return self.net(x)


class DropoutNet(TanhNet):
    def forward(self, x):
        return self.output(nn.functional.dropout(torch.tanh(self.hidden(x)), 0.5, training=True))


@pytest.mark.parametrize(
    "wrong, match",
    [
        (net_class(init=init_without_super), r"call super\(\).__init__\(\) as the first line"),
        (NotAModule, "inherit from nn.Module"),
        (
            net_class(
                init=init_with_list,
                forward=lambda self, x: self.layers[1](torch.tanh(self.layers[0](x))),
            ),
            "no parameters PyTorch can see",
        ),
        (
            net_class(
                init=init_empty,
                forward=lambda self, x: nn.Linear(4, 1)(torch.tanh(nn.Linear(2, 4)(x))),
            ),
            "no parameters PyTorch can see",
        ),
        (net_class(init=init_fixed_size), "both have 17 parameters: use the argument `hidden`"),
        (
            net_class(
                init=init_two_hidden,
                forward=lambda self, x: self.output(
                    torch.tanh(self.middle(torch.tanh(self.hidden(x))))
                ),
            ),
            "has 37 parameters, expected 17",
        ),
        (
            net_class(forward=lambda self, x: self.output(torch.tanh(self.hidden(x))).squeeze(1)),
            r"returned shape \(16,\) for 16 examples; return shape \(16, 1\)",
        ),
        (
            net_class(forward=lambda self, x: self.output(torch.tanh(self.hidden(x))).repeat(1, 2)),
            "the last layer should have 1 output",
        ),
        (net_class(forward=lambda self, x: None), "forward must `return`"),
        (
            net_class(forward=lambda self, x: self.output(self.hidden(x))),
            "linear function of its input",
        ),
        (
            net_class(
                forward=lambda self, x: torch.sigmoid(self.output(torch.tanh(self.hidden(x))))
            ),
            "applies a sigmoid to its output: return the raw scores",
        ),
        (
            net_class(
                forward=lambda self, x: torch.sigmoid(self.output(torch.relu(self.hidden(x))))
            ),
            "applies a sigmoid to its output",
        ),
        (DropoutNet, "different outputs for the same input"),
        (stub, "XorMLP\\(4\\) is not written yet"),
    ],
)
def test_wrong_networks_are_explained(wrong, match):
    if wrong is stub:
        wrong = type("XorMLP", (), {"__init__": lambda self, hidden: stub()})
    with pytest.raises(CheckFailed, match=match):
        check_xor_mlp(wrong)


def make_train(
    *,
    zero_grad="before_backward",
    step=True,
    loss="logits",
    optimizer=torch.optim.Adam,
    fresh_optimizer=False,
    record="item",
    lr_scale=1.0,
    new_model=False,
    late=False,
    count=0,
):
    """A training loop with one typical mistake (the defaults make the right loop)."""

    def train(model, X, y, steps, lr):
        if new_model:
            model = TanhNet(4)
        opt = optimizer(model.parameters(), lr=lr * lr_scale)
        losses = []
        for _ in range(steps + count):
            if fresh_optimizer:
                opt = optimizer(model.parameters(), lr=lr)
            if zero_grad == "first":
                opt.zero_grad()
            out = model(X)
            if loss == "logits":
                value = F.binary_cross_entropy_with_logits(out.squeeze(1), y)
            elif loss == "module":
                value = nn.BCEWithLogitsLoss()(out, y.unsqueeze(1))
            elif loss == "sigmoid_bce":
                value = nn.BCELoss()(torch.sigmoid(out).squeeze(1), y)
            elif loss == "twice":
                value = F.binary_cross_entropy_with_logits(torch.sigmoid(out).squeeze(1), y)
            elif loss == "sum":
                value = F.binary_cross_entropy_with_logits(out.squeeze(1), y, reduction="sum")
            elif loss == "mse":
                value = F.mse_loss(torch.sigmoid(out).squeeze(1), y)
            elif loss == "unsqueezed":
                value = F.binary_cross_entropy_with_logits(out, y)
            if zero_grad == "before_backward":
                opt.zero_grad()
            value.backward()
            if zero_grad == "after_backward":
                opt.zero_grad()
            if step:
                opt.step()
            if late:
                with torch.no_grad():
                    value = F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
            losses.append(
                value.item()
                if record == "item"
                else value
                if record == "tensor"
                else float(value.detach())
            )
        return None if record == "none" else losses

    return train


@pytest.mark.parametrize(
    "right",
    [
        make_train(),
        make_train(zero_grad="first"),
        make_train(loss="module"),
        make_train(loss="sigmoid_bce"),
        make_train(record="float"),
    ],
)
def test_right_loops_pass(right, capsys):
    check_train(right)
    assert (
        capsys.readouterr().out.strip()
        == "✅ train is correct (the same losses as a correct loop, step by step)"
    )


@pytest.mark.parametrize(
    "wrong, match",
    [
        (make_train(zero_grad="never"), "without optimizer.zero_grad\\(\\): the gradients add up"),
        (make_train(step=False), "loss never changes: the parameters are not updated"),
        (make_train(zero_grad="after_backward"), "loss never changes"),
        (make_train(loss="twice"), "applies the sigmoid twice"),
        (make_train(loss="sum"), "sum of the losses"),
        (make_train(loss="mse"), "mean squared error of the probabilities"),
        (make_train(loss="unsqueezed"), r"compare model\(X\).squeeze\(1\) with y"),
        (make_train(fresh_optimizer=True), "creates a new optimizer in every step"),
        (make_train(optimizer=torch.optim.SGD), "losses are those of torch.optim.SGD"),
        (make_train(record="tensor"), r"losses are tensors; append loss.item\(\)"),
        (make_train(record="none"), "train returned None"),
        (make_train(count=-1), "returned 11 losses; return one per step, 12"),
        (make_train(late=True), "one step late"),
        (make_train(new_model=True), "train the model passed in"),
        (
            make_train(lr_scale=0.1),
            r"train\(\.\.\., steps=12, lr=0.1\): the loss at step 1 is .*, a correct loop's is",
        ),
        (lambda model, X, y, steps, lr: torch.zeros(steps), "returned a tensor"),
        (stub, "train is not written yet"),
    ],
)
def test_wrong_loops_are_explained(wrong, match):
    torch.manual_seed(0)  # the loop that makes its own network draws it from the global stream
    with pytest.raises(CheckFailed, match=match):
        check_train(wrong)


def test_checks_leave_the_random_stream_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_train(make_train())
    assert torch.equal(torch.rand(3), expected)


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"


def xor_mlp(init, forward):
    """The cells of a notebook whose XorMLP has this ``__init__`` body and this ``forward`` body."""
    return [
        HEAD,
        "class XorMLP(nn.Module):\n    def __init__(self, hidden):\n        super().__init__()\n"
        + textwrap.indent(init, " " * 8)
        + "\n\n    def forward(self, x):\n"
        + textwrap.indent(forward, " " * 8),
    ]


LINEAR = "self.hidden = nn.Linear(2, hidden)\nself.output = nn.Linear(hidden, 1)"
XOR_CHECK = "from course_utils.exercises.nb03_mlp import check_xor_mlp\ncheck_xor_mlp(XorMLP)"


@pytest.mark.parametrize(
    "init, forward",
    [
        (
            "self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))",
            "return self.net(x)",
        ),
        (LINEAR, "h = torch.sigmoid(self.hidden(x))\nreturn self.output(h)"),
        # its own parameters, stored transposed (x @ W): the probes find the output layer by its shapes
        (
            "self.W1 = nn.Parameter(torch.randn(2, hidden))\nself.b1 = nn.Parameter(torch.zeros(hidden))\n"
            "self.W2 = nn.Parameter(torch.randn(hidden, 1) / hidden ** 0.5)\nself.b2 = nn.Parameter(torch.zeros(1))",
            "return torch.tanh(x @ self.W1 + self.b1) @ self.W2 + self.b2",
        ),
    ],
)
def test_right_networks_pass_both_ways(init, forward):
    assert both(XOR_CHECK, xor_mlp(init, forward))[0] == "pass"


@pytest.mark.parametrize(
    "init, forward, match",
    [
        (
            LINEAR,
            "return torch.tanh(self.output(torch.tanh(self.hidden(x))))",
            r"XorMLP\(16\) applies tanh .* to its output: return the raw scores",
        ),
        (
            LINEAR,
            "return torch.relu(self.output(torch.relu(self.hidden(x))))",
            r"applies a ReLU .* to its output: return the raw scores of the last layer \(logits\)",
        ),
        (
            LINEAR,
            "return torch.sigmoid(self.output(torch.tanh(self.hidden(x))))",
            "applies a sigmoid to its output: .* BCEWithLogitsLoss applies the sigmoid itself, so it would be applied twice",
        ),
        (LINEAR, "return self.output(self.hidden(x))", "XorMLP is a linear function of its input"),
        (
            "self.hidden = nn.Linear(2, 8)\nself.output = nn.Linear(8, 1)",
            "return self.output(torch.tanh(self.hidden(x)))",
            r"XorMLP\(4\) and XorMLP\(16\) both have 33 parameters: use the argument `hidden`",
        ),
        (
            LINEAR,
            "return self.output(torch.tanh(self.hidden(torch.ones(len(x), 2))))",
            "gives the same output whatever the input: forward must compute from its argument x",
        ),
        (
            LINEAR,
            "return self.output(torch.sign(self.hidden(x)))",
            r"hidden.weight gets a gradient of 0 everywhere, .* the activation has no slope",
        ),
        (
            LINEAR,
            "return self.output(torch.tanh(self.hidden(x)).detach())",
            "hidden.weight gets no gradient: use every layer in forward, and no .detach()",
        ),
        (
            "self.size = hidden",
            "return nn.Linear(self.size, 1)(torch.tanh(nn.Linear(2, self.size)(x)))",
            r"XorMLP\(4\) has no parameters PyTorch can see",
        ),
        (
            LINEAR,
            "return self.output(torch.tanh(self.hidden(x))).reshape(4, 1)",
            r"XorMLP\(4\)\(x\) raised RuntimeError: .* Likely cause: a view or reshape with a size typed in",
        ),
    ],
)
def test_wrong_networks_get_their_message_both_ways(init, forward, match):
    state, message = both(XOR_CHECK, xor_mlp(init, forward))
    assert state == "fail" and re.search(match, message), message


def test_a_class_that_forgets_super_init_is_told_so_both_ways():
    cells = [
        HEAD,
        "class XorMLP(nn.Module):\n    def __init__(self, hidden):\n        self.hidden = nn.Linear(2, hidden)\n",
    ]
    assert both(XOR_CHECK, cells) == (
        "fail",
        "XorMLP(4): call super().__init__() as the first line of __init__, "
        "before creating any layer.",
    )


BCE_CHECK = "from course_utils.exercises.nb03_mlp import check_bce\ncheck_bce(bce)"


@pytest.mark.parametrize(
    "cells",
    [
        [HEAD, "def bce(p, y):\n    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()"],
        [
            HEAD,
            "def bce(p, y):\n    picked = torch.where(y == 1, p, 1 - p)\n    return -picked.log().sum() / len(p)",
        ],
        [
            HEAD,
            "def log_term(p, y):\n    return y * torch.log(p)\n",
            "bce = lambda p, y: -(log_term(p, y) + log_term(1 - p, 1 - y)).mean()",
        ],
    ],
)
def test_right_bce_passes_both_ways(cells):
    assert both(BCE_CHECK, cells)[0] == "pass"


@pytest.mark.parametrize(
    "cells, match",
    [
        (
            [HEAD, "def bce(p, y):\n    return F.binary_cross_entropy(p, y)"],
            r"\(F.binary_cross_entropy \(torch.nn.functional.binary_cross_entropy\) on line 2 of bce\)",
        ),
        (
            [
                "from torch.nn.functional import binary_cross_entropy as mean_log_loss\n",
                "def bce(p, y):\n    return mean_log_loss(p, y)",
            ],
            r"\(mean_log_loss \(torch.nn.functional.binary_cross_entropy\) on line 2 of bce\)",
        ),
        (
            [
                HEAD,
                "if True:\n    def helper(p, y):\n        return nn.BCELoss()(p, y)\n",
                "def bce(p, y):\n    return helper(p, y)",
            ],
            r"\(nn.BCELoss \(torch.nn.BCELoss\) on line 2 of helper\)",
        ),
        (
            [
                HEAD,
                "loss_fn = getattr(F, 'binary_cross_entropy')\n",
                "def bce(p, y):\n    return loss_fn(p, y)",
            ],
            r"\(loss_fn \(torch.nn.functional.binary_cross_entropy\) on line 2 of bce\)",
        ),
        (
            [
                HEAD,
                "def bce(p, y):\n    if False:\n        return nn.BCELoss()(p, y)\n    return -(y * p.log()).mean()",
            ],
            r"\(nn.BCELoss \(torch.nn.BCELoss\) on line 3 of bce, in code that never runs\)",
        ),
        (
            [
                HEAD,
                "def bce(p, y):\n    return F.nll_loss(torch.stack([1 - p, p], 1).log(), y.long())",
            ],
            r"\(F.nll_loss \(torch.nn.functional.nll_loss\) on line 2",
        ),
        (
            [
                HEAD,
                "def bce(p, y):\n    name = 'binary_cross_entropy'\n    return getattr(F, name)(p, y)",
            ],
            r"bce runs code the check cannot read \(getattr\(F, name\) on line 3 of bce\)",
        ),
        (
            [
                "from course_utils.exercises.nb03_mlp.parameters_and_bce "
                "import _reference_bce as bce"
            ],
            r"bce is imported \(from course_utils.exercises.nb03_mlp.parameters_and_bce\), "
            "not written in the notebook",
        ),
    ],
)
def test_pytorchs_own_loss_is_found_however_it_is_reached_both_ways(cells, match):
    state, message = both(BCE_CHECK, cells)
    assert state == "fail" and re.search(match, message), message


COUNT_CHECK = "from course_utils.exercises.nb03_mlp import check_count_parameters\ncheck_count_parameters(count_parameters)"


@pytest.mark.parametrize(
    "cells, state",
    [
        (
            [
                HEAD,
                "def count_parameters(sizes):\n    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))",
            ],
            "pass",
        ),
        (
            [
                "from torch.nn import Linear as Layer\n",
                "def count_parameters(sizes):\n    layers = [Layer(a, b) for a, b in "
                "zip(sizes, sizes[1:])]\n    return sum(p.numel() for l in layers for p in l.parameters())",
            ],
            r"built PyTorch layers to count their parameters \(Layer \(torch.nn.Linear\) on line 2 of count_parameters\)",
        ),
        (
            [
                "from course_utils.mlp import mlp\n",
                "def count_parameters(sizes):\n    net = mlp(sizes[0], sizes[1:-1], "
                "n_out=sizes[-1])\n    return sum(p.numel() for p in net.parameters())",
            ],
            r"\(mlp \(course_utils.mlp.mlp\) on line 2 of count_parameters\)",
        ),
    ],
)
def test_count_parameters_rule_both_ways(cells, state):
    got, message = both(COUNT_CHECK, cells)
    assert got == state if state == "pass" else got == "fail" and re.search(state, message), message


TRAIN_CHECK = "from course_utils.exercises.nb03_mlp import check_train\ncheck_train(train)"
TRAIN_RIGHT = """def train(model, X, y, steps, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses"""


@pytest.mark.parametrize(
    "answer",
    [
        TRAIN_RIGHT,
        TRAIN_RIGHT.replace("        optimizer.zero_grad()\n", "")
        .replace("optimizer.step()\n", "optimizer.step()\n        optimizer.zero_grad()\n")
        .replace(
            "F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)",
            "nn.BCEWithLogitsLoss()(model(X)[:, 0], y)",
        ),
    ],
)
def test_right_loops_pass_both_ways(answer):
    assert both(TRAIN_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            TRAIN_RIGHT.replace("lr=lr", "lr=0.1"),
            r"train\(\.\.\., steps=5, lr=0.03\) trained with another learning rate",
        ),
        (
            TRAIN_RIGHT.replace("range(steps)", "range(12)"),
            r"returned 12 losses; return one per step, 5: loop",
        ),
        (
            TRAIN_RIGHT.replace("        optimizer.zero_grad()\n", ""),
            "without optimizer.zero_grad()",
        ),
        (TRAIN_RIGHT.replace("Adam", "SGD"), "losses are those of torch.optim.SGD"),
        (
            TRAIN_RIGHT.replace("model(X).squeeze(1)", "torch.sigmoid(model(X).squeeze(1))"),
            "applies the sigmoid twice",
        ),
        (
            TRAIN_RIGHT.replace("model(X).squeeze(1), y)", "model(X).squeeze(1).detach(), y)"),
            r"train raised RuntimeError: .* Likely cause: backward\(\) was called on a tensor without a graph",
        ),
    ],
)
def test_wrong_loops_get_their_message_both_ways(answer, match):
    state, message = both(TRAIN_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message
