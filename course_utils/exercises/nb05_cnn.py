"""Checks for the exercises of notebook 05 (a CNN that tells cats from dogs)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from course_utils.checks import NOT_DONE, CheckFailed, call_student, check_close, passed

__all__ = [
    "ReferenceSmallCNN", "check_balanced_accuracy", "check_conv_output_size", "check_small_cnn",
    "reference_balanced_accuracy", "reference_conv_output_size",
]

# (size, kernel_size, stride, padding) -> output size. The last two have a last window that does not
# fit ((8 - 3) / 2 = 2.5 and (10 - 2) / 3 = 2.67 steps): rounding up or to the nearest gives one too many.
_CONV_CASES = [((64, 5, 1, 0), 60), ((30, 3, 1, 0), 28), ((64, 3, 1, 1), 64), ((64, 4, 2, 1), 32), ((65, 3, 2, 0), 32),
               ((8, 3, 2, 0), 3), ((10, 2, 3, 0), 3)]


def reference_conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
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
            raise CheckFailed(f"{call} returned the float {got}: a window either fits or not, so round "
                              "down with // (integer division), which also keeps the result an int.")
        if not isinstance(got, int) or isinstance(got, bool):
            raise CheckFailed(f"{call} should return a whole number (int), got {type(got).__name__} {got!r}.")
        if got == expected - 1 and p == 0 and s == 1:
            raise CheckFailed(f"{call} returned {got}, one too few: add 1 for the window's first position.")
        if got == expected + 1 and (size + 2 * p - k) % s:
            raise CheckFailed(f"{call} returned {got}, one too many: here the last window does not fully fit "
                              f"({size + 2 * p - k} / {s} is not a whole number of steps) and is dropped, so round "
                              "DOWN (floor, //), not up (ceil) or to the nearest (round).")
        if got != expected:
            hint = " Padding adds `padding` pixels on BOTH sides." if p else ""
            hint += " With stride s the window jumps s pixels: divide by the stride." if s > 1 else ""
            raise CheckFailed(f"{call} returned {got}, expected {expected}.{hint}")
    passed("conv_output_size", f"{len(_CONV_CASES)} cases, including stride, padding and windows that do not fit")


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
            raise CheckFailed(f"balanced_accuracy_from_cm returned a tensor ({got!r}); the exercise asks for a Python "
                              "float: end with .item().")
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            raise CheckFailed(f"balanced_accuracy_from_cm should return a number, got {type(got).__name__}.")
        plain = (cm.diag().sum() / cm.sum()).item()
        by_columns = (cm.diag().float() / cm.sum(0)).mean().item()
        if abs(got - plain) < 1e-4:
            raise CheckFailed(f"you returned {got:.3f}, the plain accuracy. Balanced accuracy is the MEAN of the "
                              "per-class recalls: for each true class (row), correct / row total, then average.")
        if abs(got - by_columns) < 1e-4:
            raise CheckFailed(f"you returned {got:.3f}, the mean precision: rows are the TRUE classes, so divide "
                              "the diagonal by the row sums (cm.sum(1)), not the column sums.")
        if k > 2 and abs(got - (cm.diag()[:2].float() / cm.sum(1)[:2]).mean().item()) < 1e-4:
            raise CheckFailed(f"on a {k}-class matrix you returned {got:.3f}, the answer for its first two classes "
                              "only: average the recalls of ALL classes (every row), not just two.")
        check_close(got, expected, name=f"balanced_accuracy_from_cm on a {k}-class matrix", atol=1e-4, quiet=True)
    two, three = (reference_balanced_accuracy(cm) for cm in _CM_CASES)
    passed("balanced_accuracy_from_cm", f"{two:.3f} on the 2-class matrix, {three:.3f} on the 3-class one")


class ReferenceSmallCNN(nn.Module):
    """Exercise 11.2's answer: conv 3→8 3×3, ReLU, 2×2 max pool, flatten, linear to 2 logits.

    Example:
        >>> ReferenceSmallCNN(32)(torch.zeros(4, 3, 32, 32)).shape
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


