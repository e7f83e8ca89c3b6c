"""Checks for the exercises of notebook 05 (a CNN that tells cats from dogs)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from course_utils.checks import NOT_DONE, CheckFailed, call_student, check_close, passed, shown
from course_utils.probes import (
    build_model,
    count,
    forward,
    gradients,
    load_weights,
    raw_scores_problem,
    set_mode,
    weights,
)

__all__ = [
    "check_balanced_accuracy",
    "check_conv_output_size",
    "check_small_cnn",
    "reference_SmallCNN",
    "reference_balanced_accuracy",
    "reference_conv_output_size",
]

# (size, kernel_size, stride, padding) -> output size. The last two have a last window that does not
# fit ((8 - 3) / 2 = 2.5 and (10 - 2) / 3 = 2.67 steps): rounding up or to the nearest gives one too many.
_CONV_CASES = [
    ((64, 5, 1, 0), 60),
    ((30, 3, 1, 0), 28),
    ((64, 3, 1, 1), 64),
    ((64, 4, 2, 1), 32),
    ((65, 3, 2, 0), 32),
    ((8, 3, 2, 0), 3),
    ((10, 2, 3, 0), 3),
]


def reference_conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0
) -> int:
    """floor((size + 2·padding − kernel_size) / stride) + 1, as ``nn.Conv2d`` and ``nn.MaxPool2d`` compute it.

    Example:
        >>> reference_conv_output_size(64, 5)
        60
    """
    return (size + 2 * padding - kernel_size) // stride + 1


def check_conv_output_size(fn: Callable[..., int]) -> None:
    """Check a student's ``conv_output_size(size, kernel_size, stride=1, padding=0)``.

    Example:
        >>> check_conv_output_size(reference_conv_output_size)
        ✅ conv_output_size is correct (7 cases, including stride, padding and windows that do not fit)
    """
    for (size, k, s, p), expected in _CONV_CASES:
        got = call_student(fn, size, k, stride=s, padding=p, name="conv_output_size")
        call = f"conv_output_size({size}, {k}, stride={s}, padding={p})"
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, float):
            raise CheckFailed(
                f"{call} returned the float {got}: a window either fits or not, so round "
                "down with // (integer division), which also keeps the result an int."
            )
        if not isinstance(got, int) or isinstance(got, bool):
            raise CheckFailed(f"{call} should return a whole number (int), got {shown(got)}.")
        if got == expected - 1 and p == 0 and s == 1:
            raise CheckFailed(
                f"{call} returned {got}, one too few: add 1 for the window's first position."
            )
        if got == expected + 1 and (size + 2 * p - k) % s:
            raise CheckFailed(
                f"{call} returned {got}, one too many: here the last window does not fully fit "
                f"({size + 2 * p - k} / {s} is not a whole number of steps) and is dropped, so round "
                "DOWN (floor, //), not up (ceil) or to the nearest (round)."
            )
        if got != expected:
            hint = " Padding adds `padding` pixels on BOTH sides." if p else ""
            hint += (
                " With stride s the window jumps s pixels: divide by the stride." if s > 1 else ""
            )
            raise CheckFailed(f"{call} returned {got}, expected {expected}.{hint}")
    passed(
        "conv_output_size",
        f"{len(_CONV_CASES)} cases, including stride, padding and windows that do not fit",
    )


def reference_balanced_accuracy(cm: torch.Tensor) -> float:
    """Mean recall over classes, from a confusion matrix with true classes as rows.

    Example:
        >>> round(reference_balanced_accuracy(torch.tensor([[5, 15], [2, 38]])), 4)
        0.6
    """
    cm = cm.float()
    return (cm.diag() / cm.sum(1)).mean().item()


# Two imbalanced confusion matrices (rows: true classes): two classes, then three.
_CM_CASES = [torch.tensor([[5, 15], [2, 38]]), torch.tensor([[8, 1, 1], [2, 6, 12], [0, 3, 27]])]


def check_balanced_accuracy(fn: Callable[[torch.Tensor], float]) -> None:
    """Check a student's ``balanced_accuracy_from_cm(cm)`` on imbalanced confusion matrices of 2 and 3 classes.

    Example:
        >>> check_balanced_accuracy(reference_balanced_accuracy)
        ✅ balanced_accuracy_from_cm is correct (0.600 on the 2-class matrix, 0.667 on the 3-class one)
    """
    for cm in _CM_CASES:
        k = len(cm)
        expected = reference_balanced_accuracy(cm)
        got = call_student(fn, cm.clone(), name="balanced_accuracy_from_cm")
        if isinstance(got, torch.Tensor):
            raise CheckFailed(
                f"balanced_accuracy_from_cm returned {shown(got)}; the exercise asks for a Python "
                "float: end with .item()."
            )
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            raise CheckFailed(
                f"balanced_accuracy_from_cm should return a number, got {type(got).__name__}."
            )
        plain = (cm.diag().sum() / cm.sum()).item()
        by_columns = (cm.diag().float() / cm.sum(0)).mean().item()
        if abs(got - plain) < 1e-4:
            raise CheckFailed(
                f"you returned {got:.3f}, the plain accuracy. Balanced accuracy is the MEAN of the "
                "per-class recalls: for each true class (row), correct / row total, then average."
            )
        if abs(got - by_columns) < 1e-4:
            raise CheckFailed(
                f"you returned {got:.3f}, the mean precision: rows are the TRUE classes, so divide "
                "the diagonal by the row sums (cm.sum(1)), not the column sums."
            )
        if k > 2 and abs(got - (cm.diag()[:2].float() / cm.sum(1)[:2]).mean().item()) < 1e-4:
            raise CheckFailed(
                f"on a {k}-class matrix you returned {got:.3f}, the answer for its first two classes "
                "only: average the recalls of ALL classes (every row), not just two."
            )
        check_close(
            got,
            expected,
            name=f"balanced_accuracy_from_cm on a {k}-class matrix",
            atol=1e-4,
            quiet=True,
        )
    two, three = (reference_balanced_accuracy(cm) for cm in _CM_CASES)
    passed(
        "balanced_accuracy_from_cm",
        f"{two:.3f} on the 2-class matrix, {three:.3f} on the 3-class one",
    )


class reference_SmallCNN(
    nn.Module
):  # named reference_<answer>, as every reference solution of the course
    """Exercise 11.2's answer: conv 3→8 3×3, ReLU, 2×2 max pool, flatten, linear to 2 logits.

    Example:
        >>> reference_SmallCNN(32)(torch.zeros(4, 3, 32, 32)).shape
        torch.Size([4, 2])
    """

    def __init__(self, image_size: int) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2))
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, 3, image_size, image_size)).numel()
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(n_flat, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def _small_cnn_parameters(size: int) -> int:
    side = (size - 2) // 2
    return (3 * 9 * 8 + 8) + (8 * side * side * 2 + 2)


#: The image sizes and batch sizes the check tries: a size typed into forward or __init__ fails one of them (33 px:
#: (33 - 2) / 2 is not whole, so rounding up or to the nearest gives a wrong flatten size).
_SIZES, _BATCHES = (48, 33, 64), (4, 3, 1)


def check_small_cnn(cls: Callable[[int], nn.Module]) -> None:
    """Check a student's ``SmallCNN(image_size)`` class on behaviour, at 48, 33 and 64 pixels and on
    batches of 4, 3 and 1 images: logits of shape (N, 2), one image's answer independent of the
    others', the number of parameters, a forward pass that uses its input; then, with weights the
    check sets through ``load_state_dict``, raw logits (no softmax or sigmoid after the last
    layer), a ReLU after the convolution and max (not average) pooling; and a gradient for every
    parameter.

    Example:
        >>> check_small_cnn(reference_SmallCNN)
        ✅ SmallCNN is correct (logits of shape (N, 2) at 33, 48 and 64 px; 8,690 parameters at 48 px)
    """
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise CheckFailed(
            f"SmallCNN should be a class that subclasses nn.Module (`class SmallCNN(nn.Module):`), "
            f"got {type(cls).__name__}."
        )
    gen = torch.Generator().manual_seed(0)
    for size in _SIZES:
        model = build_model(
            cls, size, name=f"SmallCNN({size})", class_line="class SmallCNN(nn.Module):"
        )
        x = torch.randn(max(_BATCHES), 3, size, size, generator=gen)
        for batch in _BATCHES:
            out = _logits(model, x[:batch], size, first=batch == max(_BATCHES))
            if batch == max(_BATCHES):
                first = out
        if not torch.allclose(out, first[:1], atol=1e-5):
            raise CheckFailed(
                "the answer for one image depends on the other images of the batch: flatten each image "
                "on its own (nn.Flatten() or x.flatten(1)), not the whole batch."
            )
        n = count(model, f"SmallCNN({size})")
        expected = _small_cnn_parameters(size)
        if n != expected:
            if n == 3 * 9 * 8 + 8 + 8 * (size - 2) ** 2 * 2 + 2:
                raise CheckFailed(
                    f"SmallCNN({size}) has {n:,} parameters: the pooling is missing, so the linear layer "
                    "gets 4 times too many inputs. Add nn.MaxPool2d(2) after the ReLU."
                )
            raise CheckFailed(
                f"SmallCNN({size}) has {n:,} parameters, expected {expected:,}: one Conv2d(3, 8, "
                "kernel_size=3) (224), ReLU, MaxPool2d(2), then one Linear from the flattened maps to 2."
            )
    other = _logits(model, torch.randn(max(_BATCHES), 3, size, size, generator=gen), size)
    if torch.allclose(other, first, atol=1e-6):
        raise CheckFailed(
            "SmallCNN gives the same logits whatever the images: forward must compute from its argument "
            "x, return self.classifier(self.features(x))."
        )
    set_mode(model, False, f"SmallCNN({size})")
    problem = raw_scores_problem(model, x, f"SmallCNN({size})", 2, "nn.CrossEntropyLoss")
    if problem:
        raise CheckFailed(problem)
    _check_relu_and_max_pool(model, size)
    for key, grad in gradients(model, x, f"SmallCNN({size})").items():
        if grad is None or not grad.abs().max() > 0:
            raise CheckFailed(
                f"SmallCNN's parameter {key} gets no gradient: use every layer you create in forward "
                "(and no .detach())."
            )
    passed(
        "SmallCNN",
        f"logits of shape (N, 2) at 33, 48 and 64 px; {_small_cnn_parameters(48):,} parameters at 48 px",
    )


def _logits(model: nn.Module, x: torch.Tensor, size: int, first: bool = False) -> torch.Tensor:
    """The student's logits for the images ``x``, checked to be one pair per image, detached (``first``: the first
    batch tried at this size, so that a failure is not the batch size's)."""
    name = f"SmallCNN({size})"
    try:
        out = forward(model, x, name)
    except CheckFailed as err:
        if "is not written yet" in str(err):
            raise CheckFailed(f"SmallCNN.forward is not written yet: {NOT_DONE}.") from None
        typed = ""
        if not first:
            typed = (
                f" It works on {max(_BATCHES)} images but not on {len(x)}: a batch size typed into forward? "
                "Flatten with nn.Flatten() or x.flatten(1), which keep one row per image."
            )
        elif "mat1 and mat2" in str(err) and size != _SIZES[0]:
            typed = (
                " The flatten size depends on the image size: compute it from a dummy image of `image_size` "
                "pixels in `__init__`, as OurCNN does, instead of typing a number."
            )
        raise CheckFailed(
            f"{name} fails on a batch of {len(x)} images of {size}×{size}: {err}{typed}"
        ) from None
    if tuple(out.shape) != (len(x), 2):
        hint = (
            " `x.view(-1)` flattens the whole batch into one row: use nn.Flatten() (or x.flatten(1)), which keeps "
            "one row per image."
            if out.dim() >= 1 and out.shape[0] != len(x)
            else ""
        )
        raise CheckFailed(
            f"{name} on {len(x)} images of {size}×{size} should give logits of shape ({len(x)}, 2), got "
            f"{tuple(out.shape)}.{hint}"
        )
    return out.detach()


