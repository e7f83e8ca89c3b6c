"""The spiral matches TensorFlow Playground's generator; splits and feature maps are right."""

import math

import pytest
import torch

from course_utils.spiral import FEATURES, feature_map, make_spiral, split_train_test, split_train_val_test


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
    assert shift.abs().max() <= 0.5 + 1e-6          # U(-1, 1) * 50/100
    assert shift.abs().max() > 0.45 and shift.mean().abs() < 0.05


def test_same_generator_seed_same_data():
    a = make_spiral(500, 30, torch.Generator().manual_seed(3))[0]
    b = make_spiral(500, 30, torch.Generator().manual_seed(3))[0]
    assert torch.equal(a, b)


@pytest.mark.parametrize("kwargs, match", [({"n_samples": 7}, "even"), ({"noise": 60}, "0 to 50"),
                                           ({"noise": -1}, "0 to 50")])
def test_bad_arguments_are_explained(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_spiral(**kwargs)


def test_split_keeps_the_playground_ratio_and_all_points():
    X, y = make_spiral()
    X_tr, y_tr, X_te, y_te = split_train_test(X, y, 30, generator=torch.Generator().manual_seed(0))
    assert len(X_tr) == 150 and len(X_te) == 350 and len(y_tr) == 150
    together = torch.cat([X_tr, X_te])
    assert torch.equal(together[torch.argsort(together[:, 0] * 1000 + together[:, 1])],
                       X[torch.argsort(X[:, 0] * 1000 + X[:, 1])])
    with pytest.raises(ValueError, match="train_percent"):
        split_train_test(X, y, 100)
    with pytest.raises(ValueError, match="shape"):
        split_train_test(X, y[:10])


def test_feature_map_computes_the_seven_features_in_order():
    phi = feature_map(list(FEATURES))
    out = phi(torch.tensor([[2.0, 3.0]]))
    assert out.tolist()[0] == pytest.approx([2, 3, 4, 9, 6, math.sin(2), math.sin(3)], abs=1e-6)
    with pytest.raises(ValueError, match="unknown"):
        feature_map(["x3"])
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        phi(torch.zeros(4, 3))


def test_three_way_split_is_disjoint_and_covers_every_point():
    X, y = torch.arange(1000.0).reshape(500, 2), torch.arange(500.0)   # every point different
    X_tr, y_tr, X_val, y_val, X_te, y_te = split_train_val_test(X, y, 50, 25, torch.Generator().manual_seed(0))
    assert (len(y_tr), len(y_val), len(y_te)) == (250, 125, 125)
    assert sorted(torch.cat([y_tr, y_val, y_te]).tolist()) == y.tolist()
    assert torch.equal(X_val[:, 0], 2 * y_val)                          # points keep their labels
    assert torch.equal(split_train_val_test(X, y, 50, 25, torch.Generator().manual_seed(0))[2], X_val)


@pytest.mark.parametrize("percents, match", [((60, 40), "sum below 100"), ((0, 25), "train_percent > 0"),
                                              ((50, 0), "val_percent > 0")])
def test_three_way_split_rejects_bad_percentages(percents, match):
    X, y = make_spiral(500)
    with pytest.raises(ValueError, match=match):
        split_train_val_test(X, y, *percents)
