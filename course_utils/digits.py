"""The handwritten digits of notebook 07, and the two pictures it draws of them.

``load_digits_data`` gives real images with no download: the 1,797 handwritten digits (8 × 8
pixels) that scikit-learn ships inside its package, from the UCI *Optical Recognition of
Handwritten Digits* data set (licence: CC BY 4.0). ``show_image_grid`` tiles many small images
into one picture (a single ``imshow``, fast even for hundreds of images); ``plot_latent_codes``
draws 2-D codes coloured by digit, with each digit written at the centre of its cloud;
``plot_scores`` compares a few scores between 0 and 1 on one shared axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from course_utils.splits import stratified_split

__all__ = ["DigitsData", "load_digits_data", "plot_latent_codes", "plot_scores", "show_image_grid"]

SOURCE = (
    "the UCI Optical Recognition of Handwritten Digits data set (E. Alpaydin and C. Kaynak, "
    "Bogazici University, 1998; 43 writers): its 1,797 test images, as shipped inside "
    "scikit-learn (sklearn.datasets.load_digits)"
)
LICENCE = "CC BY 4.0 (Creative Commons Attribution 4.0 International)"
URL = "https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits"
#: The raw pixels count ink in a 4 × 4 block of the original 32 × 32 bitmap: 0 to 16.
MAX_INK = 16


@dataclass
class DigitsData:
    """What ``load_digits_data`` returns: images ``N × 1 × 8 × 8``, float32 in [0, 1] (1 = ink)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor  #: the digit, 0 to 9 (int64)
    test_images: torch.Tensor  #: held out: never trained on
    test_labels: torch.Tensor
    source: str
    licence: str
    url: str


def load_digits_data(test_fraction: float = 0.2, seed: int = 0) -> DigitsData:
    """The 1,797 real 8 × 8 digits, pixels scaled to [0, 1], split into train and test per digit.

    Every digit keeps its share in both parts (a stratified split, repeatable with ``seed``).
    Needs scikit-learn, which ships the data: nothing is downloaded.

    Example:
        >>> data = load_digits_data()
        >>> tuple(data.train_images.shape), tuple(data.test_images.shape), data.train_images.dtype
        ((1438, 1, 8, 8), (359, 1, 8, 8), torch.float32)
        >>> data.train_images.min().item(), data.train_images.max().item()
        (0.0, 1.0)
    """
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, (int, float))
        or not 0 < test_fraction < 1
    ):
        raise ValueError(
            f"test_fraction must be a number between 0 and 1 (e.g. 0.2), got {test_fraction!r}"
        )
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            "the handwritten digits ship with scikit-learn, which is not installed here: run "
            "`pip install scikit-learn` (or `make setup`, which installs the course's dependencies)"
        ) from err
    raw = load_digits()
    images = torch.tensor(raw.images, dtype=torch.float32).unsqueeze(1) / MAX_INK
    labels = torch.tensor(raw.target, dtype=torch.long)
    train, test, _ = stratified_split(labels, test_fraction, seed)
    return DigitsData(
        images[train], labels[train], images[test], labels[test], SOURCE, LICENCE, URL
    )


def _check_images(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor):
        raise TypeError(
            f"images must be a torch.Tensor of shape N × C × H × W, got {type(images).__name__}"
        )
    if images.dim() != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(
            f"images must have shape N × C × H × W with N ≥ 1 and C = 1 or 3, got {tuple(images.shape)}; "
            "add a channel dimension with .unsqueeze(1), or .view(-1, 1, 8, 8) for flat digits"
        )


