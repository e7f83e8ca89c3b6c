"""Checks of notebook 04: right answers pass however written; a stub and each typical mistake get
their own actionable message."""

import copy
import re
import textwrap

import pytest
import torch
import torch.nn.functional as F
from both_ways import both
from torch import nn

from course_utils.checks import CheckFailed
from course_utils.exercises.nb04_spiral import (
    check_early_stopping,
    check_spiral_net,
    reference_early_stopping,
    reference_parameters,
)
from course_utils.exercises.nb04_spiral import (
    reference_SpiralNet as SequentialNet,
)  # the notebook's solution


def stub(*args, **kwargs):
    raise NotImplementedError()


# ---------------------------------------------------------------- SpiralNet: right answers


class ModuleListNet(nn.Module):
    """Hidden layers in an nn.ModuleList, the activation and dropout written in forward."""

    def __init__(self, n_in, hidden, dropout=0.0):
        super().__init__()
        sizes = [n_in, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.hidden:
            x = self.drop(torch.tanh(layer(x)))
        return self.out(x)


class FunctionalDropoutNet(ModuleListNet):
    """F.dropout with training=self.training is right too."""

    def __init__(self, n_in, hidden, dropout=0.0):
        super().__init__(n_in, hidden, dropout)
        self.p = dropout

    def forward(self, x):
        for layer in self.hidden:
            x = F.dropout(torch.tanh(layer(x)), self.p, training=self.training)
        return self.out(x)


@pytest.mark.parametrize("right", [SequentialNet, ModuleListNet, FunctionalDropoutNet])
def test_right_networks_pass(right, capsys):
    check_spiral_net(right)
    assert capsys.readouterr().out.startswith("✅ SpiralNet is correct")


def test_reference_parameters():
    assert reference_parameters(2, []) == 3
    assert reference_parameters(2, [16, 16]) == sum(
        p.numel() for p in SequentialNet(2, [16, 16]).parameters()
    )


# ---------------------------------------------------------------- SpiralNet: typical mistakes


class NoSuper(nn.Module):
    def __init__(self, n_in, hidden, dropout=0.0):
        self.layers = nn.Linear(n_in, 1)


class PlainList(SequentialNet):
    def __init__(self, n_in, hidden, dropout=0.0):
        nn.Module.__init__(self)
        sizes = [n_in, *hidden]
        self.hidden = [
            nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])
        ]  # invisible to PyTorch
        self.out = nn.Linear(sizes[-1], 1)

    def forward(self, x):
        for layer in self.hidden:
            x = torch.tanh(layer(x))
        return self.out(x)


class NoActivation(SequentialNet):
    def forward(self, x):
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                x = layer(x)
        return x


class SigmoidAtTheEnd(SequentialNet):
    def forward(self, x):
        return torch.sigmoid(self.layers(x))


class TwoLayersAlways(nn.Module):
    def __init__(self, n_in, hidden, dropout=0.0):
        super().__init__()
        width = hidden[0] if hidden else 4
        self.layers = nn.Sequential(
            nn.Linear(n_in, width),
            nn.Tanh(),
            nn.Linear(width, width),
            nn.Tanh(),
            nn.Linear(width, 1),
        )

    def forward(self, x):
        return self.layers(x)


class IndexesHidden(SequentialNet):
    def __init__(self, n_in, hidden, dropout=0.0):
        nn.Module.__init__(self)
        first = nn.Linear(n_in, hidden[0])
        rest = [m for a, b in zip(hidden[:-1], hidden[1:]) for m in (nn.Linear(a, b), nn.Tanh())]
        self.layers = nn.Sequential(first, nn.Tanh(), *rest, nn.Linear(hidden[-1], 1))


class NoBias(SequentialNet):
    def __init__(self, n_in, hidden, dropout=0.0):
        nn.Module.__init__(self)
        layers, size = [], n_in
        for width in hidden:
            layers += [nn.Linear(size, width, bias=False), nn.Tanh()]
            size = width
        self.layers = nn.Sequential(*layers, nn.Linear(size, 1, bias=False))


class Squeezed(SequentialNet):
    def forward(self, x):
        return self.layers(x).squeeze(1)


