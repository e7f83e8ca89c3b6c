"""Checks for the exercises of notebook 04 (spiral classification)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_utils.checks import CheckFailed, call_student, check_close, check_tensor, passed
from course_utils.spiral import FEATURES, feature_map

__all__ = ["check_accuracy", "check_add_features"]

_POINTS = torch.tensor([[0.5, -1.0], [2.0, 3.0], [-4.0, 0.25]])


def check_add_features(add_features: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``add_features(X)`` must return the playground's 7 features, in its order, shape (N, 7).

    Example:
        >>> check_add_features(feature_map(list(FEATURES)))
        ✅ add_features is correct
    """
    actual = call_student(add_features, _POINTS.clone(), name="add_features")
    expected = feature_map(list(FEATURES))(_POINTS)
    if isinstance(actual, torch.Tensor) and actual.shape == expected.shape:
        for j, name in enumerate(FEATURES):
            if not torch.allclose(actual[:, j].double(), expected[:, j].double(), atol=1e-5):
                raise CheckFailed(f"add_features: column {j} should be {name}, in the order "
                                  f"{', '.join(FEATURES)}; for the point (2, 3) it is {actual[1, j].item():.4g}, "
                                  f"expected {expected[1, j].item():.4g}.")
    check_tensor(actual, expected, name="add_features(X)", atol=1e-5, quiet=True)
    passed("add_features")


def check_accuracy(accuracy: Callable[[torch.Tensor, torch.Tensor], object]) -> None:
    """``accuracy(logits, y)``: the fraction of points whose logit sign matches its 0/1 label.

    Example:
        >>> check_accuracy(lambda z, y: ((z > 0).float() == y).float().mean())
        ✅ accuracy is correct
    """
    logits = torch.tensor([2.0, -1.0, 0.3, -0.2, 0.1, -3.0, 4.0, 0.4])
    y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0])
    actual = call_student(accuracy, logits.clone(), y.clone(), name="accuracy")
    if isinstance(actual, (int, float, torch.Tensor)) and not (isinstance(actual, torch.Tensor) and actual.numel() != 1):
        value = float(actual)
        if abs(value - 0.625) < 1e-6:
            raise CheckFailed("accuracy gives 0.625 here, as if the logits were probabilities: a logit is "
                              "positive for class 1, so compare with 0 (or use torch.sigmoid first, then 0.5).")
        if abs(value - 6.0) < 1e-6:
            raise CheckFailed("accuracy returned the number of correct points (6); divide by the number of points.")
    check_close(actual, 0.75, name="accuracy(logits, y)", quiet=True)
    passed("accuracy")
