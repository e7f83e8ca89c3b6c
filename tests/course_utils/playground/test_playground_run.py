"""A training run without any widget: reproducible, and the learning rate changes as on the web."""

import torch

from course_utils.playground.data import make_split
from course_utils.playground.run import Run
from course_utils.spiral import feature_map

CONFIG = {
    "dataset": "circle",
    "features": ["x1", "x2"],
    "hidden": [4],
    "activation": "tanh",
    "objective": "bce",
    "learning_rate": 0.03,
    "batch_size": 10,
    "regularization": "none",
    "regularization_rate": 0.0,
}


def run_of(config=CONFIG, seed=0):
    return Run(
        config,
        feature_map(config["features"]),
        make_split(config["dataset"], 0, 50, seed),
        torch.Generator().manual_seed(seed),
    )


def test_same_seed_same_run_and_every_epoch_recorded():
    a, b = run_of(), run_of()
    for run in (a, b):
        for _ in range(4):
            run.train_epoch()
    assert a.history == b.history and a.epoch == 4
    assert set(a.history) == {
        "train TF",
        "train BCE",
        "train accuracy",
        "test TF",
        "test BCE",
        "test accuracy",
    }
    assert all(len(values) == 5 for values in a.history.values())  # epoch 0 to 4
    assert a.history["train BCE"][-1] < a.history["train BCE"][0]
    assert a.history != run_of(seed=1).history


def test_a_new_learning_rate_applies_from_the_next_epoch_and_is_remembered():
    steady, changed = run_of(), run_of()
    for run in (steady, changed):
        run.train_epoch()
    changed.set_learning_rate(1.0)
    assert changed.learning_rates == {0: 0.03, 1: 1.0} and changed.config["learning_rate"] == 1.0
    assert changed.history == steady.history  # nothing retrained
    for run in (steady, changed):
        run.train_epoch()
    assert changed.history["train BCE"][-1] != steady.history["train BCE"][-1]
