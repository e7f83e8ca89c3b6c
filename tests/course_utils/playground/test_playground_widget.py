"""The playground's widget, driven without a browser: set widget values, press buttons, read state()."""

import asyncio

import numpy as np
import pytest
import torch

from course_utils.playground import Playground
from course_utils.playground.data import DATASETS


@pytest.fixture
def pg():
    return Playground(seed=0, resolution=20)


def test_defaults_are_tensorflow_playgrounds_on_the_spiral(pg):
    state = pg.state()
    assert (
        state["dataset"] == "spiral"
        and state["features"] == ["x1", "x2"]
        and state["hidden"] == [4, 2]
    )
    assert (state["activation"], state["learning_rate"], state["batch_size"]) == ("tanh", 0.03, 10)
    assert (state["noise"], state["train_percent"], state["epoch"], state["loss"]) == (
        0,
        50,
        0,
        "tf",
    )
    assert len(pg.run.data.X_train) == 250 and len(pg.run.data.X_test) == 250
    assert pg.image.value[:3] == pg.network_image.value[:3] == b"\xff\xd8\xff"  # JPEG frames
    assert set(pg.show.options) == {
        "output",
        "x1",
        "x2",
        "h1.1",
        "h1.2",
        "h1.3",
        "h1.4",
        "h2.1",
        "h2.2",
    }


def test_step_button_trains_one_epoch_and_records_losses_and_accuracy(pg):
    before = pg.run.network.weights[0].copy()
    picture = pg.network_image.value
    pg.step_button.click()
    pg.step_button.click()
    state = pg.state()
    assert state["epoch"] == 2 and not np.array_equal(before, pg.run.network.weights[0])
    assert all(len(v) == 3 for v in pg.run.history.values())  # epoch 0, 1, 2
    assert "epoch <b>000,002</b>" in pg.status.value and "test accuracy" in pg.status.value
    assert (
        0 < state["train TF"] < 2 and 0 < state["test BCE"] < 5 and 0 <= state["test accuracy"] <= 1
    )
    assert pg.network_image.value != picture


def test_reset_button_and_setting_changes_start_over(pg):
    pg.step(3)
    pg.reset_button.click()
    assert pg.state()["epoch"] == 0
    pg.step(2)
    pg.feature_boxes["sin(x1)"].value = True
    pg.hidden.value = "8, 8, 4"
    pg.activation.value = "relu"
    pg.noise.value = 20
    pg.train_percent.value = 30
    state = pg.state()
    assert (
        state["epoch"] == 0
        and state["hidden"] == [8, 8, 4]
        and state["features"] == ["x1", "x2", "sin(x1)"]
    )
    assert pg.run.network.sizes == [3, 8, 8, 4, 1] and len(pg.run.data.X_train) == 150


def test_learning_rate_changes_live_without_reset_and_is_remembered(pg):
    pg.step(2)
    pg.learning_rate.value = 0.3
    assert pg.state()["epoch"] == 2 and pg.state()["learning_rate"] == 0.3
    assert pg.run.learning_rates == {0: 0.03, 2: 0.3}


def test_same_seed_same_run():
    a, b = Playground(seed=1, resolution=10), Playground(seed=1, resolution=10)
    a.step(3)
    b.step(3)
    assert a.run.history == b.run.history


@pytest.mark.parametrize(
    "objective, regularization", [("tf", "L1"), ("bce", "L2"), ("bce", "none")]
)
def test_every_objective_and_regularisation_lowers_the_loss(pg, objective, regularization):
    pg.objective.value, pg.regularization.value, pg.regularization_rate.value = (
        objective,
        regularization,
        0.001,
    )
    pg.step(6, redraw=False)
    key = "train TF" if objective == "tf" else "train BCE"
    assert pg.run.history[key][-1] < pg.run.history[key][0]


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_web_data_set_trains(pg, name):
    pg.dataset.value = name
    pg.step(5)
    state = pg.state()
    if name.startswith("reg"):
        assert (
            len(pg.run.data.X_train) == 600
            and "train accuracy" not in state
            and pg.objective.disabled
        )
        assert state["loss"] == "mse" and state["train TF"] < pg.run.history["train TF"][0]
    else:
        assert (
            len(pg.run.data.X_train) == 250
            and state["loss"] == "tf"
            and state["train accuracy"] > 0.5
        )