class IgnoresDropout(SequentialNet):
    def __init__(self, n_in, hidden, dropout=0.0):
        super().__init__(n_in, hidden)


class DropoutAlways(ModuleListNet):
    def forward(self, x):
        for layer in self.hidden:
            x = F.dropout(torch.tanh(layer(x)), 0.5) if self.drop.p else torch.tanh(layer(x))
        return self.out(x)


class DropoutOnTheLogit(SequentialNet):
    def __init__(self, n_in, hidden, dropout=0.0):
        super().__init__(n_in, hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.layers(x))


@pytest.mark.parametrize(
    "wrong, match",
    [
        (stub, "not written yet"),
        (NoSuper, r"call super\(\).__init__\(\)"),
        (PlainList, "plain Python list"),
        (NoActivation, "linear function of its input"),
        (SigmoidAtTheEnd, "applies a sigmoid to its output"),
        (
            TwoLayersAlways,
            r"TwoLayersAlways\(7, \[8\]\) has .* one hidden layer per entry of hidden, in a loop",
        ),
        (IndexesHidden, r"hidden = \[\] the network is one nn.Linear"),
        (NoBias, "the weights only"),
        (Squeezed, r"returned shape \(7,\)"),
        (IgnoresDropout, "in training mode gave the same output twice"),
        (DropoutAlways, "evaluation mode"),
        (DropoutOnTheLogit, "exactly 0"),
        (lambda n_in, hidden, dropout=0.0: "a network", "not a network"),
    ],
)
def test_wrong_networks_are_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_spiral_net(wrong)


# ---------------------------------------------------------------- early stopping


def loop(
    model,
    X_train,
    y_train,
    X_val,
    y_val,
    patience=30,
    max_epochs=500,
    lr=0.02,
    *,
    record="after",
    fresh_optimizer=False,
    zero_grad=True,
    copy_state=True,
    restore=True,
    stop_late=False,
    stop=True,
    optimizer=torch.optim.Adam,
    as_tensor=False,
    only_model=False,
):
    """A right early-stopping loop by default; each option makes one typical mistake."""
    opt = optimizer(model.parameters(), lr=lr)
    best_loss, best_epoch, best_state = float("inf"), 0, copy.deepcopy(model.state_dict())
    losses = []
    for epoch in range(1, max_epochs + 1):
        if fresh_optimizer:
            opt = optimizer(model.parameters(), lr=lr)
        model.eval()
        with torch.no_grad():
            before = F.binary_cross_entropy_with_logits(model(X_val).squeeze(1), y_val)
        model.train()
        loss = F.binary_cross_entropy_with_logits(model(X_train).squeeze(1), y_train)
        if zero_grad:
            opt.zero_grad()
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            after = F.binary_cross_entropy_with_logits(model(X_val).squeeze(1), y_val)
            on_train = F.binary_cross_entropy_with_logits(model(X_train).squeeze(1), y_train)
        value = {"after": after, "before": before, "train": on_train}[record]
        losses.append(value if as_tensor else value.item())
        if losses[-1] < best_loss:
            best_loss, best_epoch = losses[-1], epoch
            best_state = copy.deepcopy(model.state_dict()) if copy_state else model.state_dict()
        elif stop and epoch - best_epoch >= patience + (1 if stop_late else 0):
            break
    if restore:
        model.load_state_dict(best_state)
    return model if only_model else (model, losses)


def test_right_loops_pass(capsys):
    check_early_stopping(reference_early_stopping)
    check_early_stopping(loop)
    assert capsys.readouterr().out.count("✅ train_early_stopping is correct") == 2


