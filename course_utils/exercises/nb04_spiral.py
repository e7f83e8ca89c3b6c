"""Checks for the exercises of notebook 04 (spiral classification)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_utils.checks import CheckFailed, call_student, check_close, check_tensor, passed
from course_utils.spiral import FEATURES, feature_map

__all__ = ["check_add_features", "check_logit_accuracy"]

_POINTS = torch.tensor([[0.5, -1.0], [2.0, 3.0], [-4.0, 0.25]])
# Logits and labels chosen so that each usual mistake gives its own value: right 10/12,
# threshold 0.5 on logits 11/12, "every point is class 1" 5/12, share predicted 1 7/12, error rate 2/12.
_LOGITS = torch.tensor([2.0, -1.0, 0.3, -0.2, 0.1, -3.0, 4.0, 0.4, -0.6, 1.5, 0.7, -0.4])
_LABELS = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0])


def check_add_features(add_features: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``add_features(X)`` must return the playground's 7 features, in its order, shape (N, 7),
    and leave ``X`` unchanged.

    Example:
        >>> check_add_features(feature_map(list(FEATURES)))
        ✅ add_features is correct
    """
    points = _POINTS.clone()
    version = points._version                  # PyTorch counts in-place writes to a tensor
    actual = call_student(add_features, points, name="add_features")
    if points._version != version or not torch.equal(points, _POINTS):
        raise CheckFailed("add_features changed the points it was given (an in-place operation such as "
                          "X[:, 0] **= 2 or X.pow_(2)); build new columns instead, e.g. X[:, 0] ** 2.")
    expected = feature_map(list(FEATURES))(_POINTS)
    if isinstance(actual, torch.Tensor) and actual.shape == expected.shape:
        for j, name in enumerate(FEATURES):
            if not torch.allclose(actual[:, j].double(), expected[:, j].double(), atol=1e-5):
                raise CheckFailed(f"add_features: column {j} should be {name}, in the order "
                                  f"{', '.join(FEATURES)}; for the point (2, 3) it is {actual[1, j].item():.4g}, "
                                  f"expected {expected[1, j].item():.4g}.")
    check_tensor(actual, expected, name="add_features(X)", atol=1e-5, quiet=True)
    passed("add_features")


def check_logit_accuracy(logit_accuracy: Callable[[torch.Tensor, torch.Tensor], float]) -> None:
    """``logit_accuracy(logits, y)``: the fraction, as a Python float, of points whose logit sign
    matches its 0/1 label.

    Example:
        >>> check_logit_accuracy(lambda z, y: ((z > 0).float() == y).float().mean().item())
        ✅ logit_accuracy is correct
    """
    z, y = _LOGITS, _LABELS
    actual = call_student(logit_accuracy, z.clone(), y.clone(), name="logit_accuracy")
    if isinstance(actual, torch.Tensor):
        shape = "a tensor" if actual.numel() == 1 else f"a tensor of shape {tuple(actual.shape)}"
        raise CheckFailed(f"logit_accuracy returned {shape}; the exercise asks for one Python float: "
                          "reduce with .mean() and convert with .item().")
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        raise CheckFailed(f"logit_accuracy returned a {type(actual).__name__}; it should return a float "
                          "between 0 and 1.")
    value, n = float(actual), len(y)
    mistakes = {
        ((z > 0.5).float() == y).float().mean().item():
            "as if the logits were probabilities: a logit is positive for class 1, so compare with 0 "
            "(or apply torch.sigmoid first, then compare with 0.5)",
        y.mean().item():
            "as if every point were predicted class 1: sigmoid(z) > 0 always holds; compare sigmoid(z) "
            "with 0.5, or the logit with 0",
        (z > 0).float().mean().item():
            "the share of points predicted as class 1; compare each prediction with its label y",
        ((z > 0).float() != y).float().mean().item():
            "the error rate (the share of wrong points); accuracy is the share of right ones",
        ((z > 0).float() == y).float().sum().item():
            f"the number of correct points; divide by the number of points ({n})",
    }
    for wrong, why in mistakes.items():
        if abs(value - wrong) < 1e-6:
            raise CheckFailed(f"logit_accuracy returned {value:.4g} here, {why}.")
    check_close(value, ((z > 0).float() == y).float().mean().item(), name="logit_accuracy(logits, y)", quiet=True)
    passed("logit_accuracy")