def _check_relu_and_max_pool(model: nn.Module, size: int) -> None:
    """Set the weights so that every channel of the convolution copies the image's first channel and the first
    logit sums all the pooled maps; then the logit of an image tells the activation and the pooling: one pixel 1
    in a 2×2 window gives 8 with max pooling (2 with average), an image of -1 gives 0 with a ReLU."""
    name = f"SmallCNN({size})"
    params = weights(model, name)
    convs = [k for k, v in params.items() if tuple(v.shape) == (8, 3, 3, 3)]
    linears = [k for k, v in params.items() if v.dim() == 2 and 2 in v.shape]
    biases = [k for k, v in params.items() if v.dim() == 1]
    if len(convs) != 1 or len(linears) != 1 or len(biases) != 2:
        return  # built another way: the probe cannot set it
    conv, linear = convs[0], linears[0]
    values = {
        conv: torch.zeros(8, 3, 3, 3).index_fill_(1, torch.tensor(0), 0.0),
        linear: torch.zeros_like(params[linear]),
    }
    values[conv][:, 0, 1, 1] = 1.0
    if params[linear].shape[0] == 2:
        values[linear][0] = 1.0
    else:
        values[linear][:, 0] = 1.0
    values.update({k: torch.zeros_like(params[k]) for k in biases})
    load_weights(model, values, name)
    one_pixel = torch.zeros(1, 3, size, size)
    one_pixel[0, 0, 1, 1] = 1.0
    negative = torch.zeros(1, 3, size, size)
    negative[0, 0] = -1.0
    with (
        torch.no_grad()
    ):  # the difference of the two logits: all that CrossEntropyLoss sees of them
        pooled, cut = (
            (lambda out: (out[0, 0] - out[0, 1]).item())(_logits(model, image, size))
            for image in (one_pixel, negative)
        )
    load_weights(model, params, name)
    if abs(pooled - 2.0) < 1e-4:
        raise CheckFailed(
            "SmallCNN uses average pooling where the exercise asks for max pooling: nn.MaxPool2d(2) "
            "keeps the largest value of each 2×2 window."
        )
    if abs(cut) > 1e-4:
        raise CheckFailed(
            "SmallCNN has no ReLU between the convolution and the linear layer: with its weights set to "
            f"pass the image through, negative pixels come out as {cut:.4g} instead of 0. Add nn.ReLU() "
            "after the convolution (without it, conv + pool + linear can only draw straight boundaries)."
        )
    if abs(pooled - 8.0) > 1e-4:
        raise CheckFailed(
            f"SmallCNN does not act like Conv2d → ReLU → MaxPool2d(2) → Linear: with its weights set to "
            f"pass the image through, one pixel of 1 gives a first logit of {pooled:.4g} where those "
            "layers give 8 (one per filter)."
        )
