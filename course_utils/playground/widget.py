"""``Playground``: the controls wired to the data, the engine and the pictures.

Everything a button does is a plain method (``step``, ``reset``, ``play``, ``pause``,
``export_pytorch``, ``add_point``), so tests drive it without a browser: set a widget's ``value``,
call ``button.click()``, read ``state()``.

What the web version has: its six data sets (:mod:`course_utils.playground.data`), its network
and training (:mod:`course_utils.playground.engine`: same initialisation, batches, loss and
regularisation, in float64), the network picture with a heat-map per neuron and weights as
coloured lines (:mod:`course_utils.playground.network`), "show test data" and "discretize
output". Choose a neuron under *show* to see its output large (the web version does it on hover).

What it adds: your own points (``use_own_data(X, y)`` or *add point*), three or more classes
(softmax and cross-entropy), PyTorch's ``BCEWithLogitsLoss`` as an alternative loss, the
accuracy beside the loss, and *Export as PyTorch* (:mod:`course_utils.playground.export`).
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils.playground.controls import Controls
from course_utils.playground.data import OWN, make_split
from course_utils.playground.export import export_pytorch
from course_utils.playground.own_points import OwnPoints
from course_utils.playground.playing import Playing
from course_utils.playground.run import Run
from course_utils.playground.scene import Scene
from course_utils.plotting import COLORS
from course_utils.spiral import feature_map

__all__ = ["Playground"]


class Playground(Playing, OwnPoints, Controls):
    """The controls, wired to a training run (``run``, a :class:`Run`) and its pictures (``scene``,
    a :class:`Scene`); Play and Pause are :class:`Playing`'s, your own points :class:`OwnPoints`'.

    Example:
        >>> pg = Playground(seed=0, resolution=20)
        >>> pg.step_button.click()
        >>> pg.state()["epoch"]
        1
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        resolution: int = 50,
        max_play_epochs: int = 2000,
        frame_delay: float = 0.01,
        dataset: str = "spiral",
    ) -> None:
        self.seed = seed
        Playing.__init__(self, max_play_epochs, frame_delay)
        OwnPoints.__init__(self)
        self.error: str | None = None
        self._resetting = False
        self._holding = False  # configure() sets several controls, then resets once
        Controls.__init__(self, dataset)
        self.play_button.on_click(lambda _: self.pause() if self.playing else self.play())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.export_button.on_click(lambda _: self._show_export())
        self.add_point_button.on_click(
            lambda _: self.add_point(
                self.point_x1.value, self.point_x2.value, self.point_class.value
            )
        )
        for name, control in [*self.settings_controls.items(), *self.feature_boxes.items()]:
            # as on the web, a new learning rate applies without a reset
            if name != "learning_rate":
                control.observe(lambda _: self.reset(), names="value")
        self.learning_rate.observe(self._set_learning_rate, names="value")
        self.show_test.observe(lambda _: self._draw_scene(), names="value")
        self.discretize.observe(lambda _: self.redraw(), names="value")
        self.show.observe(lambda _: self._draw_scene(), names="value")
        self.scene = Scene(resolution)
        self.reset()

    def configure(self, **values: object) -> None:
        """Set several controls at once, then start over once; names as in :meth:`settings`.

        Example:
            >>> pg = Playground(resolution=10)
            >>> pg.configure(dataset="xor", features=["x1", "x2", "x1*x2"], hidden=[8, 8], learning_rate=0.1)
            >>> pg.state()["hidden"], pg.run.network.sizes
            ([8, 8], [3, 8, 8, 1])
        """
        self._holding = True
        try:
            self.set_controls(**values)
        finally:
            self._holding = False
        self.reset()

    def state(self) -> dict:
        """Settings, epoch, the latest readings (``"train TF"``, ``"test accuracy"``, …) and whether it plays."""
        latest = {name: values[-1] for name, values in self.run.history.items()}
        return {
            **self.run.config,
            "epoch": self.run.epoch,
            "playing": self.playing,
            "error": self.error,
            **latest,
        }

    # --- training -----------------------------------------------------------------------------
    def _show_error(self, message: str) -> None:
        self.error = message
        self.status.value = f"<b style='color:{COLORS['vermillion']}'>{message}</b>"

    def reset(self) -> None:
        """Pause, regenerate the data from the seed and the settings, and start a fresh network."""
        if self._holding:
            return
        self.pause()
        try:
            config = self.settings()
            phi = feature_map(config["features"])
            data = make_split(
                config["dataset"],
                config["noise"],
                config["train_percent"],
                self.seed,
                self.own_points,
            )
        except ValueError as err:
            self._show_error(str(err))
            return
        self.run = Run(config, phi, data, torch.Generator().manual_seed(self.seed))
        self.objective.disabled = data.n_classes != 2
        self.error = None
        self.scene.new_run(self.run)
        options = ["output", *(name for layer in self.scene.names[:-1] for name in layer)]
        if self.show.options != tuple(options):
            self._resetting = True  # each change of show would draw; draw once, below
            self.show.options = options
            self.show.value = "output"
            self._resetting = False
        self._draw_scene()

    def _set_learning_rate(self, change: dict) -> None:
        if self.error is None:
            self.run.set_learning_rate(change["new"])

    def step(self, epochs: int = 1, redraw: bool = True) -> None:
        """Train ``epochs`` passes over the training data (recording the readings after each), then redraw."""
        if self.error is not None:
            return
        for _ in range(epochs):
            self.run.train_epoch()
        if redraw:
            self.redraw()

    def to_torch(self) -> nn.Sequential:
        """The current network as a float64 PyTorch ``nn.Sequential`` (the last layer gives ``z``)."""
        return self.run.network.to_torch()

    def export_pytorch(self) -> str:
        """Plain PyTorch code that rebuilds the data and this network and trains it for ``epoch`` epochs."""
        if self.error is not None:
            raise ValueError(f"nothing to export: {self.error}")
        run = self.run
        own = self.own_points[:2] if run.config["dataset"] == OWN else None
        return export_pytorch(
            run.config,
            seed=self.seed,
            epochs=run.epoch,
            learning_rates=run.learning_rates,
            n_classes=run.data.n_classes,
            own_data=own,
        )

    def _show_export(self) -> None:
        try:
            self.export_code.value = self.export_pytorch()
        except ValueError as err:
            self._show_error(str(err))
            return
        self.export_code.layout.display = "block"

    # --- drawing ------------------------------------------------------------------------------
    def _draw_scene(self) -> None:
        if self.error is not None or self._resetting:
            return
        self.scene.start(self.show.value, self.show_test.value)
        self.redraw()

    def redraw(self) -> None:
        """Update the network picture, the chosen neuron over the plane, the curves and the status."""
        if self.error is not None:
            return
        self.network_image.value, self.image.value = self.scene.frames(
            self.show.value, self.discretize.value
        )
        self.status.value = f"epoch <b>{self.run.epoch:07,d}</b> · " + " · ".join(
            f"{name} {values[-1]:.3f}" for name, values in self.run.history.items()
        )
