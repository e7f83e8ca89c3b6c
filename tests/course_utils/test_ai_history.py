"""Notebook 00's history picture: taught events are marked, bad input says how to fix it."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from course_utils.ai_history import draw_ai_history  # noqa: E402


def test_taught_events_name_their_notebook_in_year_order():
    fig = draw_ai_history(
        {2017: ("the Transformer", "08"), 1958: ("the perceptron", "03"), 2016: ("AlphaGo", "")}
    )
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == [
        "1958",
        "the perceptron  (notebook 03)",
        "2016",
        "AlphaGo",
        "2017",
        "the Transformer  (notebook 08)",
    ]
    plt.close(fig)


@pytest.mark.parametrize(
    "milestones", [{}, [1958], {1958: "the perceptron"}, {"1958": ("the perceptron", "03")}]
)
def test_bad_milestones_say_what_shape_is_expected(milestones):
    with pytest.raises(ValueError, match=r"year|milestones"):
        draw_ai_history(milestones)
