"""Splitting data into training, validation and test parts, the same way on every run.

- ``split_by_percent``: shuffle the points once and cut them at percentages, as TensorFlow
  Playground does (notebook 04 and the playground);
- ``stratified_split`` and ``stratified_subset``: indices in which every class keeps its share
  (the photos of notebooks 05 and 06, the digits of notebook 07).
"""

from __future__ import annotations

import numbers

import torch

__all__ = ["split_by_percent", "stratified_split", "stratified_subset"]


def split_by_percent(
    X: torch.Tensor, y: torch.Tensor, *percents: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, ...]:
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
        raise ValueError(
            f"expected X of shape (N, d) and y of shape (N,), got {tuple(X.shape)} and {tuple(y.shape)}"
        )
    if not all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in percents):
        raise TypeError(
            f"percentages must be whole numbers such as 50, 25 (pass the generator as generator=…); "
            f"got {list(percents)}"
        )
    if not percents or min(percents) <= 0 or sum(percents) >= 100:
        raise ValueError(
            f"give one or more percentages above 0 that add up to less than 100 (the rest is the last "
            f"part), e.g. 50, 25 for 50 % train, 25 % validation, 25 % test; got {list(percents)}"
        )
    n = X.shape[0]
    order = torch.randperm(n, generator=generator)
    cuts = [0, *(n * sum(percents[: i + 1]) // 100 for i in range(len(percents))), n]
    parts = [order[start:stop] for start, stop in zip(cuts[:-1], cuts[1:])]
    if any(len(part) == 0 for part in parts):
        raise ValueError(
            f"{' % / '.join(map(str, percents))} % of {n} points leaves a part empty; "
            f"add points or change the percentages"
        )
    return tuple(t for part in parts for t in (X[part], y[part]))


def stratified_subset(groups: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """Sorted indices of about ``n`` items, each group (class) keeping its share.

    Example:
        >>> idx = stratified_subset(torch.tensor([0] * 30 + [1] * 70), 10)
        >>> len(idx), torch.bincount(torch.tensor([0] * 30 + [1] * 70)[idx]).tolist()
        (10, [3, 7])
    """
    g = torch.Generator().manual_seed(seed)
    picked = []
    for c in groups.unique(sorted=True).tolist():
        idx = torch.nonzero(groups == c).flatten()
        take = max(1, round(n * len(idx) / len(groups)))
        picked.append(idx[torch.randperm(len(idx), generator=g)[:take]])
    return torch.cat(picked).sort().values


def stratified_split(
    labels: torch.Tensor, val_fraction: float, seed: int = 0, test_fraction: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Indices of a train, a validation and a test part in which every class keeps its share.

    Each class gives at least one image to training, and to validation (and to test, when
    ``test_fraction`` > 0) whenever it has enough images.

    Example:
        >>> train, val, test = stratified_split(torch.tensor([0] * 10 + [1] * 20), 0.2, test_fraction=0.2)
        >>> len(train), len(val), len(test), torch.bincount(torch.tensor([0] * 10 + [1] * 20)[test]).tolist()
        (18, 6, 6, [2, 4])
    """
    g = torch.Generator().manual_seed(seed)
    train, val, test = [], [], []
    for c in labels.unique(sorted=True).tolist():
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_val = min(max(1, round(val_fraction * len(idx))), len(idx) - 1) if len(idx) > 1 else 0
        n_test = (
            min(max(1, round(test_fraction * len(idx))), len(idx) - 1 - n_val)
            if test_fraction > 0
            else 0
        )
        val.append(idx[:n_val])
        test.append(idx[n_val : n_val + n_test])
        train.append(idx[n_val + n_test :])
    return tuple(torch.cat(part).sort().values for part in (train, val, test))
