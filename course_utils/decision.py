"""Decision boundaries and loss curves for 2-D classifiers: any model, any feature map.

The model is evaluated where it lives (the device of its first parameter); nothing here moves
it, and its train/eval mode is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from course_utils.device import model_device
from course_utils.plotting import CLASS_COLORS, DIVERGING_CMAP

__all__ = [
    "grid_proba",
    "plot_decision_boundary",
    "plot_loss_curves",
    "plot_points",
    "predict_proba",
]

FeatureMap = Callable[[torch.Tensor], torch.Tensor]


def _check_points(X: torch.Tensor, name: str = "X") -> None:
    if not isinstance(X, torch.Tensor) or X.dim() != 2 or X.shape[1] != 2:
        shape = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
        raise ValueError(f"{name} must be a tensor of 2-D points with shape (N, 2), got {shape}")


def predict_proba(
    model: torch.nn.Module, X: torch.Tensor, feature_fn: FeatureMap | None = None
) -> torch.Tensor:
    """Probability of class 1 for points ``X`` (N, 2), returned on the CPU.

    The model must return one logit per point, shape (N,) or (N, 1), or two class logits (N, 2).

    Example:
        >>> p = predict_proba(torch.nn.Linear(2, 1), torch.zeros(5, 2))
        >>> p.shape
        torch.Size([5])
    """
    _check_points(X)
    device = model_device(model)
    inputs = X if feature_fn is None else feature_fn(X)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(inputs.to(device))
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor) or out.dim() not in (1, 2) or out.shape[0] != X.shape[0]:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"the model returned {got} for {X.shape[0]} points; it should return one logit "
            f"per point, shape ({X.shape[0]},) or ({X.shape[0]}, 1), or two class logits ({X.shape[0]}, 2)"
        )
    if out.dim() == 1 or out.shape[1] == 1:
        return torch.sigmoid(out.reshape(-1)).cpu()
    if out.shape[1] == 2:
        return torch.softmax(out, dim=1)[:, 1].cpu()
    raise ValueError(
        f"the model returned {out.shape[1]} outputs per point; a binary decision boundary "
        "needs 1 (a logit) or 2 (class logits). Check the last layer's out_features."
    )


def grid_proba(
    model: torch.nn.Module,
    feature_fn: FeatureMap | None = None,
    extent: tuple[float, float] = (-6.0, 6.0),
    resolution: int = 100,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Probability of class 1 on a ``resolution × resolution`` grid over ``extent`` (both axes).

    Returns ``xx, yy, proba``, each of shape (resolution, resolution), on the CPU.

    Example:
        >>> xx, yy, p = grid_proba(torch.nn.Linear(2, 1), resolution=20)
        >>> p.shape
        torch.Size([20, 20])
    """
    lo, hi = extent
    if not lo < hi or resolution < 2:
        raise ValueError(
            f"need extent (low, high) with low < high and resolution >= 2, got {extent}, {resolution}"
        )
    axis = torch.linspace(lo, hi, resolution)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    proba = predict_proba(model, torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1), feature_fn)
    return xx, yy, proba.reshape(resolution, resolution)


def plot_points(ax: Axes, X: torch.Tensor, y: torch.Tensor, *, test: bool = False) -> None:
    """Scatter points coloured by class (``y > 0`` is class 1, so 0/1 and ±1 labels both work).

    Test points get a black edge, as in TensorFlow Playground.

    Example:
        >>> fig, ax = plt.subplots()
        >>> plot_points(ax, torch.zeros(2, 2), torch.tensor([0.0, 1.0]))
    """
    _check_points(X)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {tuple(y.shape)}")
    X, cls = X.detach().cpu().numpy(), (y.detach().cpu() > 0).numpy()
    for k in (0, 1):
        mask = cls == k
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=22,
            color=CLASS_COLORS[k],
            edgecolors="black" if test else "white",
            linewidths=0.8,
            label=f"{'test' if test else 'train'}, class {k}",
        )


def plot_decision_boundary(
    model: torch.nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    *,
    feature_fn: FeatureMap | None = None,
    ax: Axes | None = None,
    title: str = "Decision boundary",
    extent: tuple[float, float] = (-6.0, 6.0),
    resolution: int = 100,
    colorbar: bool = True,
) -> Axes:
    """Shade P(class 1) over the plane, draw the 0.5 contour and the train (and test) points.

    ``colorbar`` adds the colour key (probability of class 1, 0 to 1) beside the axes; the
    shading always spans 0 to 1, so panels drawn side by side share one key.

    Example:
        >>> X = torch.randn(10, 2); y = (X[:, 0] > 0).float()
        >>> ax = plot_decision_boundary(torch.nn.Linear(2, 1), X, y)
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5) if colorbar else (5.5, 5))
    xx, yy, proba = grid_proba(model, feature_fn, extent, resolution)
    shading = ax.contourf(
        xx,
        yy,
        proba,
        levels=[i / 20 for i in range(21)],
        cmap=DIVERGING_CMAP,
        vmin=0,
        vmax=1,
        alpha=0.7,
    )
    if colorbar:
        key = ax.figure.colorbar(
            shading, ax=ax, ticks=[0, 0.25, 0.5, 0.75, 1], fraction=0.046, pad=0.04
        )
        key.set_label("P(class 1)")
    if 0 < proba.min() < 0.5 < proba.max():
        ax.contour(xx, yy, proba, levels=[0.5], colors="black", linewidths=1.5)
    plot_points(ax, X_train, y_train)
    if X_test is not None and y_test is not None:
        plot_points(ax, X_test, y_test, test=True)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", xlim=extent, ylim=extent, aspect="equal")
    return ax


def plot_loss_curves(
    history: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    title: str = "Loss during training",
    ylabel: str = "loss",
    xlabel: str = "epoch",
) -> Axes:
    """One line per named series, e.g. ``{"train": [...], "test": [...]}``.

    Example:
        >>> ax = plot_loss_curves({"train": [1.0, 0.5], "test": [1.1, 0.7]})
    """
    if not history or any(len(v) == 0 for v in history.values()):
        raise ValueError("history needs at least one non-empty series, e.g. {'train': [0.7, 0.5]}")
    if ax is None:
        _, ax = plt.subplots()
    for name, values in history.items():
        ax.plot(range(1, len(values) + 1), list(values), label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.legend()
    return ax
