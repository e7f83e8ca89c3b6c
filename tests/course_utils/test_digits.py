"""course_utils.digits: real digits without a download, image grids, latent maps, clear errors."""

import doctest
import sys

import matplotlib
import pytest
import torch

from course_utils import digits

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_doctests_pass():
    assert doctest.testmod(digits).failed == 0


def test_digits_are_the_1797_real_images_split_per_digit():
    data = digits.load_digits_data(test_fraction=0.2, seed=0)
    assert len(data.train_images) + len(data.test_images) == 1797
    for part in (data.train_images, data.test_images):
        assert part.shape[1:] == (1, 8, 8) and part.dtype == torch.float32
        assert 0 <= part.min() and part.max() == 1
    share = torch.bincount(data.test_labels, minlength=10) / torch.bincount(
        torch.cat([data.train_labels, data.test_labels]), minlength=10
    )
    assert torch.allclose(share, torch.full((10,), 0.2), atol=0.01)
    assert "UCI" in data.source and "CC BY 4.0" in data.licence and data.url.startswith("https://")


def test_the_split_is_repeatable_and_depends_on_the_seed():
    a, b, c = (digits.load_digits_data(seed=s) for s in (0, 0, 1))
    assert torch.equal(a.test_images, b.test_images)
    assert not torch.equal(a.test_images, c.test_images)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, "0.2", True])
def test_a_bad_test_fraction_is_refused(fraction):
    with pytest.raises(ValueError, match="test_fraction must be a number between 0 and 1"):
        digits.load_digits_data(test_fraction=fraction)


def test_without_scikit_learn_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ModuleNotFoundError, match="pip install scikit-learn"):
        digits.load_digits_data()


def test_grid_tiles_images_with_labels_or_coordinates():
    ax = digits.show_image_grid(torch.rand(6, 1, 8, 8), nrow=3, row_labels=["a", "b"], title="t")
    assert ax.get_images()[0].get_array().shape == (17, 26)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"] and ax.get_title() == "t"
    ax = digits.show_image_grid(torch.rand(4, 3, 8, 8), nrow=2, extent=(-1, 1, -1, 1))
    assert ax.get_images()[0].get_extent() == [-1, 1, -1, 1]


@pytest.mark.parametrize(
    "images, kwargs, message",
    [
        (torch.rand(4, 8, 8), {}, "N × C × H × W"),
        (torch.rand(0, 1, 8, 8), {}, "N ≥ 1"),
        (torch.rand(4, 2, 8, 8), {}, "C = 1 or 3"),
        ([torch.rand(1, 8, 8)], {}, "must be a torch.Tensor"),
        (torch.rand(4, 1, 8, 8), {"nrow": 0}, "positive int"),
        (torch.rand(4, 1, 8, 8), {"nrow": 2, "row_labels": ["only one"]}, "make 2 rows"),
        (torch.rand(4, 1, 8, 8), {"extent": (0, 1)}, "left, right, bottom, top"),
    ],
)
def test_grid_refuses_bad_input_with_a_clear_message(images, kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        digits.show_image_grid(images, **kwargs)


def test_latent_map_writes_each_digit_once():
    labels = torch.tensor([3, 3, 7, 7, 7])
    ax = digits.plot_latent_codes(torch.randn(5, 2), labels, title="map")
    assert sorted(t.get_text() for t in ax.texts) == ["3", "7"] and ax.get_title() == "map"


@pytest.mark.parametrize(
    "codes, labels, message",
    [
        (torch.randn(5, 3), torch.zeros(5), "N × 2"),
        ([[0.0, 1.0]], torch.zeros(1), "N × 2"),
        (torch.randn(5, 2), torch.zeros(4), "one digit per code"),
    ],
)
def test_latent_map_refuses_bad_input(codes, labels, message):
    with pytest.raises(ValueError, match=message):
        digits.plot_latent_codes(codes, labels)


def test_scores_share_one_axis_in_the_given_order_with_their_values():
    ax = digits.plot_scores(
        {"real": 0.92, "model A": 0.68, "model B": 0.62}, highlight=["model A", "model B"]
    )
    height = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert sorted(height, key=height.get, reverse=True) == [
        "real",
        "model A",
        "model B",
    ]  # the first on top
    assert [float(x) for x in ax.get_xlim()] == [0.0, 1.0]
    assert sorted(t.get_text() for t in ax.texts) == ["0.62", "0.68", "0.92"]
    grey, blue = (
        {bar.get_facecolor() for bar in ax.patches[:1]},
        {bar.get_facecolor() for bar in ax.patches[1:]},
    )
    assert grey != blue and len(blue) == 1


@pytest.mark.parametrize(
    "scores, kwargs, message",
    [
        ({}, {}, "non-empty dict"),
        ([0.5], {}, "non-empty dict"),
        ({"loss": 17.0}, {}, "outside 0 to 1"),
        ({"a": 0.5}, {"highlight": ["b"]}, "not in scores"),
    ],
)
def test_scores_refuse_bad_input(scores, kwargs, message):
    with pytest.raises(ValueError, match=message):
        digits.plot_scores(scores, **kwargs)