@pytest.mark.parametrize(
    "options, match",
    [
        ({"only_model": True}, "return two things"),
        ({"as_tensor": True}, "the validation losses are tensors"),
        ({"record": "before"}, "before any training"),
        ({"record": "train"}, "training losses"),
        ({"optimizer": torch.optim.SGD}, "after epoch 1 is .* one full-batch step per epoch"),
        ({"fresh_optimizer": True}, "create the optimizer once"),
        ({"zero_grad": False}, r"call zero_grad\(\) every epoch"),
        ({"stop": False}, "never stopped"),
        ({"stop_late": True}, "stopped after epoch .* patience=10"),
        (
            {"copy_state": False},
            r"its last epoch's validation loss .* copy.deepcopy\(model.state_dict\(\)\)",
        ),
        ({"restore": False}, r"not the best one .* model.load_state_dict\(best_state\)"),
    ],
)
def test_wrong_loops_are_explained(options, match):
    def wrong(*args, **kwargs):
        return loop(*args, **kwargs, **options)

    with pytest.raises(CheckFailed, match=match):
        check_early_stopping(wrong)


def test_stub_loop_says_not_written_yet():
    with pytest.raises(CheckFailed, match="not written yet"):
        check_early_stopping(stub)


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = "import copy\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"


def spiral_net(init, forward):
    return [
        HEAD,
        "class SpiralNet(nn.Module):\n    def __init__(self, n_in, hidden, dropout=0.0):\n"
        "        super().__init__()\n"
        + textwrap.indent(init, " " * 8)
        + "\n\n    def forward(self, x):\n"
        + textwrap.indent(forward, " " * 8),
    ]


SPIRAL_CHECK = (
    "from course_utils.exercises.nb04_spiral import check_spiral_net\ncheck_spiral_net(SpiralNet)"
)
LOOP = """layers, size = [], n_in
for width in hidden:
    layers += [nn.Linear(size, width), nn.Tanh()] + ([nn.Dropout(dropout)] if dropout else [])
    size = width
self.layers = nn.Sequential(*layers, nn.Linear(size, 1))"""
MODULE_LIST = """sizes = [n_in, *hidden]
self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
self.out = nn.Linear(sizes[-1], 1)
self.p = dropout"""


@pytest.mark.parametrize(
    "init, forward",
    [
        (
            MODULE_LIST,
            "for layer in self.hidden:\n    x = F.dropout(torch.tanh(layer(x)), self.p, self.training)\n"
            "return self.out(x)",
        ),
        (
            "sizes = [n_in] + list(hidden)\nblocks = [nn.Sequential(nn.Linear(a, b), nn.Tanh(), nn.Dropout(dropout) if "
            "dropout > 0 else nn.Identity())\n          for a, b in zip(sizes[:-1], sizes[1:])]\n"
            "self.body, self.head = nn.Sequential(*blocks), nn.Linear(sizes[-1], 1)",
            "return self.head(self.body(x))",
        ),
    ],
)
def test_right_networks_pass_both_ways(init, forward):
    assert both(SPIRAL_CHECK, spiral_net(init, forward))[0] == "pass"


@pytest.mark.parametrize(
    "init, forward, match",
    [
        (
            LOOP.replace("nn.Tanh()", "nn.ReLU()"),
            "return self.layers(x)",
            r"SpiralNet\(2, \[4, 6\]\) uses ReLU where the exercise asks for tanh",
        ),
        (
            MODULE_LIST,
            "for layer in self.hidden:\n    x = layer(x)\nx = torch.tanh(x)\nreturn self.out(x)",
            "uses tanh after only one of the two hidden layers",
        ),
        (
            LOOP,
            "return torch.tanh(self.layers(x))",
            r"SpiralNet\(2, \[16\]\) applies tanh .* to its output",
        ),
        (
            MODULE_LIST,
            "for layer in self.hidden:\n    x = torch.tanh(F.dropout(layer(x), self.p, self.training))\n"
            "return self.out(x)",
            "applies dropout before the activations",
        ),
        (
            LOOP.replace("nn.Dropout(dropout)", "nn.Dropout(0.5)"),
            "return self.layers(x)",
            r"applies dropout at another rate than dropout=0.25: pass the argument",
        ),
        (
            MODULE_LIST,
            "for layer in self.hidden:\n    x = F.dropout(torch.tanh(layer(x)), self.p)\nreturn self.out(x)",
            "in evaluation mode .* still gives a different output each time",
        ),
        (
            MODULE_LIST,
            "for layer in self.hidden:\n    x = torch.tanh(layer(x))\n"
            "return self.out(F.dropout(x, self.p, self.training))",
            "applies dropout only after the last hidden",
        ),
        (
            "self.first = nn.Linear(n_in, hidden[0])\nself.out = nn.Linear(hidden[-1], 1)",
            "return self.out(torch.tanh(self.first(x)))",
            r"IndexError.*With hidden = \[\] the network is one nn.Linear",
        ),
    ],
)
def test_wrong_networks_get_their_message_both_ways(init, forward, match):
    state, message = both(SPIRAL_CHECK, spiral_net(init, forward))
    assert state == "fail" and re.search(match, message), message


