"""Checks of notebook 04: right answers pass however written; a stub and each typical mistake get
their own actionable message."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import CheckFailed
from course_utils.exercises.nb04_spiral import (check_early_stopping, check_spiral_net, reference_early_stopping,
                                                reference_parameters)


def stub(*args, **kwargs):
    raise NotImplementedError()


# ---------------------------------------------------------------- SpiralNet: right answers


class SequentialNet(nn.Module):
    """The notebook's solution: a loop that fills an nn.Sequential."""

    def __init__(self, n_in, hidden, dropout=0.0):
        super().__init__()
        layers, size = [], n_in
        for width in hidden:
            layers += [nn.Linear(size, width), nn.Tanh()] + ([nn.Dropout(dropout)] if dropout else [])
            size = width
        self.layers = nn.Sequential(*layers, nn.Linear(size, 1))

    def forward(self, x):
        return self.layers(x)


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
    assert reference_parameters(2, [16, 16]) == sum(p.numel() for p in SequentialNet(2, [16, 16]).parameters())


# ---------------------------------------------------------------- SpiralNet: typical mistakes


class NoSuper(nn.Module):
    def __init__(self, n_in, hidden, dropout=0.0):
        self.layers = nn.Linear(n_in, 1)


class PlainList(SequentialNet):
    def __init__(self, n_in, hidden, dropout=0.0):
        nn.Module.__init__(self)
        sizes = [n_in, *hidden]
        self.hidden = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]   # invisible to PyTorch
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
        self.layers = nn.Sequential(nn.Linear(n_in, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(),
                                    nn.Linear(width, 1))

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


@pytest.mark.parametrize("wrong, match", [
    (stub, "not written yet"),
    (NoSuper, r"call super\(\).__init__\(\)"),
    (PlainList, "plain Python list"),
    (NoActivation, "linear function of its input"),
    (SigmoidAtTheEnd, "between 0 and 1"),
    (TwoLayersAlways, r"TwoLayersAlways\(7, \[8\]\) has .* one hidden layer per entry of hidden, in a loop"),
    (IndexesHidden, r"hidden = \[\] the network is one nn.Linear"),
    (NoBias, "the weights only"),
    (Squeezed, r"returned shape \(7,\)"),
    (IgnoresDropout, "in training mode gave the same output twice"),
    (DropoutAlways, "evaluation mode"),
    (DropoutOnTheLogit, "exactly 0"),
    (lambda n_in, hidden, dropout=0.0: "a network", "not a network"),
])
def test_wrong_networks_are_explained(wrong, match):
    with pytest.raises(CheckFailed, match=match):
        check_spiral_net(wrong)


# ---------------------------------------------------------------- early stopping


def loop(model, X_train, y_train, X_val, y_val, patience=30, max_epochs=500, lr=0.02, *, record="after",
         fresh_optimizer=False, zero_grad=True, copy_state=True, restore=True, stop_late=False, stop=True,
         optimizer=torch.optim.Adam, as_tensor=False, only_model=False):
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


@pytest.mark.parametrize("options, match", [
    ({"only_model": True}, "return two things"),
    ({"as_tensor": True}, "the validation losses are tensors"),
    ({"record": "before"}, "before any training"),
    ({"record": "train"}, "training losses"),
    ({"optimizer": torch.optim.SGD}, "after epoch 1 is .* one full-batch step per epoch"),
    ({"fresh_optimizer": True}, "create the optimizer once"),
    ({"zero_grad": False}, r"call zero_grad\(\) every epoch"),
    ({"stop": False}, "never stopped"),
    ({"stop_late": True}, "stopped after epoch .* patience=10"),
    ({"copy_state": False}, r"its last epoch's validation loss .* copy.deepcopy\(model.state_dict\(\)\)"),
    ({"restore": False}, r"not the best one .* model.load_state_dict\(best_state\)"),
])
def test_wrong_loops_are_explained(options, match):
    def wrong(*args, **kwargs):
        return loop(*args, **kwargs, **options)

    with pytest.raises(CheckFailed, match=match):
        check_early_stopping(wrong)


def test_stub_loop_says_not_written_yet():
    with pytest.raises(CheckFailed, match="not written yet"):
        check_early_stopping(stub)
