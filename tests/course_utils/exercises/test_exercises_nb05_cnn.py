"""The checks of notebook 05's exercises accept right answers and explain wrong ones."""

import math
import re

import pytest
import torch
from both_ways import both

from course_utils.checks import CheckFailed
from course_utils.exercises import nb05_cnn as cnn


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_conv_output_size_accepts_the_formula(capsys):
    cnn.check_conv_output_size(cnn.reference_conv_output_size)
    assert capsys.readouterr().out.startswith("✅ conv_output_size is correct")


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda size, k, stride=1, padding=0: size - k, "one too few: add 1"),
        (lambda size, k, stride=1, padding=0: (size + 2 * padding - k) / stride + 1, "round down"),
        (lambda size, k, stride=1, padding=0: size + padding - k + 1, "BOTH sides"),
        (lambda size, k, stride=1, padding=0: size + 2 * padding - k + 1, "divide by the stride"),
        (lambda size, k, stride=1, padding=0: str(size - k + 1), "whole number"),
        (
            lambda size, k, stride=1, padding=0: math.ceil((size + 2 * padding - k) / stride) + 1,
            "does not fully fit",
        ),
        (
            lambda size, k, stride=1, padding=0: round((size + 2 * padding - k) / stride) + 1,
            "round DOWN",
        ),
        (
            lambda size, k, stride=1, padding=0: int(-(-(size + 2 * padding - k) // stride)) + 1,
            "not up .ceil.",
        ),
    ],
)
def test_conv_output_size_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        cnn.check_conv_output_size(wrong)


def test_balanced_accuracy_accepts_right_answers_written_differently(capsys):
    cnn.check_balanced_accuracy(cnn.reference_balanced_accuracy)
    cnn.check_balanced_accuracy(lambda cm: float((cm.diag() / cm.sum(1)).mean()))
    cnn.check_balanced_accuracy(
        lambda cm: sum(cm[i, i].item() / cm[i].sum().item() for i in range(len(cm))) / len(cm)
    )
    assert capsys.readouterr().out.count("✅") == 3


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda cm: (cm.diag().sum() / cm.sum()).item(), "plain accuracy"),
        (lambda cm: (cm.diag().float() / cm.sum(0)).mean().item(), "row sums"),
        (lambda cm: (cm.diag().float() / cm.sum(1)).sum().item(), "expected 0.6"),
        (lambda cm: "0.6", "should return a number"),
        (lambda cm: (cm.diag() / cm.sum(1)).mean(), "returned a tensor.*float.*item"),
        (lambda cm: (cm[0, 0] / cm[0].sum() + cm[1, 1] / cm[1].sum()).item() / 2, "ALL classes"),
        (lambda cm: (cm.diag() // cm.sum(1)).float().mean().item(), "expected 0.6"),
    ],
)
def test_balanced_accuracy_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        cnn.check_balanced_accuracy(wrong)


def test_reference_matches_metrics_module():
    from course_utils.metrics import balanced_accuracy, confusion_matrix

    y_true, y_pred = torch.tensor([0, 0, 1, 1, 1]), torch.tensor([0, 1, 1, 1, 0])
    assert cnn.reference_balanced_accuracy(confusion_matrix(y_true, y_pred)) == pytest.approx(
        balanced_accuracy(y_true, y_pred)
    )


class _Small(torch.nn.Module):
    """A SmallCNN built from options, for the typical mistakes."""

    def __init__(
        self,
        image_size,
        relu=True,
        pool=True,
        flat=None,
        softmax=False,
        batch_flatten=False,
        filters=8,
    ):
        super().__init__()
        layers = [torch.nn.Conv2d(3, filters, kernel_size=3)] + ([torch.nn.ReLU()] if relu else [])
        layers += [torch.nn.MaxPool2d(2)] if pool else []
        self.features = torch.nn.Sequential(*layers)
        n_flat = flat or self.features(torch.zeros(1, 3, image_size, image_size)).numel()
        self.linear = torch.nn.Linear(n_flat, 2)
        self.softmax, self.batch_flatten = softmax, batch_flatten

    def forward(self, x):
        h = self.features(x)
        h = h.reshape(1, -1)[:, : self.linear.in_features] if self.batch_flatten else h.flatten(1)
        out = self.linear(h)
        return out.softmax(1) if self.softmax else out


def variant(**options):
    return type(
        "SmallCNN",
        (_Small,),
        {"__init__": lambda self, size: _Small.__init__(self, size, **options)},
    )


def test_small_cnn_accepts_the_reference_and_other_ways_of_writing_it(capsys):
    cnn.check_small_cnn(cnn.reference_SmallCNN)
    cnn.check_small_cnn(variant())
    assert capsys.readouterr().out.count("✅ SmallCNN is correct") == 2


