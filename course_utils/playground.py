"""The course's own TensorFlow Playground for the spiral, as ipywidgets inside Jupyter.

``Playground`` holds the widgets and the training state. Everything a button does is a plain
method (``step``, ``reset``, ``play``, ``pause``), so tests drive it without a browser: set a
widget's ``value``, call ``button.click()``, read ``state()``.

Like the web version it trains a network with a ``tanh`` output on targets ``±1`` with the
square loss ``½(output − target)²`` (weights drawn from U(−0.5, 0.5), biases 0.1), and it
reports that loss, TF Playground's own reading, next to PyTorch's ``BCEWithLogitsLoss`` on the
logits. Choose "BCEWithLogitsLoss" under *train with* to train the PyTorch way instead.
Differences from the web version: the training points are reshuffled every epoch, and the
L1/L2 penalty is the textbook one (``rate·Σ|w|`` or ``rate·Σ½w²`` added to the batch loss).
"""

from __future__ import annotations

import asyncio
import io

import ipywidgets as widgets
import numpy as np
import PIL.Image
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

from course_utils.decision import plot_points
from course_utils.plotting import COLORS, DIVERGING_CMAP
from course_utils.spiral import FEATURES, feature_map, make_spiral, split_train_test

ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid,
                                           "linear": nn.Identity}
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
EXTENT = (-6.0, 6.0)  # the playground's plotted square


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
                         generator: torch.Generator) -> nn.Sequential:
    """An MLP with one output logit, initialised like TF Playground (w ~ U(−0.5, 0.5), b = 0.1).

    Example:
        >>> net = build_playground_net(2, [4, 2], "tanh", torch.Generator().manual_seed(0))
        >>> sum(p.numel() for p in net.parameters())
        25
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    sizes = [n_inputs, *hidden, 1]
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


def tf_square_loss(logits: torch.Tensor, y01: torch.Tensor) -> torch.Tensor:
    """TF Playground's loss: mean of ½(tanh(logit) − target)² with targets ±1.

    Example:
        >>> tf_square_loss(torch.tensor([0.0]), torch.tensor([1.0]))
        tensor(0.5000)
    """
    return (0.5 * (torch.tanh(logits) - (2 * y01 - 1)) ** 2).mean()


class Playground:
    """Spiral playground: controls, Play/Pause/Step/Reset, a live boundary and loss curves.

    Example:
        >>> pg = Playground(seed=0)
        >>> pg.step_button.click()
        >>> pg.state()["epoch"]
        1
    """

    def __init__(self, *, seed: int = 0, device: torch.device | str = "cpu", resolution: int = 50,
                 max_play_epochs: int = 2000, frame_delay: float = 0.01) -> None:
        self.seed, self.device, self.resolution = seed, torch.device(device), resolution
        self.max_play_epochs, self.frame_delay = max_play_epochs, frame_delay
        self._task: asyncio.Task | None = None
        self.playing = False
        style = {"description_width": "initial"}
        self.feature_boxes = {name: widgets.Checkbox(value=name in ("x1", "x2"), description=name, indent=False,
                                                     layout=widgets.Layout(width="80px")) for name in FEATURES}
        self.hidden = widgets.Text(value="4, 2", description="neurons per hidden layer", style=style)
        self.activation = widgets.Dropdown(options=list(ACTIVATIONS), value="tanh", description="activation")
        self.learning_rate = widgets.Dropdown(options=LEARNING_RATES, value=0.03, description="learning rate", style=style)
        self.regularization = widgets.Dropdown(options=["none", "L1", "L2"], value="none", description="regularisation", style=style)
        self.regularization_rate = widgets.Dropdown(options=REGULARIZATION_RATES, value=0.0, description="reg. rate", style=style)
        self.batch_size = widgets.IntSlider(value=10, min=1, max=30, description="batch size", style=style)
        self.noise = widgets.IntSlider(value=0, min=0, max=50, step=5, description="noise (%)", style=style)
        self.train_percent = widgets.IntSlider(value=50, min=10, max=90, step=10, description="train data (%)", style=style)
        self.objective = widgets.Dropdown(options=[("TF: ½(tanh − target)²", "tf"), ("BCEWithLogitsLoss", "bce")],
                                          value="tf", description="train with", style=style)
        self.play_button = widgets.Button(description="▶ Play", button_style="success")
        self.step_button = widgets.Button(description="Step")
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.play_button.on_click(lambda _: self.pause() if self.playing else self.play())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        for w in [*self.feature_boxes.values(), self.hidden, self.activation, self.regularization,
                  self.regularization_rate, self.batch_size, self.noise, self.train_percent, self.objective]:
            w.observe(lambda _: self.reset(), names="value")
        self.learning_rate.observe(self._set_learning_rate, names="value")
        self.figure = Figure(figsize=(10, 4.4), dpi=72)
        FigureCanvasAgg(self.figure)
        self.ax_boundary, self.ax_loss = self.figure.subplots(1, 2)
        self.reset()

    @property
    def widget(self) -> widgets.VBox:
        """The whole playground, to ``display``."""
        controls = widgets.VBox([
            widgets.HBox([widgets.Label("features:"), *self.feature_boxes.values()]),
            widgets.HBox([self.hidden, self.activation, self.objective]),
            widgets.HBox([self.learning_rate, self.regularization, self.regularization_rate]),
            widgets.HBox([self.batch_size, self.noise, self.train_percent]),
            widgets.HBox([self.play_button, self.step_button, self.reset_button, self.status]),
        ])
        return widgets.VBox([controls, self.image])

    def settings(self) -> dict:
        """The current choices, read from the widgets (``hidden`` parsed into a list)."""
        return {"features": [n for n, box in self.feature_boxes.items() if box.value],
                "hidden": parse_hidden(self.hidden.value), "activation": self.activation.value,
                "learning_rate": self.learning_rate.value, "regularization": self.regularization.value,
                "regularization_rate": self.regularization_rate.value, "batch_size": self.batch_size.value,
                "noise": self.noise.value, "train_percent": self.train_percent.value,
                "objective": self.objective.value}

    def state(self) -> dict:
        """Settings, epoch, latest losses (both readings) and whether it is playing."""
        latest = {name: values[-1] for name, values in self.history.items()}
        return {**self.config, "epoch": self.epoch, "playing": self.playing, "error": self.error, **latest}

    def reset(self) -> None:
        """Pause, regenerate the data from the seed and the settings, and start a fresh network."""
        self.pause()
        try:
            config = self.settings()
            self.phi = feature_map(config["features"])
        except ValueError as err:
            self.error = str(err)
            self.status.value = f"<b style='color:{COLORS['vermillion']}'>{err}</b>"
            return
        self.config, self.error, self.epoch = config, None, 0
        g = torch.Generator().manual_seed(self.seed)
        X, y_pm = make_spiral(500, config["noise"], generator=g)
        X_tr, y_tr, X_te, y_te = split_train_test(X, (y_pm > 0).float(), config["train_percent"], generator=g)
        self.data = {"train": (X_tr, y_tr), "test": (X_te, y_te)}
        self._inputs = {k: self.phi(X).to(self.device) for k, (X, _) in self.data.items()}
        self._targets = {k: y.to(self.device) for k, (_, y) in self.data.items()}
        axis = torch.linspace(*EXTENT, self.resolution)
        yy, xx = torch.meshgrid(axis, axis, indexing="ij")
        self._grid = self.phi(torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)).to(self.device)
        self.generator = torch.Generator().manual_seed(self.seed)
        self.net = build_playground_net(len(config["features"]), config["hidden"], config["activation"],
                                        self.generator).to(self.device)
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=config["learning_rate"])
        self.history: dict[str, list[float]] = {f"{s} {r}": [] for r in ("TF", "BCE") for s in ("train", "test")}
        self._record_losses()
        self._draw_scene()
        self.redraw()

    def _set_learning_rate(self, change: dict) -> None:
        # As on the web: a new learning rate applies from the next step, without a reset.
        self.config["learning_rate"] = change["new"]
        for group in self.optimizer.param_groups:
            group["lr"] = change["new"]

    def _penalty(self) -> torch.Tensor | float:
        rate, kind = self.config["regularization_rate"], self.config["regularization"]
        if kind == "none" or rate == 0:
            return 0.0
        weights = [m.weight for m in self.net if isinstance(m, nn.Linear)]
        if kind == "L1":
            return rate * sum(w.abs().sum() for w in weights)
        return rate * sum(0.5 * (w ** 2).sum() for w in weights)

    def _train_one_epoch(self) -> None:
        X, y = self._inputs["train"], self._targets["train"]
        order = torch.randperm(len(y), generator=self.generator).to(self.device)
        loss_fn = tf_square_loss if self.config["objective"] == "tf" else nn.functional.binary_cross_entropy_with_logits
        self.net.train()
        for start in range(0, len(y), self.config["batch_size"]):
            batch = order[start:start + self.config["batch_size"]]
            loss = loss_fn(self.net(X[batch]).squeeze(1), y[batch]) + self._penalty()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def _record_losses(self) -> None:
        self.net.eval()
        with torch.no_grad():
            for split in ("train", "test"):
                logits = self.net(self._inputs[split]).squeeze(1)
                y = self._targets[split]
                self.history[f"{split} TF"].append(tf_square_loss(logits, y).item())
                self.history[f"{split} BCE"].append(
                    nn.functional.binary_cross_entropy_with_logits(logits, y).item())

    def step(self, epochs: int = 1, redraw: bool = True) -> None:
        """Train ``epochs`` passes over the training data, then record the losses and redraw."""
        if self.error is not None:
            return
        for _ in range(epochs):
            self._train_one_epoch()
            self.epoch += 1
            self._record_losses()
        if redraw:
            self.redraw()

    def _draw_scene(self) -> None:
        # Artists are made once per reset. The axes, ticks and labels are rendered once into a
        # background; each frame restores it and draws only the "animated" artists (blitting).
        ax = self.ax_boundary
        ax.clear()
        blank = np.zeros((self.resolution, self.resolution))
        self._surface = ax.imshow(blank, origin="lower", extent=(*EXTENT, *EXTENT), cmap=DIVERGING_CMAP,
                                  vmin=-1, vmax=1, alpha=0.8, interpolation="bilinear")
        plot_points(ax, *self.data["train"])
        plot_points(ax, *self.data["test"], test=True)
        ax.set(title="network output (tanh)", xlabel="$x_1$", ylabel="$x_2$", xlim=EXTENT, ylim=EXTENT)
        ax = self.ax_loss
        ax.clear()
        self._curves = {name: ax.plot([], [], label=name, color=COLORS["black" if "test" in name else "sky"],
                                      linestyle="-" if "TF" in name else ":")[0] for name in self.history}
        ax.set(title="loss per epoch", xlabel="epoch", ylabel="loss", xlim=(0, 16),
               ylim=(0, 1.1 * max(v[0] for v in self.history.values())))
        ax.legend(fontsize=9, loc="upper right")
        self._animated = [self._surface, *self.ax_boundary.collections, *self._curves.values()]
        for artist in self._animated:
            artist.set_animated(True)
        self._render_background()

    def _render_background(self) -> None:
        self.figure.canvas.draw()
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def redraw(self) -> None:
        """Update the boundary (tanh output over the plane, as on the web), the curves and the status."""
        self.net.eval()
        with torch.no_grad():
            out = torch.tanh(self.net(self._grid)).reshape(self.resolution, self.resolution).cpu()
        self._surface.set_data(out.numpy())
        for name, line in self._curves.items():
            line.set_data(range(len(self.history[name])), self.history[name])
        (_, right), (_, top) = self.ax_loss.get_xlim(), self.ax_loss.get_ylim()
        highest = max(max(v) for v in self.history.values())
        if self.epoch > right or highest > top:  # rescale rarely: double the axis, re-render once
            self.ax_loss.set(xlim=(0, 2 * max(self.epoch, right)), ylim=(0, max(top, 1.1 * highest)))
            self._render_background()
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        for artist in self._animated:
            artist.axes.draw_artist(artist)
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        self.image.value = buffer.getvalue()
        h = {k: v[-1] for k, v in self.history.items()}
        self.status.value = (f"epoch <b>{self.epoch:07,d}</b> · TF loss train {h['train TF']:.3f}, "
                             f"test {h['test TF']:.3f} · BCE train {h['train BCE']:.3f}, test {h['test BCE']:.3f}")

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
