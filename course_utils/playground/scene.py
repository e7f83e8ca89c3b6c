"""The playground's two pictures of a run, made fast enough to redraw every epoch: the network
(:class:`course_utils.playground.network.NetworkPicture`), and the output (or one neuron) over the
plane with the points, beside the loss and accuracy curves.

The figure's axes, ticks, labels and legend are rendered once per :meth:`Scene.start` into a
background. Each frame restores it, draws the curves (matplotlib blitting), pastes the picture
of the plane into the left axes' pixel box and lays the points on it with Pillow.
"""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
import PIL.ImageDraw
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from course_utils.playground.network import (
    MULTI_CLASS_COLORS,
    NetworkPicture,
    colorize,
    colorize_classes,
    node_grids,
    node_names,
)
from course_utils.playground.run import Run
from course_utils.plotting import COLORS

__all__ = ["Scene", "plane_picture"]

EXTENT = (-6.0, 6.0)  # the playground's plotted square


def plane_picture(
    grids: list[np.ndarray],
    classes: np.ndarray | None,
    names: list[list[str]],
    shown: str,
    discretize: bool = False,
) -> np.ndarray:
    """RGB (row 0 at the top) of what *show* chose: the output, or the neuron named ``shown``, over the plane.

    ``grids[l]`` (H, W, n_l) holds layer ``l``'s outputs in [−1, 1]; ``classes`` (H, W, K) the class
    probabilities of a network with three or more classes (else ``None``).

    Example:
        >>> grids = [np.zeros((4, 4, 2)), np.ones((4, 4, 1))]
        >>> plane_picture(grids, None, [["x1", "x2"], ["output"]], "x2").shape
        (4, 4, 3)
    """
    if shown == "output":
        if classes is not None:
            return colorize_classes(classes, discretize)
        return colorize(grids[-1][..., 0], discretize)
    layer = next(i for i, layer_names in enumerate(names) if shown in layer_names)
    return colorize(grids[layer][..., names[layer].index(shown)], discretize)