ES_CHECK = "from course_utils.exercises.nb04_spiral import check_early_stopping\ncheck_early_stopping(train_early_stopping)"
ES_HEAD = HEAD + "loss_fn = nn.BCEWithLogitsLoss()\n"
ES = """def train_early_stopping(model, X_train, y_train, X_val, y_val, patience=30, max_epochs=400, lr=0.02):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    best_loss, best_epoch, best_state = float("inf"), 0, copy.deepcopy(model.state_dict())
    val_losses = []
    for epoch in range(1, max_epochs + 1):
        model.train()
        loss = loss_fn(model(X_train).squeeze(1), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            val_losses.append(loss_fn(model(X_val).squeeze(1), y_val).item())
        if val_losses[-1] < best_loss:
            best_loss, best_epoch, best_state = val_losses[-1], epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return model, val_losses"""
COUNTER = """def train_early_stopping(model, X_train, y_train, X_val, y_val, patience=30, max_epochs=400, lr=0.02):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    best, waited, best_state, val_losses = None, 0, None, []
    for _ in range(max_epochs):
        model.train()
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(X_train)[:, 0], y_train).backward()
        optimizer.step()
        model.eval()
        with torch.inference_mode():
            val_losses.append(float(F.binary_cross_entropy_with_logits(model(X_val)[:, 0], y_val)))
        if best is None or val_losses[-1] < best:
            best, waited = val_losses[-1], 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(best_state)
    return model, val_losses"""


@pytest.mark.parametrize("answer", [ES, COUNTER])
def test_right_loops_pass_both_ways(answer):
    assert both(ES_CHECK, [ES_HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            ES.replace("        model.eval()\n", ""),
            "the validation losses are those of the network in training mode: "
            "call model.eval\\(\\) before",
        ),
        (
            ES.replace("        model.train()\n", ""),
            "after the first epoch the network trains in evaluation mode: call "
            "model.train\\(\\) at the start of every epoch",
        ),
        (
            ES.replace(
                "copy.deepcopy(model.state_dict())\n        elif",
                "model.state_dict()\n        elif",
            ),
            "the returned model has its last epoch's validation loss",
        ),
        (ES.replace("    model.load_state_dict(best_state)\n", ""), "not the best one"),
        (
            ES.replace(">= patience", "> patience"),
            r"with patience=10, max_epochs=200, lr=0.02, train_early_stopping "
            r"stopped after epoch \d+, expected \d+",
        ),
        (
            ES.replace(">= patience", ">= 10"),
            r"with patience=4, max_epochs=40, lr=0.05, train_early_stopping never "
            r"stopped: .* the best was epoch 25, so it should stop after epoch 29",
        ),
        (
            ES.replace("    model.load_state_dict(best_state)\n", "").replace(
                "            break",
                "            model.load_state_dict(best_state)\n            break",
            ),
            r"its last epoch's validation loss \(0.66\d\d\), not the best one \(0.66\d\d at epoch 6\)",
        ),
        (
            ES.replace("model(X_val).squeeze(1), y_val", "model(X_train).squeeze(1), y_train"),
            "training losses",
        ),
        (
            ES.replace("lr=lr", "lr=0.02"),
            r"with patience=4, max_epochs=40, lr=0.05, the validation loss after epoch"
            r"|after epoch 1 is",
        ),
    ],
)
def test_wrong_loops_get_their_message_both_ways(answer, match):
    state, message = both(ES_CHECK, [ES_HEAD, answer])
    assert state == "fail" and re.search(match, message), message
