"""The spiral matches TensorFlow Playground's generator; feature maps are right."""

import math

import pytest
import torch

from course_utils.spiral import FEATURES, feature_map, make_spiral, spiral


def test_noise_free_spiral_follows_the_playground_formula():
    X, y = make_spiral(500, noise=0)
    assert X.shape == (500, 2) and X.dtype == torch.float32 and y.shape == (500,)
    assert (y[:250] == 1).all() and (y[250:] == -1).all()
    n = 250
    for i in (0, 1, 100, 249):
        r, t = 5 * i / n, 1.75 * i / n * 2 * math.pi
        assert X[i].tolist() == pytest.approx([r * math.sin(t), r * math.cos(t)], abs=1e-5)
        # The second spiral is the first turned by pi: every point mirrored through the origin.
        assert X[n + i].tolist() == pytest.approx([-r * math.sin(t), -r * math.cos(t)], abs=1e-5)


def test_noise_is_uniform_and_scaled_by_percent():
    clean, _ = make_spiral(500, noise=0)
    noisy, _ = make_spiral(500, noise=50, generator=torch.Generator().manual_seed(0))
    shift = noisy - clean
    assert shift.abs().max() <= 0.5 + 1e-6  # U(-1, 1) * 50/100
    assert shift.abs().max() > 0.45 and shift.mean().abs() < 0.05


def test_same_generator_seed_same_data():
    a = make_spiral(500, 30, torch.Generator().manual_seed(3))[0]
    b = make_spiral(500, 30, torch.Generator().manual_seed(3))[0]
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"n_samples": 7}, "even"), ({"noise": 60}, "0 to 50"), ({"noise": -1}, "0 to 50")],
)
def test_bad_arguments_are_explained(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_spiral(**kwargs)


def test_feature_map_computes_the_seven_features_in_order():
    phi = feature_map(list(FEATURES))
    out = phi(torch.tensor([[2.0, 3.0]]))
    assert out.tolist()[0] == pytest.approx([2, 3, 4, 9, 6, math.sin(2), math.sin(3)], abs=1e-6)
    with pytest.raises(ValueError, match="unknown"):
        feature_map(["x3"])
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        phi(torch.zeros(4, 3))


def test_the_notebooks_spiral_is_the_playgrounds_in_float32():
    X64, y64 = spiral(500, 0.3, torch.Generator().manual_seed(3))
    X, y = make_spiral(500, 30, torch.Generator().manual_seed(3))
    assert X64.dtype == torch.float64 and X.dtype == y.dtype == torch.float32
    assert torch.equal(X, X64.float()) and torch.equal(y, y64.float())


def test_without_a_generator_the_noise_follows_torch_manual_seed():
    _ = torch.manual_seed(5)
    a = make_spiral(500, 30)[0]
    _ = torch.manual_seed(5)
    assert torch.equal(a, make_spiral(500, 30)[0]) and not torch.equal(a, make_spiral(500, 30)[0])
