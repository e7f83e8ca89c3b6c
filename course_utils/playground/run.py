"""One training run of the playground, as TensorFlow Playground's ``src/playground.ts`` keeps it.

A ``Run`` holds what a reset makes (the settings, the data split, the chosen input features, a
fresh network, the fixed batch order) and what training adds (the epoch, the readings after every
epoch, the learning rates used). It draws nothing: the widget shows it, tests and benchmarks
drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from course_utils.playground.data import Split
from course_utils.playground.engine import Network, Trainer, loss_for, readings

__all__ = ["Run"]


class Run:
    """Train the network ``config`` describes on ``data`` with inputs ``phi(X)``, weights drawn from ``generator``.

    ``config`` holds the settings (:meth:`course_utils.playground.controls.Controls.settings`);
    the run adds ``"loss"``, the loss it trains with. ``history`` maps a reading (``"train TF"``,
    ``"test accuracy"``, …) to its values after epoch 0, 1, 2, …

    Example:
        >>> from course_utils.playground.data import make_split
        >>> from course_utils.spiral import feature_map
        >>> config = {"features": ["x1", "x2"], "hidden": [4, 2], "activation": "tanh", "objective": "tf",
        ...           "learning_rate": 0.03, "batch_size": 10, "regularization": "none", "regularization_rate": 0.0}
        >>> run = Run(config, feature_map(config["features"]), make_split("gauss", 0, 50, seed=0),
        ...           torch.Generator().manual_seed(0))
        >>> for _ in range(5):
        ...     run.train_epoch()
        >>> run.epoch, run.config["loss"], run.history["test accuracy"][-1] > 0.9
        (5, 'tf', True)
    """

    def __init__(
        self,
        config: dict,
        phi: Callable[[torch.Tensor], torch.Tensor],
        data: Split,
        generator: torch.Generator,
    ) -> None:
        self.config = {**config, "loss": loss_for(data.n_classes, config["objective"])}
        self.phi, self.data, self.epoch = phi, data, 0
        self.features = {
            "train": self.features_of(data.X_train),
            "test": self.features_of(data.X_test),
        }
        self.targets = {"train": data.y_train, "test": data.y_test}
        n_outputs = data.n_classes if data.n_classes > 2 else 1
        self.network = Network.initial(
            len(config["features"]), config["hidden"], n_outputs, config["activation"], generator
        )
        self.trainer = Trainer(min(config["batch_size"], len(data.y_train)))
        self.learning_rates = {0: config["learning_rate"]}
        self.history: dict[str, list[float]] = {}
        self._record()

    def features_of(self, X: np.ndarray) -> np.ndarray:
        """The chosen input features of points ``X`` (N, 2)."""
        return self.phi(torch.from_numpy(X)).numpy()

    def set_learning_rate(self, rate: float) -> None:
        """Train with ``rate`` from the next epoch on (as on the web, without starting over)."""
        self.config["learning_rate"] = rate
        self.learning_rates[self.epoch] = rate

    def _record(self) -> None:
        for split_name in ("train", "test"):
            z = self.network.logits(self.features[split_name])
            for name, value in readings(self.config["loss"], z, self.targets[split_name]).items():
                self.history.setdefault(f"{split_name} {name}", []).append(value)

    def train_epoch(self) -> None:
        """One pass over the training points, batch by batch, as the web version's ``oneStep``; then the readings."""
        F, y = self.features["train"], self.targets["train"]
        c = self.config
        for batch in self.trainer.epoch_batches(len(y)):
            self.network.sgd_step(
                F[batch],
                y[batch],
                c["loss"],
                c["learning_rate"],
                c["regularization"],
                c["regularization_rate"],
            )
        self.epoch += 1
        self._record()
