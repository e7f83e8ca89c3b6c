"""The course's own TensorFlow Playground, as ipywidgets inside Jupyter.

``Playground`` holds the widgets and the training state. Everything a button does is a plain
method (``step``, ``reset``, ``play``, ``pause``, ``export_pytorch``, ``add_point``), so tests
drive it without a browser: set a widget's ``value``, call ``button.click()``, read ``state()``.

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

import asyncio
import io

import ipywidgets as widgets
import numpy as np
import PIL.Image
import PIL.ImageDraw
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from torch import nn

from course_utils.playground.data import DATASETS, Split, check_own_data, make_split, split
from course_utils.playground.engine import ACTIVATION_NAMES, Network, Trainer, output_picture, readings
from course_utils.playground.export import export_pytorch
from course_utils.playground.network import (MULTI_CLASS_COLORS, NetworkPicture, colorize, colorize_classes,
                                             node_names)
from course_utils.plotting import COLORS
from course_utils.spiral import FEATURES, feature_map

__all__ = ["Playground", "build_playground_net", "loss_for", "parse_hidden"]

ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid,
                                           "linear": nn.Identity}
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
EXTENT = (-6.0, 6.0)  # the playground's plotted square
OWN = "own data"


def parse_hidden(text: str) -> list[int]:
    """Neurons per hidden layer from text such as ``"4, 2"`` (empty text: no hidden layer).

    Example:
        >>> parse_hidden("4, 2")
        [4, 2]
    """
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not all(p.isdigit() and 1 <= int(p) <= 64 for p in parts) or len(parts) > 6:
        raise ValueError(f"hidden layers: write up to 6 neuron counts between 1 and 64, "
                         f"separated by commas, e.g. '4, 2'; got {text!r}")
    return [int(p) for p in parts]


def build_playground_net(n_inputs: int, hidden: list[int], activation: str,
                         generator: torch.Generator, n_outputs: int = 1) -> nn.Sequential:
    """A PyTorch MLP initialised like TF Playground (w ~ U(−0.5, 0.5), b = 0.1).

    Example:
        >>> net = build_playground_net(2, [4, 2], "tanh", torch.Generator().manual_seed(0))
        >>> sum(p.numel() for p in net.parameters())
        25
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    sizes = [n_inputs, *hidden, n_outputs]
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(n_in, n_out)
        with torch.no_grad():
            linear.weight.copy_(torch.rand(n_out, n_in, generator=generator) - 0.5)
            linear.bias.fill_(0.1)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def loss_for(n_classes: int, objective: str) -> str:
    """The loss the engine trains with: the chosen one for two classes, else the only one that fits.

    Example:
        >>> loss_for(2, "bce"), loss_for(3, "tf"), loss_for(0, "tf")
        ('bce', 'ce', 'mse')
    """
    return objective if n_classes == 2 else ("ce" if n_classes > 2 else "mse")


