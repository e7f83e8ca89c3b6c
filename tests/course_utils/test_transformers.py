"""course_utils.transformers: notebook 09's picture of attention heads."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils import transformers as tr  # noqa: E402


def test_plot_heads_draws_one_map_per_head_with_the_characters_as_labels():
    weights = torch.softmax(torch.randn(3, 6, 6), dim=-1)
    axes = tr.plot_heads(weights, "if x\n:", ["a", "b", "c"])
    assert [ax.get_title() for ax in axes] == ["a", "b", "c"]
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["i", "f", "␣", "x", "⏎", ":"]
    assert [t.get_text() for t in axes[2].get_yticklabels()] == ["i", "f", "␣", "x", "⏎", ":"]
    image = axes[1].get_images()[0]
    assert image.get_clim() == (0, 1)  # one colour scale for every head
    assert torch.allclose(torch.tensor(image.get_array()), weights[1])
    plt.close("all")


def test_plot_heads_draws_into_given_axes():
    _, grid = plt.subplots(2, 2)
    axes = tr.plot_heads(torch.rand(4, 3, 3), "abc", ["1", "2", "3", "4"], axes=grid.flat)
    assert [ax.get_title() for ax in grid.flat] == ["1", "2", "3", "4"] and len(axes) == 4
    plt.close("all")


@pytest.mark.parametrize(
    "weights, text, titles, message",
    [
        (torch.rand(2, 1, 3, 3), "abc", ["a", "b"], r"pick one example, w\[0\]"),
        (torch.rand(2, 3, 4), "abc", ["a", "b"], r"shape \(heads, time, time\)"),
        ([[0.5]], "a", ["a"], "got list"),
        (torch.rand(2, 3, 3), "ab", ["a", "b"], "one character per position: 3 positions, got 2"),
        (torch.rand(2, 3, 3), "abc", "ab", "one title per head"),
        (torch.rand(2, 3, 3), "abc", ["a"], "one title per head"),
    ],
)
def test_plot_heads_bad_inputs_say_how_to_fix(weights, text, titles, message):
    with pytest.raises(ValueError, match=message):
        tr.plot_heads(weights, text, titles)


def test_show_char_wants_one_character():
    with pytest.raises(ValueError, match="one character"):
        tr.show_char("ab")
