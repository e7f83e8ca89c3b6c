"""The network picture of the playground, drawn with Pillow (fast enough to redraw every frame).

As in TensorFlow Playground: one column per layer (the chosen input features, each hidden layer,
the output); each neuron is a small heat-map of its own output over the plane (orange −1, grey 0,
blue +1, clipped to [−1, 1]); each weight is a line whose colour gives its sign (blue +, orange −)
and whose width grows with its size (1 px at 0 up to ``MAX_LINK_WIDTH`` at |w| ≥ 5). The chosen
neuron is framed in black.
"""

from __future__ import annotations

import io

import numpy as np
import PIL.Image
import PIL.ImageDraw
from matplotlib.colors import LinearSegmentedColormap, to_rgb

from course_utils.playground.engine import Network, output_picture
from course_utils.plotting import CLASS_COLORS, COLORS

__all__ = [
    "NetworkPicture",
    "class_tile",
    "colorize",
    "colorize_classes",
    "link_color",
    "link_width",
    "node_grids",
    "node_names",
]

#: Orange (−1, class 0), light grey (0), blue (+1, class 1): TF Playground's scale in the course's colours.
PLAYGROUND_CMAP = LinearSegmentedColormap.from_list(
    "playground", [CLASS_COLORS[0], "#e8eaeb", CLASS_COLORS[1]]
)
#: Colours of classes 0, 1, 2, … for three or more classes.
MULTI_CLASS_COLORS = (
    *CLASS_COLORS,
    COLORS["green"],
    COLORS["vermillion"],
    COLORS["purple"],
    COLORS["sky"],
    COLORS["yellow"],
    COLORS["black"],
)
TILE, ROW_GAP, COLUMN_GAP, MARGIN, LABEL_WIDTH = 34, 12, 84, 18, 58
MAX_LINK_WIDTH = 7
_LUT = (PLAYGROUND_CMAP(np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def colorize(values: np.ndarray, discretize: bool = False) -> np.ndarray:
    """Values in [−1, 1] (row 0 = lowest ``x2``) to an RGB image (row 0 = top), as the web version shades.

    Example:
        >>> colorize(np.array([[-1.0, 0.0, 1.0]])).shape
        (1, 3, 3)
    """
    v = np.where(values >= 0, 1.0, -1.0) if discretize else np.clip(values, -1, 1)
    return _LUT[np.round((v + 1) * 127.5).astype(np.intp)][::-1]


def colorize_classes(probabilities: np.ndarray, discretize: bool = False) -> np.ndarray:
    """Class probabilities (H, W, K) to RGB: the likeliest class's colour, paler where it is less sure.

    Example:
        >>> colorize_classes(np.array([[[0.0, 0.0, 1.0]]])).tolist()
        [[[0, 158, 115]]]
    """
    k = probabilities.shape[-1]
    palette = np.array([to_rgb(c) for c in MULTI_CLASS_COLORS[:k]]) * 255
    best = probabilities.argmax(-1)
    strength = np.ones(best.shape) if discretize else (probabilities.max(-1) - 1 / k) / (1 - 1 / k)
    light = np.array([232, 234, 235])
    rgb = light + strength[..., None] * (palette[best] - light)
    return np.round(rgb).astype(np.uint8)[::-1]


def class_tile(probabilities: np.ndarray, k: int, discretize: bool = False) -> np.ndarray:
    """Output neuron ``k`` of a multi-class network: light grey where P(class k) = 0, its colour at 1.

    Example:
        >>> class_tile(np.array([[[0.0, 1.0]]]), 1).tolist()
        [[[0, 114, 178]]]
    """
    p = probabilities[..., k]
    if discretize:
        p = (probabilities.argmax(-1) == k).astype(float)
    tint = np.array(to_rgb(MULTI_CLASS_COLORS[k])) * 255
    light = np.array([232, 234, 235])
    return np.round(light + p[..., None] * (tint - light)).astype(np.uint8)[::-1]


def link_width(weight: float) -> int:
    """Line width in pixels for a weight: 1 at 0, growing linearly to ``MAX_LINK_WIDTH`` at |w| ≥ 5.

    Example:
        >>> link_width(0.0), link_width(2.5), link_width(-9.0)
        (1, 4, 7)
    """
    return int(round(1 + (MAX_LINK_WIDTH - 1) * min(abs(weight), 5.0) / 5.0))


def link_color(weight: float) -> tuple[int, int, int]:
    """Blue for positive, orange for negative weights, fading to grey near 0 (saturated at |w| ≥ 1).

    Example:
        >>> link_color(1.0) == tuple(int(c) for c in colorize(np.array([[1.0]]))[0, 0])
        True
    """
    return tuple(int(c) for c in _LUT[int(round((float(np.clip(weight, -1, 1)) + 1) * 127.5))])


def node_names(features: list[str], hidden: list[int], n_outputs: int) -> list[list[str]]:
    """Names of the neurons, layer by layer: the features, ``h1.1`` … and ``output`` (or ``class k``).

    Example:
        >>> node_names(["x1", "x2"], [2], 1)
        [['x1', 'x2'], ['h1.1', 'h1.2'], ['output']]
    """
    outputs = ["output"] if n_outputs == 1 else [f"class {k}" for k in range(n_outputs)]
    return [
        list(features),
        *[[f"h{l + 1}.{i + 1}" for i in range(n)] for l, n in enumerate(hidden)],
        outputs,
    ]


def node_grids(
    network: Network, grid: np.ndarray, loss: str, resolution: int
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Every neuron's output over the plane, in [−1, 1], one (res, res, n) array per layer, inputs first,
    for the network's inputs ``grid`` (res², n_inputs); and the class probabilities (res, res, K) when
    ``loss`` is "ce" (else ``None``).

    Example:
        >>> net = Network([np.ones((3, 2)), np.ones((1, 3))], [np.zeros(3), np.zeros(1)], "tanh")
        >>> grids, classes = node_grids(net, np.zeros((16, 2)), "tf", 4)
        >>> [g.shape for g in grids], classes
        ([(4, 4, 2), (4, 4, 3), (4, 4, 1)], None)
    """
    zs, outs = network.forward(grid)
    shape = (resolution, resolution, -1)
    last = output_picture(loss, zs[-1]).reshape(shape)
    grids = [o.reshape(shape) for o in outs[:-1]] + [last]
    return grids, (last + 1) / 2 if loss == "ce" else None


class NetworkPicture:
    """Draws a network of the given layer names; ``render`` makes one JPEG frame.

    Example:
        >>> pic = NetworkPicture(node_names(["x1", "x2"], [3], 1))
        >>> grids = [np.zeros((8, 8, n)) for n in (2, 3, 1)]
        >>> weights = [np.ones((3, 2)), -np.ones((1, 3))]
        >>> pic.render(grids, weights, selected="h1.2")[:3]
        b'\\xff\\xd8\\xff'
    """

    def __init__(self, names: list[list[str]]) -> None:
        self.names = names
        tallest = max(len(layer) for layer in names)
        self.size = (
            LABEL_WIDTH + len(names) * TILE + (len(names) - 1) * COLUMN_GAP + MARGIN,
            2 * MARGIN + tallest * TILE + (tallest - 1) * ROW_GAP,
        )
        self.positions: dict[str, tuple[int, int]] = {}
        for column, layer in enumerate(names):
            x = LABEL_WIDTH + column * (TILE + COLUMN_GAP)
            top = MARGIN + (tallest - len(layer)) * (TILE + ROW_GAP) // 2  # centre each column
            for row, name in enumerate(layer):
                self.positions[name] = (x, top + row * (TILE + ROW_GAP))
        self._background = PIL.Image.new("RGB", self.size, "white")
        draw = PIL.ImageDraw.Draw(self._background)
        for name in names[0]:
            x, y = self.positions[name]
            draw.text((4, y + TILE // 2 - 5), name, fill="black")
        for column, layer in enumerate(names[1:], start=1):
            x, y = self.positions[layer[0]]
            title = "output" if column == len(names) - 1 else f"layer {column}"
            draw.text((x, y - MARGIN + 4), title, fill="black")

    def render(
        self,
        grids: list[np.ndarray],
        weights: list[np.ndarray],
        selected: str | None = None,
        discretize: bool = False,
        class_grid: np.ndarray | None = None,
    ) -> bytes:
        """One frame: ``grids[l]`` (H, W, n_l) holds layer ``l``'s outputs in [−1, 1] over the plane,
        ``weights[l]`` (n_{l+1}, n_l) the weights into layer ``l + 1``. With ``class_grid`` (H, W, K)
        the output neurons show class probabilities in their class colours. Returns JPEG bytes.
        """
        if len(grids) != len(self.names) or any(
            g.shape[-1] != len(n) for g, n in zip(grids, self.names)
        ):
            raise ValueError(
                "grids must hold one (H, W, n) array per layer, matching the network's layers"
            )
        image = self._background.copy()
        draw = PIL.ImageDraw.Draw(image)
        for l, w in enumerate(weights):  # links first, tiles on top
            colors = _LUT[np.round((np.clip(w, -1, 1) + 1) * 127.5).astype(np.intp)].tolist()
            widths = (
                np.round(1 + (MAX_LINK_WIDTH - 1) * np.minimum(np.abs(w), 5.0) / 5.0)
                .astype(int)
                .tolist()
            )
            for j, dest in enumerate(self.names[l + 1]):
                x1, y1 = self.positions[dest]
                for i, source in enumerate(self.names[l]):
                    x0, y0 = self.positions[source]
                    draw.line(
                        [(x0 + TILE, y0 + TILE // 2), (x1, y1 + TILE // 2)],
                        fill=tuple(colors[j][i]),
                        width=widths[j][i],
                    )
        for l, layer in enumerate(self.names):
            layer_rgb = colorize(grids[l], discretize)  # (H, W, n, 3), all neurons at once
            for i, name in enumerate(layer):
                if class_grid is not None and l == len(self.names) - 1:
                    rgb = class_tile(class_grid, i, discretize)
                else:
                    rgb = np.ascontiguousarray(layer_rgb[:, :, i])
                tile = PIL.Image.fromarray(rgb).resize((TILE, TILE), PIL.Image.Resampling.BILINEAR)
                x, y = self.positions[name]
                image.paste(tile, (x, y))
                if name == selected:
                    draw.rectangle(
                        [x - 3, y - 3, x + TILE + 2, y + TILE + 2], outline="black", width=3
                    )
                else:
                    draw.rectangle(
                        [x - 1, y - 1, x + TILE, y + TILE], outline=(160, 160, 160), width=1
                    )
        buffer = io.BytesIO()
        image.save(buffer, format="jpeg", quality=90)  # PNG would take 30 ms a frame
        return buffer.getvalue()
