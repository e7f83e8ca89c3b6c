"""Splitting data into training, validation and test parts, the same way on every run.

- ``split_by_percent``: shuffle the points once and cut them at percentages, as TensorFlow
  Playground does (notebook 04 and the playground).
"""

from __future__ import annotations

import numbers

import torch

__all__ = ["split_by_percent"]


def split_by_percent(X: torch.Tensor, y: torch.Tensor, *percents: int,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """Shuffle the points once and cut them: the first ``percents[0]`` %, the next ``percents[1]`` %, …, the rest.

    A part holds ``⌊N·p/100⌋`` points, counted from the start, as TensorFlow Playground keeps
    the first ``⌊N·ratio/100⌋`` shuffled points for training (``generateData``). Returns ``X``
    and ``y`` of each part in turn: ``X_train, y_train, X_test, y_test`` for one percentage,
    ``X_train, y_train, X_val, y_val, X_test, y_test`` for two.

    Example:
        >>> X, y = torch.arange(40.0).reshape(20, 2), torch.arange(20)
        >>> parts = split_by_percent(X, y, 50, 25, generator=torch.Generator().manual_seed(0))
        >>> [len(part) for part in parts]
        [10, 10, 5, 5, 5, 5]
    """
    if X.dim() != 2 or y.dim() != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"expected X of shape (N, d) and y of shape (N,), got {tuple(X.shape)} and {tuple(y.shape)}")
    if not all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in percents):
        raise TypeError(f"percentages must be whole numbers such as 50, 25 (pass the generator as generator=…); "
                        f"got {list(percents)}")
    if not percents or min(percents) <= 0 or sum(percents) >= 100:
        raise ValueError(f"give one or more percentages above 0 that add up to less than 100 (the rest is the last "
                         f"part), e.g. 50, 25 for 50 % train, 25 % validation, 25 % test; got {list(percents)}")
    n = X.shape[0]
    order = torch.randperm(n, generator=generator)
    cuts = [0, *(n * sum(percents[:i + 1]) // 100 for i in range(len(percents))), n]
    parts = [order[start:stop] for start, stop in zip(cuts[:-1], cuts[1:])]
    if any(len(part) == 0 for part in parts):
        raise ValueError(f"{' % / '.join(map(str, percents))} % of {n} points leaves a part empty; "
                         f"add points or change the percentages")
    return tuple(t for part in parts for t in (X[part], y[part]))
