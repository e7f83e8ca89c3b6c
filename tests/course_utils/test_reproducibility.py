import random

import numpy as np
import pytest
import torch

from course_utils import seed_everything


def draw():
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()


def test_same_seed_same_numbers_everywhere():
    seed_everything(7)
    first = draw()
    seed_everything(7)
    assert draw() == first
    seed_everything(8)
    assert draw() != first


def test_returns_a_seeded_generator_for_dataloaders():
    a = torch.randperm(10, generator=seed_everything(3))
    b = torch.randperm(10, generator=seed_everything(3))
    assert torch.equal(a, b)
    loader = torch.utils.data.DataLoader(range(10), shuffle=True, generator=seed_everything(3))
    again = torch.utils.data.DataLoader(range(10), shuffle=True, generator=seed_everything(3))
    assert [x.tolist() for x in loader] == [x.tolist() for x in again]


@pytest.mark.parametrize(
    "bad, error",
    [(-1, ValueError), (2**32, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)],
)
def test_bad_seeds_are_rejected(bad, error):
    with pytest.raises(error, match="seed"):
        seed_everything(bad)
