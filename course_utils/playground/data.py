"""TensorFlow Playground's six data sets, made as its ``src/dataset.ts`` makes them, and your own.

Each generator takes the number of points, the noise as a fraction (the web version's Noise
slider divided by 100) and a ``torch.Generator``, and returns points ``X`` (N, 2) and targets
``y`` (N,) in float64, in the order ``dataset.ts`` makes them. Per point they draw their
uniform numbers in the same order as ``dataset.ts`` calls ``Math.random()``, from PyTorch's
generator instead of the web version's seeded ``Math.random``: the same distribution, other
numbers. Classification targets are the web version's ±1 (``+1`` blue, ``-1`` orange);
regression targets lie in [-1, 1].

The generators use only ``torch`` and ``math``, so "Export as PyTorch" copies their source into
the exported script (``inspect.getsource``). The spiral is :func:`course_utils.spiral.spiral`, the
generator notebook 04 uses too; every split is :func:`course_utils.splits.split_by_percent`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from course_utils.spiral import spiral
from course_utils.splits import split_by_percent

__all__ = [
    "Split",
    "check_own_data",
    "circle",
    "gauss",
    "make_split",
    "reg_gauss",
    "reg_plane",
    "xor",
]

Generator = Callable[[int, float, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def circle(n_samples: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Half the points within radius 2.5 (label +1), half in the ring 3.5-5 (label -1).

    The label is decided after moving the point by ``U(-5, 5)·noise`` per axis, as on the web.

    Example:
        >>> X, y = circle(500, 0.0, torch.Generator().manual_seed(0))
        >>> X.shape, y[:250].eq(1).all().item(), y[250:].eq(-1).all().item()
        (torch.Size([500, 2]), True, True)
    """
    parts, labels = [], []
    for r_low, r_high in ((0.0, 2.5), (3.5, 5.0)):
        u = torch.rand(
            n_samples // 2, 4, generator=g, dtype=torch.float64
        )  # r, angle, noise x, noise y
        r = r_low + (r_high - r_low) * u[:, 0]
        angle = 2 * math.pi * u[:, 1]
        x, y = r * torch.sin(angle), r * torch.cos(angle)
        moved_x, moved_y = x + (10 * u[:, 2] - 5) * noise, y + (10 * u[:, 3] - 5) * noise
        inside = torch.sqrt(moved_x**2 + moved_y**2) < 2.5
        parts.append(torch.stack([x, y], dim=1))
        labels.append(torch.where(inside, 1.0, -1.0).double())
    return torch.cat(parts), torch.cat(labels)


