"""Splits: shuffle once and cut at percentages (the playground's way), or keep every class's share."""

import pytest
import torch

from course_utils.spiral import make_spiral
from course_utils.splits import split_by_percent, stratified_split, stratified_subset


def test_one_percentage_keeps_the_playground_ratio_and_all_points():
    X, y = make_spiral()
    X_tr, y_tr, X_te, y_te = split_by_percent(X, y, 30, generator=torch.Generator().manual_seed(0))
    assert len(X_tr) == 150 and len(X_te) == 350 and len(y_tr) == 150
    together = torch.cat([X_tr, X_te])
    assert torch.equal(
        together[torch.argsort(together[:, 0] * 1000 + together[:, 1])],
        X[torch.argsort(X[:, 0] * 1000 + X[:, 1])],
    )


def test_two_percentages_give_three_disjoint_parts_that_cover_every_point():
    X, y = torch.arange(1000.0).reshape(500, 2), torch.arange(500.0)  # every point different
    X_tr, y_tr, X_val, y_val, X_te, y_te = split_by_percent(
        X, y, 50, 25, generator=torch.Generator().manual_seed(0)
    )
    assert (len(y_tr), len(y_val), len(y_te)) == (250, 125, 125)
    assert sorted(torch.cat([y_tr, y_val, y_te]).tolist()) == y.tolist()
    assert torch.equal(X_val[:, 0], 2 * y_val)  # points keep their labels
    assert torch.equal(
        split_by_percent(X, y, 50, 25, generator=torch.Generator().manual_seed(0))[2], X_val
    )
    assert not torch.equal(
        split_by_percent(X, y, 50, 25, generator=torch.Generator().manual_seed(1))[2], X_val
    )


def test_parts_are_cut_from_one_shuffle_as_the_playground_does():
    X, y = torch.arange(74.0).reshape(37, 2), torch.arange(37.0)
    order = torch.randperm(37, generator=torch.Generator().manual_seed(4))
    parts = split_by_percent(X, y, 20, 40, generator=torch.Generator().manual_seed(4))
    # ⌊37·20/100⌋ = 7 points, then up to ⌊37·60/100⌋ = 22, then the rest
    assert [p.tolist() for p in parts[1::2]] == [
        y[order[:7]].tolist(),
        y[order[7:22]].tolist(),
        y[order[22:]].tolist(),
    ]


@pytest.mark.parametrize(
    "percents, match",
    [
        ((60, 40), "add up to less than 100"),
        ((0, 25), "above 0"),
        ((50, -5), "above 0"),
        ((), "one or more"),
        ((100,), "less than 100"),
    ],
)
def test_bad_percentages_are_explained(percents, match):
    X, y = make_spiral(500)
    with pytest.raises(ValueError, match=match):
        split_by_percent(X, y, *percents)


def test_too_few_points_for_a_part_and_a_misplaced_generator_are_explained():
    X, y = make_spiral(4)
    with pytest.raises(ValueError, match="10 % of 4 points leaves a part empty"):
        split_by_percent(X, y, 10)
    with pytest.raises(TypeError, match="generator="):
        split_by_percent(X, y, 50, torch.Generator())
    with pytest.raises(ValueError, match=r"shape \(N, d\) and y of shape \(N,\)"):
        split_by_percent(X, y[:3], 50)


def test_stratified_split_is_repeatable_and_keeps_shares():
    labels = torch.tensor([0] * 10 + [1] * 30)
    train, val, test = stratified_split(labels, 0.2, seed=3, test_fraction=0.25)
    assert torch.equal(val, stratified_split(labels, 0.2, seed=3, test_fraction=0.25)[1])
    assert torch.bincount(labels[val]).tolist() == [2, 6]
    assert torch.bincount(labels[test]).tolist() == [2, 8]
    assert (
        len(set(train.tolist()) | set(val.tolist()) | set(test.tolist()))
        == 40
        == len(train) + len(val) + len(test)
    )
    assert len(stratified_split(labels, 0.2)[2]) == 0  # no test part unless asked
    assert [len(p) for p in stratified_split(torch.tensor([0, 0, 1]), 0.4, test_fraction=0.4)] == [
        2,
        1,
        0,
    ]


def test_stratified_subset_keeps_every_class_and_its_share():
    groups = torch.tensor([0] * 30 + [1] * 65 + [2] * 5)
    idx = stratified_subset(groups, 20, seed=1)
    assert torch.bincount(groups[idx]).tolist() == [6, 13, 1] and torch.equal(
        idx, idx.sort().values
    )
    assert torch.equal(idx, stratified_subset(groups, 20, seed=1)) and not torch.equal(
        idx, stratified_subset(groups, 20)
    )
