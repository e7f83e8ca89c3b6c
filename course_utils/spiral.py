"""The two-spiral data set exactly as TensorFlow Playground makes it, and its input features.

TensorFlow Playground (``src/dataset.ts``, ``classifySpiralData``) draws ``n = 250`` points per
spiral, ``r = 5·i/n``, ``t = 1.75·2π·i/n + δ`` with ``δ = 0`` (label ``+1``) and ``δ = π``
(label ``-1``), then ``x = r·sin t + U(-1, 1)·noise`` and ``y = r·cos t + U(-1, 1)·noise``,
where ``noise`` is the Noise slider (0–50) divided by 100. It shuffles the 500 points once and
keeps the first ``⌊500·ratio/100⌋`` for training (``src/playground.ts``, ``generateData``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

__all__ = ["feature_map", "make_spiral", "split_train_test", "split_train_val_test"]

#: The playground's seven input features, in its order, as functions of a batch ``X`` (N, 2).
FEATURES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: torch.sin(X[:, 0]),
    "sin(x2)": lambda X: torch.sin(X[:, 1]),
}
MAX_NOISE = 50  # the playground's Noise slider goes from 0 to 50


def make_spiral(n_samples: int = 500, noise: float = 0.0,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spirals as TensorFlow Playground draws them.

    ``noise`` is the playground's Noise setting in percent (0–50): each coordinate moves by
    ``U(-1, 1)·noise/100``. Returns ``X`` (N, 2) float32 and labels ``y_pm`` (N,) of ``+1``
    (first spiral, the playground's blue) and ``-1`` (second, orange), in generation order.

    Example:
        >>> X, y_pm = make_spiral(500, noise=0)
        >>> X.shape, y_pm[:3].tolist(), y_pm[-1].item()
        (torch.Size([500, 2]), [1.0, 1.0, 1.0], -1.0)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2 or n_samples % 2:
        raise ValueError(f"n_samples must be an even int >= 2 (half per spiral), got {n_samples!r}")
    if not 0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise is the playground's slider in percent, 0 to {MAX_NOISE}; got {noise!r}")
    n = n_samples // 2
    i = torch.arange(n, dtype=torch.float64)
    r = 5 * i / n
    parts, labels = [], []
    for delta, label in ((0.0, 1.0), (math.pi, -1.0)):
        t = 1.75 * i / n * 2 * math.pi + delta
        jitter = (torch.rand(n, 2, generator=generator, dtype=torch.float64) * 2 - 1) * (noise / 100)
        parts.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1) + jitter)
        labels.append(torch.full((n,), label))
    return torch.cat(parts).float(), torch.cat(labels)


def split_train_test(X: torch.Tensor, y: torch.Tensor, train_percent: int = 50,
                     generator: torch.Generator | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Shuffle once and split like the playground: the first ``⌊N·train_percent/100⌋`` train.

    Example:
        >>> X, y = make_spiral()
        >>> [t.shape[0] for t in split_train_test(X, y, 30)]
        [150, 150, 350, 350]
    """
    if X.dim() != 2 or y.dim() != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"expected X of shape (N, d) and y of shape (N,), got {tuple(X.shape)} and {tuple(y.shape)}")
    if not 0 < train_percent < 100:
        raise ValueError(f"train_percent must be between 1 and 99, got {train_percent!r}")
    order = torch.randperm(X.shape[0], generator=generator)
    k = X.shape[0] * train_percent // 100
    train, test = order[:k], order[k:]
    return X[train], y[train], X[test], y[test]


def split_train_val_test(X: torch.Tensor, y: torch.Tensor, train_percent: int = 50, val_percent: int = 25,
                         generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """Shuffle once; the first ``train_percent`` % train, the next ``val_percent`` % validate, the rest test.

    The validation points choose (a model, a setting, an epoch); the test points, used for no
    choice, give the final word. Returns ``X_train, y_train, X_val, y_val, X_test, y_test``.

    Example:
        >>> X, y = make_spiral()
        >>> [t.shape[0] for t in split_train_val_test(X, y, 50, 25)]
        [250, 250, 125, 125, 125, 125]
    """
    if X.dim() != 2 or y.dim() != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"expected X of shape (N, d) and y of shape (N,), got {tuple(X.shape)} and {tuple(y.shape)}")
    if not (0 < train_percent and 0 < val_percent and train_percent + val_percent < 100):
        raise ValueError(f"need train_percent > 0, val_percent > 0 and their sum below 100 (the rest is the test set); "
                         f"got {train_percent!r} and {val_percent!r}")
    order = torch.randperm(X.shape[0], generator=generator)
    k_train = X.shape[0] * train_percent // 100
    k_val = X.shape[0] * (train_percent + val_percent) // 100
    parts = order[:k_train], order[k_train:k_val], order[k_val:]
    if any(len(part) == 0 for part in parts):
        raise ValueError(f"{train_percent} % / {val_percent} % of {X.shape[0]} points leaves an empty split; use more points")
    return tuple(t for part in parts for t in (X[part], y[part]))


def feature_map(names: Sequence[str]) -> Callable[[torch.Tensor], torch.Tensor]:
    """A function that turns points (N, 2) into the chosen playground features (N, len(names)).

    Example:
        >>> phi = feature_map(["x1", "x1*x2"])
        >>> phi(torch.tensor([[2.0, 3.0]]))
        tensor([[2., 6.]])
    """
    names = list(names)
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise ValueError(f"choose at least one feature from {list(FEATURES)}; unknown: {unknown}")

    def phi(X: torch.Tensor) -> torch.Tensor:
        if X.dim() != 2 or X.shape[1] != 2:
            raise ValueError(f"features are computed from points of shape (N, 2), got {tuple(X.shape)}")
        return torch.stack([FEATURES[n](X) for n in names], dim=1)

    phi.names = names  # type: ignore[attr-defined]
    return phi
