"""The playground's data sets follow the web version's dataset.ts; your own points are checked."""

import math

import numpy as np
import pytest
import torch

from course_utils.playground.data import DATASETS, OWN, check_own_data, make_split


def test_data_sets_follow_dataset_ts():
    g = torch.Generator().manual_seed(0)
    X, y = DATASETS["circle"](500, 0.0, g)
    r = X.norm(dim=1)
    assert r[:250].max() <= 2.5 and r[250:].min() >= 3.5 and r[250:].max() <= 5
    X, y = DATASETS["gauss"](4000, 0.5, g)  # noise 50 %: variance 4
    assert X[:2000].var(0).tolist() == pytest.approx([4, 4], rel=0.1)
    assert X[:2000].mean(0).tolist() == pytest.approx([2, 2], abs=0.15)
    X, y = DATASETS["gauss"](4000, 0.0, g)  # noise 0: variance 0.5
    assert X[2000:].var(0).tolist() == pytest.approx([0.5, 0.5], rel=0.1)
    X, y = DATASETS["reg-gauss"](1200, 0.0, g)
    near = (X - torch.tensor([0.0, 2.5], dtype=torch.float64)).norm(
        dim=1
    ) < 0.3  # the -1 bump at (0, 2.5)
    assert (y[near] < -0.85).all() and X.abs().max() <= 6
    X, y = DATASETS["xor"](500, 0.5, g)  # noisy labels: some disagree with the quadrant
    assert 0.05 < ((X[:, 0] * X[:, 1] >= 0) != (y > 0)).double().mean() < 0.5


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = (
        make_split("circle", 10, 50, 0),
        make_split("circle", 10, 50, 0),
        make_split("circle", 10, 50, 1),
    )
    assert np.array_equal(a.X_train, b.X_train) and not np.array_equal(a.X_train, c.X_train)
    assert make_split("reg-plane", 0, 50, 0).X_train.shape == (600, 2)


@pytest.mark.parametrize(
    "X, y, words",
    [
        ([[0, 0]] * 5, [0, 1, 0, 1], "shape"),
        ([[0, 0], [1, 1], [2, 2], [3, math.nan]], [0, 1, 0, 1], "finite"),
        ([[0, 0], [1, 1], [2, 2], [3, 3]], [0, 2, 0, 2], "class numbers 0, 1"),
        ([[0, 0], [1, 1]], [0, 1], "at least 4"),
    ],
)
def test_bad_own_data_is_explained(X, y, words):
    with pytest.raises(ValueError, match=words):
        check_own_data(X, y)
    with pytest.raises(ValueError, match="unknown data set"):
        make_split("moons", 0, 50, 0)


def test_own_points_are_checked_then_split_like_the_web_data_sets():
    X = np.arange(20.0).reshape(10, 2)
    s = make_split(OWN, 0, 30, seed=0, own=(X, [0, 1] * 5, False))
    assert (len(s.X_train), len(s.X_test), s.n_classes) == (3, 7, 2)
    assert sorted(np.concatenate([s.X_train, s.X_test])[:, 0].tolist()) == X[:, 0].tolist()
    assert np.array_equal(
        s.X_train, make_split(OWN, 0, 30, seed=0, own=(X, [0, 1] * 5, False)).X_train
    )
    with pytest.raises(ValueError, match="10 % of 4 points leaves a part empty"):
        make_split(OWN, 0, 10, seed=0, own=(X[:4], [0, 1, 0, 1], False))
    with pytest.raises(ValueError, match="no own data yet"):
        make_split(OWN, 0, 50, seed=0)
    with pytest.raises(ValueError, match="class numbers"):
        make_split(OWN, 0, 50, seed=0, own=(X, [0, 2] * 5, False))