@pytest.mark.parametrize(
    "wrong, message",
    [
        (variant(relu=False), "Add nn.ReLU"),
        (variant(pool=False), "pooling is missing"),
        (variant(flat=8 * 23 * 23), "flatten size depends on the image size"),
        (variant(softmax=True), "applies a softmax to its output: return the raw scores"),
        (variant(batch_flatten=True), "flattens the whole batch"),
        (variant(filters=16), "expected 8,690"),
    ],
)
def test_small_cnn_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        cnn.check_small_cnn(wrong)


def test_small_cnn_says_what_is_missing():
    class NotWritten(torch.nn.Module):
        def __init__(self, image_size):
            raise NotImplementedError()

    class NoForward(torch.nn.Module):
        def __init__(self, image_size):
            super().__init__()

        def forward(self, x):
            raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not written yet"):
        cnn.check_small_cnn(NotWritten)
    with pytest.raises(CheckFailed, match="forward is not written yet"):
        cnn.check_small_cnn(NoForward)
    with pytest.raises(CheckFailed, match="class that subclasses nn.Module"):
        cnn.check_small_cnn(lambda size: None)


def test_the_relu_test_finds_the_bend_for_many_initialisations():
    for seed in range(5):
        torch.manual_seed(seed)
        cnn.check_small_cnn(cnn.reference_SmallCNN)
        torch.manual_seed(seed)
        with pytest.raises(CheckFailed, match="Add nn.ReLU"):
            cnn.check_small_cnn(variant(relu=False))


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
CNN_CHECK = "from course_utils.exercises.nb05_cnn import check_small_cnn\ncheck_small_cnn(SmallCNN)"
SMALL_CNN = """class SmallCNN(nn.Module):
    def __init__(self, image_size):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2))
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, 3, image_size, image_size)).numel()
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(n_flat, 2))

    def forward(self, x):
        return self.classifier(self.features(x))"""


@pytest.mark.parametrize(
    "answer",
    [
        """class SmallCNN(nn.Module):
    def __init__(self, image_size):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8 * ((image_size - 2) // 2) ** 2, 2)

    def forward(self, x):
        return self.fc(torch.flatten(F.max_pool2d(F.relu(self.conv(x)), 2), 1))""",
        SMALL_CNN.replace("nn.ReLU(), nn.MaxPool2d(2)", "nn.MaxPool2d(2), nn.ReLU()").replace(
            "return self.classifier(self.features(x))",
            "return F.log_softmax(self.classifier(self.features(x)), dim=1)",
        ),
    ],
)
def test_right_cnns_pass_both_ways(answer):
    assert both(CNN_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            SMALL_CNN.replace("nn.MaxPool2d(2)", "nn.AvgPool2d(2)"),
            "uses average pooling where the exercise asks for max",
        ),
        (
            SMALL_CNN.replace("nn.ReLU(), ", ""),
            "has no ReLU between the convolution and the linear layer",
        ),
        (
            SMALL_CNN.replace("nn.Linear(n_flat, 2)", "nn.Linear(8 * 23 * 23, 2)"),
            r"SmallCNN\(33\) fails on a batch of 4 images of 33×33: .*Likely cause: a matrix product .* The flatten "
            "size depends on the image size",
        ),
        (
            SMALL_CNN.replace(
                "n_flat = self.features(torch.zeros(1, 3, image_size, image_size)).numel()",
                "n_flat = 8 * round((image_size - 2) / 2) ** 2",
            ),
            r"SmallCNN\(33\) fails on a batch of 4 images",
        ),
        (
            SMALL_CNN.replace(
                "self.classifier(self.features(x))",
                "self.classifier[1](self.features(x).view(4, -1))",
            ),
            r"SmallCNN\(48\) fails on a batch of 3 images of 48×48: .* It works on 4 images but not on 3: a batch size typed "
            "into forward",
        ),
        (
            SMALL_CNN.replace(
                "return self.classifier(self.features(x))",
                "return self.classifier(self.features(x)).softmax(1)",
            ),
            r"applies a softmax to its output: .* nn.CrossEntropyLoss applies the softmax itself",
        ),
        (
            SMALL_CNN.replace(
                "return self.classifier(self.features(x))",
                "return torch.sigmoid(self.classifier(self.features(x)))",
            ),
            "applies a sigmoid to its output: .* nn.CrossEntropyLoss applies the softmax itself and expects raw scores",
        ),
        (
            SMALL_CNN.replace("self.features(x)", "self.features(torch.zeros_like(x))"),
            "gives the same logits whatever the images: forward must compute from its argument x",
        ),
        (
            SMALL_CNN.replace("nn.Conv2d(3, 8, kernel_size=3)", "nn.Conv2d(3, 16, kernel_size=3)"),
            r"SmallCNN\(48\) has 17,378 parameters, expected 8,690",
        ),
    ],
)
def test_wrong_cnns_get_their_message_both_ways(answer, match):
    state, message = both(CNN_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message
