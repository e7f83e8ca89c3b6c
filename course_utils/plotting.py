"""The course's plot style: large fonts for a projector, colour-blind-safe colours."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from cycler import cycler
from matplotlib.colors import LinearSegmentedColormap, to_rgb

__all__ = ["CLASS_COLORS", "COLORS", "COURSE_STYLE", "DIVERGING_CMAP", "use_course_style"]

# Okabe & Ito's palette, distinguishable with every common colour-vision deficiency.
COLORS: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: Colours for class 0 and class 1 in every classification plot of the course.
CLASS_COLORS: tuple[str, str] = (COLORS["orange"], COLORS["blue"])
#: The colour map of decision surfaces, as in TensorFlow Playground: P(class 1) from class 0's orange through
#: white to class 1's blue, each end mixed halfway with white so that the dots, in full colour, read on it.
DIVERGING_CMAP = LinearSegmentedColormap.from_list(
    "course_classes",
    [(np.array(to_rgb(c)) + 1) / 2 for c in (CLASS_COLORS[0], "white", CLASS_COLORS[1])],
)

COURSE_STYLE: dict[str, object] = {
    "figure.figsize": (7.0, 4.5),
    "figure.dpi": 100,
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "lines.linewidth": 2.2,
    "lines.markersize": 6,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(COLORS.values())),
    "image.cmap": "viridis",
}


def use_course_style() -> None:
    """Apply the course style to every figure drawn after this call.

    Example:
        >>> use_course_style()
        >>> import matplotlib.pyplot as plt
        >>> plt.rcParams["font.size"]
        13.0
    """
    mpl.rcParams.update(COURSE_STYLE)
