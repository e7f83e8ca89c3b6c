"""Your own points: ``use_own_data(X, y)`` and the *add point* button, the data set "own data".

``OwnPoints`` is a part of :class:`course_utils.playground.Playground`: it needs the widget's
``dataset`` drop-down, its ``reset()`` and its ``_show_error(message)``.
"""

from __future__ import annotations

import numpy as np

from course_utils.playground.data import DATASETS, OWN, check_own_data

__all__ = ["OwnPoints"]


class OwnPoints:
    """The points you gave (``own_points``: X, y and whether y holds regression targets), if any.

    Example:
        >>> from course_utils.playground import Playground
        >>> pg = Playground(resolution=10)
        >>> pg.use_own_data([[0, 0], [1, 1], [0, 1], [1, 0]], [0, 0, 1, 1])
        >>> pg.state()["dataset"], pg.run.data.n_classes
        ('own data', 2)
    """

    def __init__(self) -> None:
        self.own_points: tuple[np.ndarray, np.ndarray, bool] | None = None

    def use_own_data(self, X: object, y: object, *, regression: bool = False) -> None:
        """Train on your own points: ``X`` (N, 2) and labels 0…K−1 (K ≥ 2), or targets with ``regression``.

        Adds "own data" to the data sets, chooses it and starts over. Noise does not apply.
        """
        X, y, _ = check_own_data(X, y, regression)
        self.own_points = (X, y, regression)
        if OWN not in self.dataset.options:
            self.dataset.options = [*DATASETS, OWN]
        if self.dataset.value == OWN:
            self.reset()
        else:
            self.dataset.value = OWN  # resets

    def add_point(self, x1: float, x2: float, label: int) -> None:
        """Add one point of class ``label`` to your own data (the *add point* button); trains on it
        once there are at least 4 points of at least 2 classes."""
        X, y = (np.zeros((0, 2)), np.zeros(0)) if self.own_points is None else self.own_points[:2]
        X, y = np.vstack([X, [[x1, x2]]]), np.append(y, label)
        try:
            self.use_own_data(X, y)
        except ValueError as err:
            self.own_points = (X, y, False)  # keep collecting
            self._show_error(f"{len(X)} own point(s) so far; {err}")