class Scene:
    """Both pictures of a :class:`Run`, each neuron's output computed on a ``resolution`` × ``resolution`` grid.

    Example:
        >>> import torch
        >>> from course_utils.playground.data import make_split
        >>> from course_utils.spiral import feature_map
        >>> config = {"features": ["x1", "x2"], "hidden": [3], "activation": "tanh", "objective": "tf",
        ...           "learning_rate": 0.03, "batch_size": 10, "regularization": "none", "regularization_rate": 0.0}
        >>> run = Run(config, feature_map(["x1", "x2"]), make_split("xor", 0, 50, seed=0), torch.Generator())
        >>> scene = Scene(resolution=10)
        >>> scene.new_run(run)
        >>> scene.start("h1.2", show_test=True)
        >>> network, plane = scene.frames("h1.2")
        >>> scene.names, scene.n_dots, network[:3], plane[:3]
        ([['x1', 'x2'], ['h1.1', 'h1.2', 'h1.3'], ['output']], 500, b'\\xff\\xd8\\xff', b'\\xff\\xd8\\xff')
    """

    def __init__(self, resolution: int = 50) -> None:
        self.resolution = resolution
        self.figure = Figure(figsize=(9, 4.2), dpi=72)
        FigureCanvasAgg(self.figure)
        self.ax_output, self.ax_loss = self.figure.subplots(1, 2)
        self.ax_accuracy = self.ax_loss.twinx()
        self.n_dots = 0

    def new_run(self, run: Run) -> None:
        """Draw ``run`` from now on: its network's neurons (``names``, layer by layer), its inputs on the grid."""
        self.run = run
        axis = np.linspace(*EXTENT, self.resolution)
        xx, yy = np.meshgrid(axis, axis)  # row i: x2 = axis[i]
        self._grid = run.features_of(np.stack([xx.ravel(), yy.ravel()], axis=1))
        self.names = node_names(run.config["features"], run.config["hidden"], run.network.sizes[-1])
        self.picture = NetworkPicture(self.names)

    def start(self, shown: str, show_test: bool) -> None:
        """Draw what stays the same from frame to frame: the axes (the plane shows the output, or the
        neuron named ``shown``), one curve per reading, the training points (and the test points)."""
        history, self._show_test = self.run.history, show_test
        ax = self.ax_output
        ax.clear()
        title = "network output" if shown == "output" else f"neuron {shown}"
        ax.set(
            title=title, xlabel="$x_1$", ylabel="$x_2$", xlim=EXTENT, ylim=EXTENT, aspect="equal"
        )
        ax.grid(False)
        for other in (self.ax_loss, self.ax_accuracy):
            other.clear()
        self._curves = {}
        for name in history:
            test, accuracy = name.startswith("test"), name.endswith("accuracy")
            style = "--" if accuracy else ("-" if name.split()[1] in ("TF", "CE") else ":")
            target = self.ax_accuracy if accuracy else self.ax_loss
            self._curves[name] = target.plot(
                [],
                [],
                label=name,
                linestyle=style,
                animated=True,
                color=COLORS["black" if test else "sky"],
                linewidth=1.8,
            )[0]
        self.ax_loss.set(
            title="loss (left), accuracy (right, dashed)",
            xlabel="epoch",
            ylabel="loss",
            xlim=(0, 16),
            ylim=(0, 1.1 * max(history[n][0] for n in _loss_names(history))),
        )
        self.ax_accuracy.set(ylim=(0, 1.02))
        self.ax_accuracy.grid(False)
        self.ax_loss.legend(handles=list(self._curves.values()), fontsize=8, loc="center right")
        self._render_background()

    def _render_background(self) -> None:
        self.figure.canvas.draw()
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        height = self.figure.canvas.get_width_height()[1]
        x0, y0, x1, y1 = np.round(self.ax_output.get_window_extent().extents).astype(int)
        self.plane_box = (x0, height - y1, x1, height - y0)  # left, top, right, bottom in pixels
        # The points, drawn once on a transparent layer the size of the axes; each frame lays it on top.
        self._dots = PIL.Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
        draw = PIL.ImageDraw.Draw(self._dots)
        self.n_dots = 0
        splits = [("train", "white")] + ([("test", "black")] if self._show_test else [])
        for name, edge in splits:
            X, y = getattr(self.run.data, f"X_{name}"), getattr(self.run.data, f"y_{name}")
            px = (X[:, 0] - EXTENT[0]) / (EXTENT[1] - EXTENT[0]) * (x1 - x0)
            py = (y1 - y0) - (X[:, 1] - EXTENT[0]) / (EXTENT[1] - EXTENT[0]) * (y1 - y0)
            if self.run.data.n_classes:
                fills = [tuple(int(255 * c) for c in to_rgb(MULTI_CLASS_COLORS[int(k)])) for k in y]
            else:
                fills = [tuple(int(c) for c in rgb) for rgb in colorize(y[None, :])[0]]
            for u, v, fill in zip(px, py, fills):
                draw.ellipse((u - 2.5, v - 2.5, u + 2.5, v + 2.5), fill=fill, outline=edge)
            self.n_dots += len(X)

    def frames(self, shown: str = "output", discretize: bool = False) -> tuple[bytes, bytes]:
        """The network picture (neuron ``shown`` framed) and the plane-and-curves picture now, as JPEG bytes."""
        run = self.run
        grids, classes = node_grids(run.network, self._grid, run.config["loss"], self.resolution)
        network = self.picture.render(
            grids, run.network.weights, selected=shown, discretize=discretize, class_grid=classes
        )
        plane = plane_picture(grids, classes, self.names, shown, discretize)
        return network, self._frame(plane, run.history, run.epoch)

    def _frame(self, plane: np.ndarray, history: dict[str, list[float]], epoch: int) -> bytes:
        """``plane`` (RGB, row 0 at the top) stretched over the plane, the points on it, the curves of
        ``history`` up to ``epoch`` (the axes double when the curves outgrow them)."""
        for name, line in self._curves.items():
            line.set_data(range(len(history[name])), history[name])
        (_, right), (_, top) = self.ax_loss.get_xlim(), self.ax_loss.get_ylim()
        highest = max(max(history[n]) for n in _loss_names(history))
        if epoch > right or highest > top:  # rescale rarely: double the axis, re-render once
            self.ax_loss.set(xlim=(0, 2 * max(epoch, right)), ylim=(0, max(top, 1.1 * highest)))
            self._render_background()
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        for line in self._curves.values():
            line.axes.draw_artist(line)
        image = PIL.Image.frombuffer(
            "RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        image = image.convert("RGB")
        left, top, right, bottom = self.plane_box
        image.paste(
            PIL.Image.fromarray(plane).resize(
                (right - left, bottom - top), PIL.Image.Resampling.BILINEAR
            ),
            (left, top),
        )
        image.paste(self._dots, (left, top), mask=self._dots)
        buffer = io.BytesIO()
        image.save(buffer, format="jpeg", quality=90)
        return buffer.getvalue()


def _loss_names(history: dict[str, list[float]]) -> list[str]:
    return [n for n in history if not n.endswith("accuracy")]