class Playground:
    """Controls, Play/Pause/Step/Reset, the network picture, the output over the plane and loss curves.

    Example:
        >>> pg = Playground(seed=0, resolution=20)
        >>> pg.step_button.click()
        >>> pg.state()["epoch"]
        1
    """

    def __init__(self, *, seed: int = 0, resolution: int = 50, max_play_epochs: int = 2000,
                 frame_delay: float = 0.01, dataset: str = "spiral") -> None:
        self.seed, self.resolution = seed, resolution
        self.max_play_epochs, self.frame_delay = max_play_epochs, frame_delay
        self._task: asyncio.Task | None = None
        self.playing = False
        self.own_points: tuple[np.ndarray, np.ndarray, bool] | None = None
        self.error: str | None = None
        self._resetting = False
        self._holding = False   # configure() sets several controls, then resets once
        style = {"description_width": "initial"}
        self.dataset = widgets.Dropdown(options=list(DATASETS), value=dataset, description="data", style=style)
        self.feature_boxes = {name: widgets.Checkbox(value=name in ("x1", "x2"), description=name, indent=False,
                                                     layout=widgets.Layout(width="80px")) for name in FEATURES}
        self.hidden = widgets.Text(value="4, 2", description="neurons per hidden layer", style=style)
        self.activation = widgets.Dropdown(options=list(ACTIVATION_NAMES), value="tanh", description="activation")
        self.learning_rate = widgets.Dropdown(options=LEARNING_RATES, value=0.03, description="learning rate", style=style)
        self.regularization = widgets.Dropdown(options=["none", "L1", "L2"], value="none", description="regularisation", style=style)
        self.regularization_rate = widgets.Dropdown(options=REGULARIZATION_RATES, value=0.0, description="reg. rate", style=style)
        self.batch_size = widgets.IntSlider(value=10, min=1, max=30, description="batch size", style=style)
        self.noise = widgets.IntSlider(value=0, min=0, max=50, step=5, description="noise (%)", style=style)
        self.train_percent = widgets.IntSlider(value=50, min=10, max=90, step=10, description="train data (%)", style=style)
        self.objective = widgets.Dropdown(options=[("TF: ½(tanh − target)²", "tf"), ("BCEWithLogitsLoss", "bce")],
                                          value="tf", description="2 classes: train with", style=style)
        self.show_test = widgets.Checkbox(value=False, description="show test data", indent=False)
        self.discretize = widgets.Checkbox(value=False, description="discretize output", indent=False)
        self.show = widgets.Dropdown(options=["output"], value="output", description="show", style=style)
        self.play_button = widgets.Button(description="▶ Play", button_style="success")
        self.step_button = widgets.Button(description="Step")
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        self.export_button = widgets.Button(description="Export as PyTorch", icon="download")
        self.export_code = widgets.Textarea(layout=widgets.Layout(width="100%", height="240px", display="none"))
        self.point_x1 = widgets.FloatText(value=0.0, description="x1", layout=widgets.Layout(width="130px"))
        self.point_x2 = widgets.FloatText(value=0.0, description="x2", layout=widgets.Layout(width="130px"))
        self.point_class = widgets.Dropdown(options=list(range(len(MULTI_CLASS_COLORS))), value=0, description="class",
                                            layout=widgets.Layout(width="130px"))
        self.add_point_button = widgets.Button(description="add point")
        self.status = widgets.HTML()
        self.network_image = widgets.Image(format="jpeg")  # JPEG: encoded in a few ms, unlike PNG
        self.image = widgets.Image(format="jpeg")
        self.play_button.on_click(lambda _: self.pause() if self.playing else self.play())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.export_button.on_click(lambda _: self._show_export())
        self.add_point_button.on_click(
            lambda _: self.add_point(self.point_x1.value, self.point_x2.value, self.point_class.value))
        for w in [self.dataset, *self.feature_boxes.values(), self.hidden, self.activation, self.regularization,
                  self.regularization_rate, self.batch_size, self.noise, self.train_percent, self.objective]:
            w.observe(lambda _: self.reset(), names="value")
        self.learning_rate.observe(self._set_learning_rate, names="value")
        self.show_test.observe(lambda _: self._draw_scene(), names="value")
        self.discretize.observe(lambda _: self.redraw(), names="value")
        self.show.observe(lambda _: self._draw_scene(), names="value")
        self.figure = Figure(figsize=(9, 4.2), dpi=72)
        FigureCanvasAgg(self.figure)
        self.ax_output, self.ax_loss = self.figure.subplots(1, 2)
        self.ax_accuracy = self.ax_loss.twinx()
        self.reset()

    @property
    def widget(self) -> widgets.VBox:
        """The whole playground, to ``display``."""
        controls = widgets.VBox([
            widgets.HBox([self.dataset, self.noise, self.train_percent, self.show_test, self.discretize]),
            widgets.HBox([widgets.Label("features:"), *self.feature_boxes.values()]),
            widgets.HBox([self.hidden, self.activation, self.objective]),
            widgets.HBox([self.learning_rate, self.batch_size, self.regularization, self.regularization_rate]),
            widgets.HBox([self.play_button, self.step_button, self.reset_button, self.show, self.export_button]),
            widgets.HBox([widgets.Label("own points:"), self.point_x1, self.point_x2, self.point_class,
                          self.add_point_button]),
            self.status,
        ])
        return widgets.VBox([controls, widgets.HBox([self.network_image, self.image]), self.export_code])

    def settings(self) -> dict:
        """The current choices, read from the widgets (``hidden`` parsed into a list)."""
        return {"dataset": self.dataset.value, "features": [n for n, box in self.feature_boxes.items() if box.value],
                "hidden": parse_hidden(self.hidden.value), "activation": self.activation.value,
                "learning_rate": self.learning_rate.value, "regularization": self.regularization.value,
                "regularization_rate": self.regularization_rate.value, "batch_size": self.batch_size.value,
                "noise": self.noise.value, "train_percent": self.train_percent.value,
                "objective": self.objective.value}

    def configure(self, **values: object) -> None:
        """Set several controls at once, then start over once; names as in :meth:`settings`.

        Example:
            >>> pg = Playground(resolution=10)
            >>> pg.configure(dataset="xor", features=["x1", "x2", "x1*x2"], hidden=[8, 8], learning_rate=0.1)
            >>> pg.state()["hidden"], pg.network.sizes
            ([8, 8], [3, 8, 8, 1])
        """
        controls = {"dataset": self.dataset, "hidden": self.hidden, "activation": self.activation,
                    "learning_rate": self.learning_rate, "regularization": self.regularization,
                    "regularization_rate": self.regularization_rate, "batch_size": self.batch_size,
                    "noise": self.noise, "train_percent": self.train_percent, "objective": self.objective}
        unknown = set(values) - set(controls) - {"features"}
        if unknown:
            raise ValueError(f"configure: unknown setting(s) {sorted(unknown)}; use {sorted([*controls, 'features'])}")
        self._holding = True
        try:
            for name, value in values.items():
                if name == "features":
                    for feature, box in self.feature_boxes.items():
                        box.value = feature in value
                else:
                    controls[name].value = ", ".join(map(str, value)) if name == "hidden" and not isinstance(
                        value, str) else value
        finally:
            self._holding = False
        self.reset()

    def state(self) -> dict:
        """Settings, epoch, the latest readings (``"train TF"``, ``"test accuracy"``, …) and whether it plays."""
        latest = {name: values[-1] for name, values in self.history.items()}
        return {**self.config, "epoch": self.epoch, "playing": self.playing, "error": self.error, **latest}

    # --- data -------------------------------------------------------------------------------
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

    def _make_split(self, config: dict) -> Split:
        if config["dataset"] != OWN:
            return make_split(config["dataset"], config["noise"], config["train_percent"], self.seed)
        if self.own_points is None:
            raise ValueError("no own data yet: call use_own_data(X, y) or add points")
        X, y, regression = self.own_points
        _, _, n_classes = check_own_data(X, y, regression)
        return split(torch.from_numpy(X), torch.from_numpy(y), config["train_percent"],
                     torch.Generator().manual_seed(self.seed), n_classes)

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
            self._phi = feature_map(config["features"])
            self.data = self._make_split(config)
        except ValueError as err:
            self._show_error(str(err))
            return
        config["loss"] = loss_for(self.data.n_classes, config["objective"])
        self.objective.disabled = self.data.n_classes != 2
        self.config, self.error, self.epoch = config, None, 0
        self._features = {"train": self._features_of(self.data.X_train), "test": self._features_of(self.data.X_test)}
        self._targets = {"train": self.data.y_train, "test": self.data.y_test}
        axis = np.linspace(*EXTENT, self.resolution)
        xx, yy = np.meshgrid(axis, axis)  # row i: x2 = axis[i]
        self._grid = self._features_of(np.stack([xx.ravel(), yy.ravel()], axis=1))
        n_outputs = self.data.n_classes if self.data.n_classes > 2 else 1
        self.network = Network.initial(len(config["features"]), config["hidden"], n_outputs, config["activation"],
                                       torch.Generator().manual_seed(self.seed))
        self.trainer = Trainer(min(config["batch_size"], len(self.data.y_train)))
        self.learning_rates = {0: config["learning_rate"]}
        self.names = node_names(config["features"], config["hidden"], n_outputs)
        self.picture = NetworkPicture(self.names)
        options = ["output", *(name for layer in self.names[:-1] for name in layer)]
        if self.show.options != tuple(options):
            self._resetting = True      # the new options would draw before the data is ready
            self.show.options = options
            self.show.value = "output"
            self._resetting = False
        self.history: dict[str, list[float]] = {}
        self._record()
        self._draw_scene()

    def _features_of(self, X: np.ndarray) -> np.ndarray:
        """The chosen input features of points ``X`` (N, 2)."""
        return self._phi(torch.from_numpy(X)).numpy()

    def _set_learning_rate(self, change: dict) -> None:
        # As on the web: a new learning rate applies from the next epoch, without a reset.
        if self.error is None:
            self.config["learning_rate"] = change["new"]
            self.learning_rates[self.epoch] = change["new"]

    def _record(self) -> None:
        for split_name in ("train", "test"):
            z = self.network.logits(self._features[split_name])
            for name, value in readings(self.config["loss"], z, self._targets[split_name]).items():
                self.history.setdefault(f"{split_name} {name}", []).append(value)

    def train_epoch(self) -> None:
        """One pass over the training points, batch by batch, as the web version's ``oneStep``."""
        F, y = self._features["train"], self._targets["train"]
        c = self.config
        for batch in self.trainer.epoch_batches(len(y)):
            self.network.sgd_step(F[batch], y[batch], c["loss"], c["learning_rate"], c["regularization"],
                                  c["regularization_rate"])
        self.epoch += 1
        self._record()

    def step(self, epochs: int = 1, redraw: bool = True) -> None:
        """Train ``epochs`` passes over the training data (recording the readings after each), then redraw."""
        if self.error is not None:
            return
        for _ in range(epochs):
            self.train_epoch()
        if redraw:
            self.redraw()

    def to_torch(self) -> nn.Sequential:
        """The current network as a float64 PyTorch ``nn.Sequential`` (the last layer gives ``z``)."""
        net = build_playground_net(self.network.sizes[0], self.config["hidden"], self.config["activation"],
                                   torch.Generator(), self.network.sizes[-1]).double()
        with torch.no_grad():
            for linear, w, b in zip([m for m in net if isinstance(m, nn.Linear)], self.network.weights,
                                    self.network.biases):
                linear.weight.copy_(torch.from_numpy(w))
                linear.bias.copy_(torch.from_numpy(b))
        return net

    def export_pytorch(self) -> str:
        """Plain PyTorch code that rebuilds the data and this network and trains it for ``epoch`` epochs."""
        if self.error is not None:
            raise ValueError(f"nothing to export: {self.error}")
        own = self.own_points[:2] if self.config["dataset"] == OWN else None
        return export_pytorch(self.config, seed=self.seed, epochs=self.epoch, learning_rates=self.learning_rates,
                              n_classes=self.data.n_classes, own_data=own)

    def _show_export(self) -> None:
        try:
            self.export_code.value = self.export_pytorch()
        except ValueError as err:
            self._show_error(str(err))
            return
        self.export_code.layout.display = "block"

    # --- drawing ------------------------------------------------------------------------------
    def _loss_names(self) -> list[str]:
        return [n for n in self.history if not n.endswith("accuracy")]

    def _draw_scene(self) -> None:
        # The figure's axes, ticks, labels and legend are rendered once per reset into a background.
        # Each frame restores it, draws the loss curves (matplotlib blitting), then pastes the output
        # over the plane into the left axes' pixel box and dots the points on it with Pillow.
        if self.error is not None or self._resetting:
            return
        ax = self.ax_output
        ax.clear()
        shown = self.show.value
        ax.set(title="network output" if shown == "output" else f"neuron {shown}", xlabel="$x_1$", ylabel="$x_2$",
               xlim=EXTENT, ylim=EXTENT, aspect="equal")
        ax.grid(False)
        for other in (self.ax_loss, self.ax_accuracy):
            other.clear()
        losses = self._loss_names()
        self._curves = {}
        for name in self.history:
            test, accuracy = name.startswith("test"), name.endswith("accuracy")
            style = "--" if accuracy else ("-" if name.split()[1] in ("TF", "CE") else ":")
            target = self.ax_accuracy if accuracy else self.ax_loss
            self._curves[name] = target.plot([], [], label=name, linestyle=style, animated=True,
                                             color=COLORS["black" if test else "sky"], linewidth=1.8)[0]
        self.ax_loss.set(title="loss (left), accuracy (right, dashed)", xlabel="epoch", ylabel="loss", xlim=(0, 16),
                         ylim=(0, 1.1 * max(self.history[n][0] for n in losses)))
        self.ax_accuracy.set(ylim=(0, 1.02))
        self.ax_accuracy.grid(False)
        self.ax_loss.legend(handles=list(self._curves.values()), fontsize=8, loc="center right")
        self._render_background()
        self.redraw()

    def _render_background(self) -> None:
        self.figure.canvas.draw()
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        height = self.figure.canvas.get_width_height()[1]
        x0, y0, x1, y1 = np.round(self.ax_output.get_window_extent().extents).astype(int)
        self._plane_box = (x0, height - y1, x1, height - y0)   # left, top, right, bottom in pixels
        # The points, drawn once on a transparent layer the size of the axes; each frame lays it on top.
        self._dots = PIL.Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
        draw = PIL.ImageDraw.Draw(self._dots)
        self.n_dots = 0
        splits = [("train", "white")] + ([("test", "black")] if self.show_test.value else [])
        for name, edge in splits:
            X, y = getattr(self.data, f"X_{name}"), getattr(self.data, f"y_{name}")
            px = (X[:, 0] - EXTENT[0]) / (EXTENT[1] - EXTENT[0]) * (x1 - x0)
            py = (y1 - y0) - (X[:, 1] - EXTENT[0]) / (EXTENT[1] - EXTENT[0]) * (y1 - y0)
            if self.data.n_classes:
                fills = [tuple(int(255 * c) for c in to_rgb(MULTI_CLASS_COLORS[int(k)])) for k in y]
            else:
                fills = [tuple(int(c) for c in rgb) for rgb in colorize(y[None, :])[0]]
            for u, v, fill in zip(px, py, fills):
                draw.ellipse((u - 2.5, v - 2.5, u + 2.5, v + 2.5), fill=fill, outline=edge)
            self.n_dots += len(X)

    def _plane_picture(self, grids: list[np.ndarray], classes: np.ndarray | None) -> np.ndarray:
        """RGB (row 0 at the top) of what *show* chose: the output, or one neuron, over the plane."""
        discretize, shown = self.discretize.value, self.show.value
        if shown == "output":
            if classes is not None:
                return colorize_classes(classes, discretize)
            return colorize(grids[-1][..., 0], discretize)
        layer = next(i for i, names in enumerate(self.names) if shown in names)
        return colorize(grids[layer][..., self.names[layer].index(shown)], discretize)

    def _node_grids(self) -> tuple[list[np.ndarray], np.ndarray | None, np.ndarray]:
        """Every neuron's output over the grid, (res, res, n) per layer, in [−1, 1]; class probabilities."""
        zs, outs = self.network.forward(self._grid)
        shape = (self.resolution, self.resolution, -1)
        last = output_picture(self.config["loss"], zs[-1])
        grids = [o.reshape(shape) for o in outs[:-1]] + [last.reshape(shape)]
        classes = (last.reshape(shape) + 1) / 2 if self.config["loss"] == "ce" else None
        return grids, classes, zs[-1]

    def redraw(self) -> None:
        """Update the network picture, the chosen neuron over the plane, the curves and the status."""
        if self.error is not None:
            return
        grids, classes, _ = self._node_grids()
        self.network_image.value = self.picture.render(grids, self.network.weights, selected=self.show.value,
                                                       discretize=self.discretize.value, class_grid=classes)
        rgb = self._plane_picture(grids, classes)
        for name, line in self._curves.items():
            line.set_data(range(len(self.history[name])), self.history[name])
        (_, right), (_, top) = self.ax_loss.get_xlim(), self.ax_loss.get_ylim()
        highest = max(max(self.history[n]) for n in self._loss_names())
        if self.epoch > right or highest > top:  # rescale rarely: double the axis, re-render once
            self.ax_loss.set(xlim=(0, 2 * max(self.epoch, right)), ylim=(0, max(top, 1.1 * highest)))
            self._render_background()
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        for line in self._curves.values():
            line.axes.draw_artist(line)
        frame = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        frame = frame.convert("RGB")
        left, top, right, bottom = self._plane_box
        frame.paste(PIL.Image.fromarray(rgb).resize((right - left, bottom - top), PIL.Image.Resampling.BILINEAR),
                    (left, top))
        frame.paste(self._dots, (left, top), mask=self._dots)
        buffer = io.BytesIO()
        frame.save(buffer, format="jpeg", quality=90)
        self.image.value = buffer.getvalue()
        self.status.value = f"epoch <b>{self.epoch:07,d}</b> · " + " · ".join(
            f"{name} {values[-1]:.3f}" for name, values in self.history.items())

    # --- playing ------------------------------------------------------------------------------
    def play(self) -> asyncio.Task:
        """Train and redraw epoch after epoch in the background until Pause (or ``max_play_epochs``).

        Runs as an asyncio task on the kernel's event loop, so the kernel stays free for clicks.
        """
        if self._task is not None and not self._task.done():
            return self._task
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("play() needs a running event loop (Jupyter has one); "
                               "in a script call step(epochs) instead") from None
        self.playing = True
        self.play_button.description = "⏸ Pause"
        self._task = loop.create_task(self._play_loop())
        return self._task

    async def _play_loop(self) -> None:
        try:
            for _ in range(self.max_play_epochs):
                if not self.playing or self.error is not None:
                    break
                self.step()
                await asyncio.sleep(self.frame_delay)  # let Jupyter handle clicks between frames
        finally:
            self.pause()

    def pause(self) -> None:
        """Stop playing after the current epoch."""
        self.playing = False
        self.play_button.description = "▶ Play"