def test_own_data_with_three_classes_trains_with_softmax_and_cross_entropy(pg):
    rng = np.random.default_rng(0)
    centres = np.array([[-3, -3], [3, -3], [0, 3]])
    y = np.repeat([0, 1, 2], 40)
    X = centres[y] + rng.normal(scale=0.8, size=(120, 2))
    pg.use_own_data(X, y)
    assert (
        pg.dataset.value == "own data"
        and pg.run.network.sizes[-1] == 3
        and pg.state()["loss"] == "ce"
    )
    assert set(pg.show.options) >= {"output", "h1.1"} and pg.scene.names[-1] == [
        "class 0",
        "class 1",
        "class 2",
    ]
    pg.learning_rate.value = 0.3
    pg.step(30)
    state = pg.state()
    assert state["train CE"] < pg.run.history["train CE"][0] and state["test accuracy"] > 0.9


def test_points_added_by_clicks_become_own_data(pg):
    for x1, x2, label in ((-4, -4, 0), (-3, -4, 0), (4, 4, 1)):
        pg.point_x1.value, pg.point_x2.value, pg.point_class.value = x1, x2, label
        pg.add_point_button.click()
    assert "3 own point(s)" in pg.status.value and pg.state()["error"]
    pg.point_x1.value, pg.point_x2.value, pg.point_class.value = 4, 3, 1
    pg.add_point_button.click()
    assert (
        pg.state()["error"] is None
        and pg.dataset.value == "own data"
        and pg.run.data.n_classes == 2
    )
    pg.step(2)
    assert pg.state()["epoch"] == 2


def test_bad_settings_are_explained_and_nothing_trains(pg):
    pg.hidden.value = "4, x"
    assert "neuron counts" in pg.status.value and pg.state()["error"]
    pg.step_button.click()
    pg.hidden.value = "3"
    assert pg.state()["error"] is None and pg.state()["hidden"] == [3]
    for box in pg.feature_boxes.values():
        box.value = False
    assert "at least one feature" in pg.state()["error"]
    with pytest.raises(ValueError, match="nothing to export"):
        pg.export_pytorch()


def test_play_runs_in_the_background_and_pause_stops_it():
    async def scenario():
        pg = Playground(seed=0, resolution=10, frame_delay=0.0)
        pictures = pg.network_image.value, pg.image.value
        pg.play_button.click()
        assert pg.playing and "Pause" in pg.play_button.description
        for _ in range(200):  # let a few frames run
            await asyncio.sleep(0.01)
            if pg.run.epoch >= 3:
                break
        pg.play_button.click()  # Pause
        await asyncio.sleep(0.05)
        stopped_at = pg.run.epoch
        await asyncio.sleep(0.05)
        return pg, stopped_at, pictures

    pg, stopped_at, pictures = asyncio.run(scenario())
    assert stopped_at >= 3 and pg.run.epoch == stopped_at and not pg.playing
    assert (
        pg.network_image.value != pictures[0] and pg.image.value != pictures[1]
    )  # both pictures moved
    assert "Play" in pg.play_button.description


def test_play_is_bounded():
    async def scenario():
        pg = Playground(seed=0, resolution=10, max_play_epochs=4, frame_delay=0.0)
        await pg.play()
        return pg

    pg = asyncio.run(scenario())
    assert pg.run.epoch == 4 and not pg.playing


def test_play_outside_an_event_loop_says_what_to_do(pg):
    with pytest.raises(RuntimeError, match="step"):
        pg.play()


def test_to_torch_computes_what_the_playground_computes(pg):
    pg.step(3)
    F = pg.run.features["test"]
    with torch.no_grad():
        z = pg.to_torch()(torch.from_numpy(F)).numpy()
    np.testing.assert_allclose(z, pg.run.network.logits(F), atol=1e-12)
