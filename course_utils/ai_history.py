"""Notebook 00's picture: AI ⊃ machine learning ⊃ deep learning, beside a few dates of history.

The notebook keeps the dates (the lesson); this module only draws them.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from course_utils.plotting import COLORS

__all__ = ["draw_ai_history"]

#: The three nested fields, outermost first: (name, an example, colour).
_FIELDS = (
    ("artificial intelligence", "a chess program with hand-written rules", COLORS["orange"]),
    ("machine learning", "a line fitted to house prices", COLORS["sky"]),
    ("deep learning", "a CNN that tells cats from dogs", COLORS["green"]),
)


def draw_ai_history(milestones: Mapping[int, tuple[str, str]]) -> Figure:
    """Draw the three nested fields (left) and a timeline of ``milestones`` (right).

    ``milestones`` maps a year to ``(event, notebook)``, where ``notebook`` is the number of the
    course notebook that teaches the idea ("03"), or "" when the course does not teach it;
    taught events are drawn in green with "(notebook NN)" after them.

    Example:
        >>> fig = draw_ai_history({1958: ("Rosenblatt's perceptron", "03"), 2016: ("AlphaGo", "")})
        >>> [ax.get_title() for ax in fig.axes][1]
        'A few dates of deep learning (green: taught here)'
        >>> plt.close(fig)
    """
    if not isinstance(milestones, Mapping) or not milestones:
        raise ValueError(
            "milestones must be a non-empty dict {year: (event, notebook)}, "
            "e.g. {1958: ('the perceptron', '03')}"
        )
    for year, value in milestones.items():
        if not isinstance(year, int) or not (isinstance(value, tuple) and len(value) == 2):
            raise ValueError(
                f"milestone {year!r}: {value!r} should be year (int): (event, notebook), "
                "with notebook '' when the course does not teach it"
            )
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1, 1.3]})
    for (width, height, y), (name, example, color) in zip(
        [(9.6, 6.6, 0), (7.0, 4.4, -0.9), (4.2, 2.2, -1.8)], _FIELDS
    ):
        left.add_patch(
            Ellipse((0, y), width, height, facecolor=color, alpha=0.35, edgecolor="black")
        )
        left.text(0, y + height / 2 - 0.45, name, ha="center", fontsize=14, fontweight="bold")
        left.text(0, y + height / 2 - 0.85, f"e.g. {example}", ha="center", fontsize=10)
    left.set(xlim=(-5, 5), ylim=(-3.5, 3.5), title="Each is a part of the one around it")
    left.set_aspect("equal")
    left.axis("off")
    for row, (year, (event, notebook)) in enumerate(sorted(milestones.items())):
        right.scatter(0, -row, s=70, color=COLORS["green"] if notebook else "grey", zorder=3)
        right.text(-0.3, -row, str(year), ha="right", va="center", fontsize=12, fontweight="bold")
        right.text(
            0.3,
            -row,
            event + (f"  (notebook {notebook})" if notebook else ""),
            va="center",
            fontsize=11,
            color="black" if notebook else "dimgrey",
        )
    right.plot([0, 0], [0, 1 - len(milestones)], color="grey", lw=1, zorder=1)
    right.set(
        xlim=(-2, 12),
        ylim=(0.8 - len(milestones), 0.8),
        title="A few dates of deep learning (green: taught here)",
    )
    right.axis("off")
    fig.tight_layout()
    return fig