def check_small_cnn(cls: Callable[[int], nn.Module]) -> None:
    """Check a student's ``SmallCNN(image_size)`` class on behaviour, at 32, 48 and 64 pixels.

    Example:
        >>> check_small_cnn(ReferenceSmallCNN)
        ✅ SmallCNN is correct (logits of shape (N, 2) at 32, 48 and 64 px; 8,690 parameters at 48 px)
    """
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise CheckFailed(f"SmallCNN should be a class that subclasses nn.Module (`class SmallCNN(nn.Module):`), "
                          f"got {type(cls).__name__}.")
    gen = torch.Generator().manual_seed(0)
    for size in (48, 32, 64):
        model = call_student(cls, size, name=f"SmallCNN({size})")
        if not isinstance(model, nn.Module):
            raise CheckFailed(f"SmallCNN({size}) is not an nn.Module: did `__init__` call `super().__init__()`?")
        x = torch.randn(4, 3, size, size, generator=gen)
        try:
            out = model(x)
        except NotImplementedError:
            raise CheckFailed(f"SmallCNN.forward is not written yet: {NOT_DONE}.") from None
        except RuntimeError as err:
            hint = (" The flatten size depends on the image size: compute it from a dummy image of `image_size` "
                    "pixels in `__init__`, as OurCNN does, instead of typing a number." if size != 48 else "")
            raise CheckFailed(f"SmallCNN({size}) fails on a batch of {size}×{size} images: {err}.{hint}") from None
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (4, 2):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            hint = (" `x.view(-1)` flattens the whole batch into one row: use nn.Flatten() (or x.flatten(1)), which "
                    "keeps one row per image." if isinstance(out, torch.Tensor) and out.shape[0] != 4 else "")
            raise CheckFailed(f"SmallCNN({size}) on 4 images of {size}×{size} should give logits of shape (4, 2), "
                              f"got {shape}.{hint}")
        if torch.allclose(out.sum(1), torch.ones(4), atol=1e-4) and bool((out >= 0).all()):
            raise CheckFailed("forward returns probabilities (each row sums to 1): return the logits, without softmax; "
                              "nn.CrossEntropyLoss applies log-softmax itself.")
        if not torch.allclose(model(x[:1]), out[:1], atol=1e-5):
            raise CheckFailed("the answer for one image depends on the other images of the batch: flatten each image "
                              "on its own (nn.Flatten() or x.flatten(1)), not the whole batch.")
        n = sum(p.numel() for p in model.parameters())
        expected = _small_cnn_parameters(size)
        if n != expected:
            if n == 3 * 9 * 8 + 8 + 8 * (size - 2) ** 2 * 2 + 2:
                raise CheckFailed(f"SmallCNN({size}) has {n:,} parameters: the pooling is missing, so the linear layer "
                                  "gets 4 times too many inputs. Add nn.MaxPool2d(2) after the ReLU.")
            raise CheckFailed(f"SmallCNN({size}) has {n:,} parameters, expected {expected:,}: one Conv2d(3, 8, "
                              "kernel_size=3) (224), ReLU, MaxPool2d(2), then one Linear from the flattened maps to 2.")
    # Without the ReLU, the logits of a uniformly grey image c are a straight line in c (convolution, pooling
    # and the linear layer all keep a constant image constant); the ReLU bends that line.
    with torch.no_grad():
        logits = torch.stack([model(torch.full((1, 3, 64, 64), c))[0] for c in (-3.0, -1.0, 1.0, 3.0)])
    bend = (logits[2] - logits[1]) - (logits[1] - logits[0]), (logits[3] - logits[2]) - (logits[2] - logits[1])
    if max(b.abs().max().item() for b in bend) < 1e-4:
        raise CheckFailed("SmallCNN has no nonlinearity between the convolution and the linear layer: add nn.ReLU() "
                          "after the convolution (without it, conv + pool + linear can only draw straight boundaries).")
    out = model(torch.randn(2, 3, 64, 64, generator=gen))
    out.sum().backward()
    if any(p.grad is None for p in model.parameters()):
        raise CheckFailed("some parameters get no gradient: use every layer you create in forward.")
    passed("SmallCNN", f"logits of shape (N, 2) at 32, 48 and 64 px; {_small_cnn_parameters(48):,} parameters at 48 px")