def xor(n_samples: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Points in [-5, 5]², pushed 0.3 away from the axes; label +1 where x·y ≥ 0 (after noise).

    Example:
        >>> X, y = xor(500, 0.0, torch.Generator().manual_seed(0))
        >>> bool(((X[:, 0] * X[:, 1] >= 0) == (y > 0)).all()), round(X.abs().min().item(), 1) >= 0.3
        (True, True)
    """
    u = torch.rand(n_samples, 4, generator=g, dtype=torch.float64)  # x, y, noise x, noise y
    xy = 10 * u[:, :2] - 5
    xy = xy + torch.where(xy > 0, 0.3, -0.3)
    moved = xy + (10 * u[:, 2:] - 5) * noise
    return xy, torch.where(moved[:, 0] * moved[:, 1] >= 0, 1.0, -1.0).double()


def gauss(n_samples: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two Gaussian blobs around (2, 2) (label +1) and (-2, -2) (label -1).

    The variance grows with the noise from 0.5 to 4 (``d3.scale.linear().domain([0, .5])
    .range([0.5, 4])``); normals come from the polar (Marsaglia) method, as in ``dataset.ts``.

    Example:
        >>> X, y = gauss(500, 0.0, torch.Generator().manual_seed(0))
        >>> X[:250].mean(0).round().tolist(), X[250:].mean(0).round().tolist()
        ([2.0, 2.0], [-2.0, -2.0])
    """
    variance = 0.5 + noise * (4 - 0.5) / 0.5
    needed = 2 * n_samples  # x then y for every point
    accepted = torch.empty(0, 2, dtype=torch.float64)
    while len(accepted) < needed:  # rejection: keep pairs inside the unit disc
        v = 2 * torch.rand(needed + 64, 2, generator=g, dtype=torch.float64) - 1
        s = (v**2).sum(1)
        accepted = torch.cat([accepted, v[(s <= 1) & (s > 0)]])
    v = accepted[:needed]
    s = (v**2).sum(1)
    normal = (torch.sqrt(-2 * torch.log(s) / s) * v[:, 0]).reshape(n_samples, 2)
    centres = torch.tensor([2.0, 2.0], dtype=torch.float64).repeat(n_samples, 1)
    centres[n_samples // 2 :] = -2.0
    labels = torch.ones(n_samples, dtype=torch.float64)
    labels[n_samples // 2 :] = -1.0
    return centres + math.sqrt(variance) * normal, labels


def reg_plane(
    n_samples: int, noise: float, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Regression: points in [-6, 6]², target ``(x + y)/10`` computed after noise ``U(-6, 6)·noise``.

    Example:
        >>> X, y = reg_plane(1200, 0.0, torch.Generator().manual_seed(0))
        >>> bool(torch.allclose(y, X.sum(1) / 10))
        True
    """
    u = torch.rand(n_samples, 4, generator=g, dtype=torch.float64)  # x, y, noise x, noise y
    xy = 12 * u[:, :2] - 6
    moved = xy + (12 * u[:, 2:] - 6) * noise
    return xy, moved.sum(1) / 10


def reg_gauss(
    n_samples: int, noise: float, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Regression: six bumps of height ±1 and radius 2; a point takes the bump largest in size.

    Example:
        >>> X, y = reg_gauss(1200, 0.0, torch.Generator().manual_seed(0))
        >>> y.min().item() >= -1 and y.max().item() <= 1
        True
    """
    u = torch.rand(n_samples, 4, generator=g, dtype=torch.float64)  # x, y, noise x, noise y
    xy = 12 * u[:, :2] - 6
    moved = xy + (12 * u[:, 2:] - 6) * noise
    label = torch.zeros(n_samples, dtype=torch.float64)
    for cx, cy, sign in (
        (-4, 2.5, 1),
        (0, 2.5, -1),
        (4, 2.5, 1),
        (-4, -2.5, -1),
        (0, -2.5, 1),
        (4, -2.5, -1),
    ):
        distance = torch.sqrt((moved[:, 0] - cx) ** 2 + (moved[:, 1] - cy) ** 2)
        candidate = sign * (1 - distance / 2).clamp(0, 1)
        label = torch.where(candidate.abs() > label.abs(), candidate, label)
    return xy, label


#: Name shown in the playground -> generator, as ``state.ts`` lists them.
CLASSIFICATION: dict[str, Generator] = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
}
REGRESSION: dict[str, Generator] = {"reg-plane": reg_plane, "reg-gauss": reg_gauss}
DATASETS: dict[str, Generator] = {**CLASSIFICATION, **REGRESSION}
NUM_SAMPLES = {"classification": 500, "regression": 1200}  # playground.ts: NUM_SAMPLES_*
OWN = "own data"  # the data set of your own points


@dataclass(frozen=True)
class Split:
    """Train and test points with their targets (float64 NumPy arrays).

    ``n_classes`` is 0 for regression; for classification the targets are class indices
    0 … n_classes−1 (for the web version's data sets class 1 is its +1, class 0 its −1).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @classmethod
    def shuffled(
        cls,
        X: torch.Tensor,
        y: torch.Tensor,
        train_percent: int,
        g: torch.Generator,
        n_classes: int,
    ) -> Split:
        """Shuffle once and keep the first ``⌊N·train_percent/100⌋`` points for training (``generateData``).

        Example:
            >>> X, y = spiral(500, 0.0, torch.Generator().manual_seed(0))
            >>> s = Split.shuffled(X, (y > 0).double(), 30, torch.Generator().manual_seed(0), 2)
            >>> len(s.X_train), len(s.X_test)
            (150, 350)
        """
        parts = split_by_percent(X, y, train_percent, generator=g)
        return cls(*(t.double().numpy() for t in parts), n_classes)


def make_split(
    name: str,
    noise_percent: int,
    train_percent: int,
    seed: int,
    own: tuple[object, object, bool] | None = None,
) -> Split:
    """One of the web version's data sets, generated and split from ``seed`` (noise in percent).

    The data set ``"own data"`` is your points ``own = (X, y, regression)`` (:func:`check_own_data`).

    Example:
        >>> s = make_split("spiral", 0, 50, seed=0)
        >>> s.X_train.shape, s.n_classes, sorted(set(s.y_train.tolist()))
        ((250, 2), 2, [0.0, 1.0])
        >>> make_split("own data", 0, 50, 0, own=([[0, 0], [1, 1], [2, 0], [3, 3]], [0, 1, 0, 2], False)).n_classes
        3
    """
    g = torch.Generator().manual_seed(seed)
    if name == OWN:
        if own is None:
            raise ValueError("no own data yet: call use_own_data(X, y) or add points")
        X, y, n_classes = check_own_data(*own)
        return Split.shuffled(torch.from_numpy(X), torch.from_numpy(y), train_percent, g, n_classes)
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {list(DATASETS)}")
    if not 0 <= noise_percent <= 50:
        raise ValueError(
            f"noise is the playground's slider in percent, 0 to 50; got {noise_percent!r}"
        )
    task = "classification" if name in CLASSIFICATION else "regression"
    X, y = DATASETS[name](NUM_SAMPLES[task], noise_percent / 100, g)
    if task == "classification":
        return Split.shuffled(X, (y > 0).double(), train_percent, g, 2)
    return Split.shuffled(X, y, train_percent, g, 0)


def check_own_data(
    X: object, y: object, regression: bool = False
) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate your own points: ``X`` (N, 2) numbers, ``y`` class indices 0…K−1 (or targets).

    Returns float64 copies and the number of classes (0 for regression).

    Example:
        >>> X, y, k = check_own_data([[0, 0], [1, 1], [2, 0], [3, 3]], [0, 1, 2, 2])
        >>> X.shape, k
        ((4, 2), 3)
    """
    X, y = np.array(X, dtype=float), np.array(y, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(
            f"own data: X must have shape (N, 2) and y shape (N,), got {X.shape} and {y.shape}"
        )
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("own data: X and y must be finite numbers (found NaN or inf)")
    if len(X) < 4:
        raise ValueError(
            f"own data: give at least 4 points (some to train, some to test), got {len(X)}"
        )
    if regression:
        return X, y, 0
    classes = np.unique(y)
    if not np.array_equal(classes, np.arange(len(classes))) or len(classes) < 2:
        raise ValueError(
            f"own data: labels must be class numbers 0, 1, …, K−1 (K ≥ 2, every class present); "
            f"got {classes.tolist()}. For a regression target pass regression=True."
        )
    return X, y, len(classes)
