"""Classification metrics from the confusion matrix, and the baseline they must beat.

Conventions: ``confusion_matrix[i, j]`` counts examples of true class ``i`` predicted as ``j``.
A precision whose class was never predicted is 0 (no correct predictions to speak of).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "classification_report",
    "confusion_matrix",
    "majority_baseline",
    "plot_confusion_matrix",
    "precision_recall_f1",
]


def _as_labels(y: torch.Tensor | Sequence[int], name: str) -> torch.Tensor:
    y = torch.as_tensor(y)
    if y.dim() != 1 or y.dtype.is_floating_point:
        raise ValueError(
            f"{name} must be a 1-D tensor of class indices (ints), got {y.dtype} of shape "
            f"{tuple(y.shape)}; for scores take .argmax(1) first"
        )
    return y.cpu().long()


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> torch.Tensor:
    """Counts of (true class, predicted class) pairs: rows are true, columns predicted.

    Example:
        >>> confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1])
        tensor([[1, 1],
                [0, 2]])
    """
    y_true, y_pred = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}"
        )
    if num_classes is None:
        num_classes = int(max(y_true.max(), y_pred.max())) + 1 if len(y_true) else 0
    if len(y_true) and (
        min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= num_classes
    ):
        raise ValueError(f"class indices must be between 0 and {num_classes - 1}")
    flat = torch.bincount(y_true * num_classes + y_pred, minlength=num_classes**2)
    return flat.reshape(num_classes, num_classes)


def accuracy(y_true, y_pred) -> float:
    """Share of correct predictions.

    Example:
        >>> accuracy([0, 0, 1, 1], [0, 1, 1, 1])
        0.75
    """
    cm = confusion_matrix(y_true, y_pred)
    return cm.diag().sum().item() / max(cm.sum().item(), 1)


def precision_recall_f1(
    y_true, y_pred, num_classes: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-class precision TP/(TP+FP), recall TP/(TP+FN) and F1 (their harmonic mean).

    Example:
        >>> p, r, f1 = precision_recall_f1([0, 0, 1, 1], [0, 1, 1, 1])
        >>> [round(v, 4) for v in p.tolist()], r.tolist()
        ([1.0, 0.6667], [0.5, 1.0])
    """
    cm = confusion_matrix(y_true, y_pred, num_classes).float()
    tp = cm.diag()
    precision = tp / cm.sum(0).clamp(min=1)
    recall = tp / cm.sum(1).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    return precision, recall, f1


def balanced_accuracy(y_true, y_pred, num_classes: int | None = None) -> float:
    """Mean of the per-class recalls: every class counts the same, however rare.

    Example:
        >>> balanced_accuracy([0, 1, 1, 1], [1, 1, 1, 1])  # always "1": 75 % accuracy, but
        0.5
    """
    cm = confusion_matrix(y_true, y_pred, num_classes).float()
    present = cm.sum(1) > 0
    return (cm.diag()[present] / cm.sum(1)[present]).mean().item()


def majority_baseline(y_train, y_eval) -> dict[str, float]:
    """Scores of always predicting the most common training class: the bar to beat.

    Example:
        >>> majority_baseline([1, 1, 0], [0, 1, 1, 1])
        {'class': 1, 'accuracy': 0.75, 'balanced_accuracy': 0.5}
    """
    y_train, y_eval = _as_labels(y_train, "y_train"), _as_labels(y_eval, "y_eval")
    majority = int(torch.bincount(y_train).argmax())
    constant = torch.full_like(y_eval, majority)
    return {
        "class": majority,
        "accuracy": accuracy(y_eval, constant),
        "balanced_accuracy": balanced_accuracy(y_eval, constant),
    }


def classification_report(y_true, y_pred, class_names: Sequence[str]) -> dict[str, float]:
    """Accuracy, balanced accuracy and per-class precision, recall and F1 in one dict.

    Example:
        >>> classification_report([0, 0, 1, 1], [0, 1, 1, 1], ["cat", "dog"])["recall cat"]
        0.5
    """
    n = len(class_names)
    p, r, f1 = precision_recall_f1(y_true, y_pred, n)
    report = {
        "accuracy": accuracy(y_true, y_pred),
        "balanced accuracy": balanced_accuracy(y_true, y_pred, n),
    }
    for i, name in enumerate(class_names):
        report |= {
            f"precision {name}": p[i].item(),
            f"recall {name}": r[i].item(),
            f"F1 {name}": f1[i].item(),
        }
    return report


def plot_confusion_matrix(
    cm: torch.Tensor, class_names: Sequence[str], ax=None, title: str = "Confusion matrix"
):
    """Draw the confusion matrix with counts and row percentages. Returns the axes.

    Example:
        >>> plot_confusion_matrix(confusion_matrix([0, 1], [0, 0]), ["cat", "dog"])  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    cm = torch.as_tensor(cm)
    if cm.shape != (len(class_names), len(class_names)):
        raise ValueError(
            f"a confusion matrix for {len(class_names)} classes must be "
            f"{len(class_names)}×{len(class_names)}, got {tuple(cm.shape)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    share = cm.float() / cm.sum(1, keepdim=True).clamp(min=1)
    ax.imshow(share.numpy(), cmap="Blues", vmin=0, vmax=1)
    for i in range(len(class_names)):
        for j in range(len(class_names)):
            ax.text(
                j,
                i,
                f"{int(cm[i, j])}\n({share[i, j]:.0%})",
                ha="center",
                va="center",
                fontsize=14,
                color="white" if share[i, j] > 0.6 else "black",
            )
    ax.set_xticks(range(len(class_names)), class_names)
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    ax.grid(False)
    return ax