def show_image_grid(
    images: torch.Tensor,
    nrow: int = 10,
    *,
    title: str = "",
    row_labels: Sequence[str] | None = None,
    extent: tuple[float, float, float, float] | None = None,
    ax=None,
):
    """Tile ``N × C × H × W`` images (values 0 to 1, ink = 1) into one picture, ``nrow`` per row.

    Ink is drawn dark on white. ``row_labels`` names each row on the left. ``extent`` =
    (left, right, bottom, top) puts coordinates on the axes instead, e.g. the latent values a
    grid of decoded images came from. Returns the matplotlib axes.

    Example:
        >>> ax = show_image_grid(torch.rand(20, 1, 8, 8), nrow=10, row_labels=["first", "second"])
        >>> ax.get_images()[0].get_array().shape  # 2 rows and 10 columns of 8 pixels, 1 pixel apart
        (17, 89)
    """
    import matplotlib.pyplot as plt
    from torchvision.utils import make_grid

    _check_images(images)
    if isinstance(nrow, bool) or not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow (images per row) must be a positive int, got {nrow!r}")
    rows = -(-len(images) // nrow)
    if row_labels is not None and len(row_labels) != rows:
        raise ValueError(
            f"row_labels names {len(row_labels)} rows, but {len(images)} images at {nrow} per row "
            f"make {rows} rows"
        )
    if extent is not None and len(extent) != 4:
        raise ValueError(f"extent must be (left, right, bottom, top), got {extent!r}")
    canvas = make_grid(
        images.detach().float().cpu().clamp(0, 1), nrow=nrow, padding=1, pad_value=0.0
    )
    canvas = canvas[0] if images.shape[1] == 1 else canvas.permute(1, 2, 0)
    canvas = canvas[1:-1, 1:-1]  # no frame around the outside
    if ax is None:
        height, width = canvas.shape[:2]
        _, ax = plt.subplots(
            figsize=(min(12.0, 0.13 * width + 1.5), min(12.0, 0.13 * height + 0.8))
        )
    ax.imshow(canvas.numpy(), cmap="gray_r", vmin=0, vmax=1, extent=extent, interpolation="nearest")
    ax.grid(False)
    if extent is None:
        ax.set_xticks([])
        step = images.shape[2] + 1
        ax.set_yticks(
            [i * step + images.shape[2] / 2 - 0.5 for i in range(rows)] if row_labels else [],
            list(row_labels or []),
        )
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    if title:
        ax.set_title(title)
    return ax


def plot_latent_codes(codes: torch.Tensor, labels: torch.Tensor, *, title: str = "", ax=None):
    """Scatter 2-D codes (``N × 2``) coloured by digit, each digit written at its cloud's median.

    Example:
        >>> ax = plot_latent_codes(torch.randn(50, 2), torch.arange(50) % 10, title="random codes")
        >>> len(ax.texts)  # one label per digit
        10
    """
    import matplotlib.pyplot as plt

    if not isinstance(codes, torch.Tensor) or codes.dim() != 2 or codes.shape[1] != 2:
        shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
        raise ValueError(f"codes must be an N × 2 tensor (a 2-D latent space), got {shape}")
    labels = torch.as_tensor(labels)
    if labels.shape != (len(codes),):
        raise ValueError(
            f"labels must hold one digit per code ({len(codes)}), got shape {tuple(labels.shape)}"
        )
    codes, labels = codes.detach().float().cpu(), labels.cpu()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 6))
    cmap = plt.get_cmap("tab10")
    ax.scatter(codes[:, 0], codes[:, 1], c=[cmap(int(d) % 10) for d in labels], s=10, alpha=0.6)
    for digit in labels.unique().tolist():
        centre = codes[labels == digit].median(dim=0).values
        ax.text(
            centre[0].item(),
            centre[1].item(),
            str(digit),
            fontsize=16,
            weight="bold",
            ha="center",
            va="center",
            bbox={
                "boxstyle": "circle,pad=0.2",
                "facecolor": "white",
                "alpha": 0.85,
                "edgecolor": cmap(int(digit) % 10),
            },
        )
    ax.set(xlabel="$z_1$", ylabel="$z_2$", title=title)
    return ax


def plot_scores(
    scores: Mapping[str, float],
    *,
    xlabel: str = "score",
    title: str = "",
    highlight: Sequence[str] = (),
    ax=None,
):
    """Horizontal bars, one per score (0 to 1), top to bottom in the given order, each with its value.

    All bars share one axis from 0 to 1, so the scores compare at a glance. Bars named in
    ``highlight`` are drawn in the course's blue, the others (references) in grey.

    Example:
        >>> ax = plot_scores({"real": 0.9, "model": 0.7}, highlight=["model"], xlabel="confidence")
        >>> [t.get_text() for t in ax.get_yticklabels()], [float(x) for x in ax.get_xlim()]
        (['real', 'model'], [0.0, 1.0])
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import COLORS

    if not isinstance(scores, Mapping) or not scores:
        raise ValueError(
            f"scores must be a non-empty dict of name -> number between 0 and 1, got {scores!r}"
        )
    values = {}
    for name, value in scores.items():
        value = float(value)
        if not 0 <= value <= 1:
            raise ValueError(
                f"score {name!r} is {value}, outside 0 to 1: plot_scores draws probabilities and "
                "shares; rescale other numbers first"
            )
        values[str(name)] = value
    unknown = set(highlight) - set(values)
    if unknown:
        raise ValueError(
            f"highlight names {sorted(unknown)}, which are not in scores: {list(values)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 * len(values) + 1.2))
    names = list(values)
    rows = range(len(names))[::-1]  # the first score on top
    colors = [COLORS["blue"] if name in highlight else "#999999" for name in names]
    ax.barh(list(rows), [values[n] for n in names], color=colors)
    for row, name in zip(rows, names):
        ax.text(values[name] + 0.01, row, f"{values[name]:.2f}", va="center")
    ax.set_yticks(list(rows), names)
    ax.set(xlim=(0.0, 1.0), xlabel=xlabel, title=title)
    ax.grid(axis="y", visible=False)
    return ax
