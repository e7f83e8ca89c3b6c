"""The two-spiral data set exactly as TensorFlow Playground makes it, and its input features.

TensorFlow Playground (``src/dataset.ts``, ``classifySpiralData``) draws ``n = 250`` points per
spiral, ``r = 5·i/n``, ``t = 1.75·2π·i/n + δ`` with ``δ = 0`` (label ``+1``) and ``δ = π``
(label ``-1``), then ``x = r·sin t + U(-1, 1)·noise`` and ``y = r·cos t + U(-1, 1)·noise``,
where ``noise`` is the Noise slider (0–50) divided by 100. It shuffles the 500 points once and
keeps the first ``⌊500·ratio/100⌋`` for training (``src/playground.ts``, ``generateData``;
here :func:`course_utils.splits.split_by_percent`).

``spiral`` is that generator, written once: the playground uses it as it is (noise as a
fraction, float64, the signature of its other data sets, its source copied into "Export as
PyTorch"); ``make_spiral`` gives the notebooks the same points with the noise in percent, as
float32, with its arguments checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

__all__ = ["feature_map", "make_spiral", "spiral"]

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


def spiral(n_samples: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two spirals: ``r = 5i/n``, ``t = 1.75·2π·i/n + δ`` (δ = 0: +1, δ = π: -1), jitter ``U(-1, 1)·noise``.

    The same points as :func:`course_utils.spiral.make_spiral` (which takes the noise in percent).

    Example:
        >>> X, y = spiral(500, 0.0, torch.Generator().manual_seed(0))
        >>> round(X.norm(dim=1).max().item(), 2), y[:250].eq(1).all().item()
        (4.98, True)
    """
    n = n_samples // 2
    i = torch.arange(n, dtype=torch.float64)
    parts, labels = [], []
    for delta, label in ((0.0, 1.0), (math.pi, -1.0)):
        r, t = 5 * i / n, 1.75 * i / n * 2 * math.pi + delta
        jitter = (2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1) * noise
        parts.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], dim=1) + jitter)
        labels.append(torch.full((n,), label, dtype=torch.float64))
    return torch.cat(parts), torch.cat(labels)


def make_spiral(
    n_samples: int = 500, noise: float = 0.0, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spirals as TensorFlow Playground draws them: :func:`spiral`, for the notebooks.

    ``noise`` is the playground's Noise setting in percent (0–50): each coordinate moves by
    ``U(-1, 1)·noise/100``. Returns ``X`` (N, 2) float32 and labels ``y_pm`` (N,) of ``+1``
    (first spiral, the playground's blue) and ``-1`` (second, orange), in generation order.
    Without ``generator`` the jitter comes from PyTorch's global generator.

    Example:
        >>> X, y_pm = make_spiral(500, noise=0)
        >>> X.shape, y_pm[:3].tolist(), y_pm[-1].item()
        (torch.Size([500, 2]), [1.0, 1.0, 1.0], -1.0)
    """
    if (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, int)
        or n_samples < 2
        or n_samples % 2
    ):
        raise ValueError(f"n_samples must be an even int >= 2 (half per spiral), got {n_samples!r}")
    if not 0 <= noise <= MAX_NOISE:
        raise ValueError(
            f"noise is the playground's slider in percent, 0 to {MAX_NOISE}; got {noise!r}"
        )
    X, y_pm = spiral(
        n_samples, noise / 100, torch.default_generator if generator is None else generator
    )
    return X.float(), y_pm.float()


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
            raise ValueError(
                f"features are computed from points of shape (N, 2), got {tuple(X.shape)}"
            )
        return torch.stack([FEATURES[n](X) for n in names], dim=1)

    phi.names = names  # type: ignore[attr-defined]
    return phi
