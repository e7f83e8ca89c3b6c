"""The playground, driven without a browser: set widget values, press buttons, read state()."""

import asyncio

import pytest
import torch

from course_utils.playground import Playground, build_playground_net, parse_hidden, tf_square_loss


@pytest.fixture
def pg():
    return Playground(seed=0, resolution=20)


def test_defaults_are_tensorflow_playgrounds(pg):
    state = pg.state()
    assert state["features"] == ["x1", "x2"] and state["hidden"] == [4, 2]
    assert (state["activation"], state["learning_rate"], state["batch_size"]) == ("tanh", 0.03, 10)
    assert (state["noise"], state["train_percent"], state["epoch"]) == (0, 50, 0)
    assert len(pg.data["train"][0]) == 250 and len(pg.data["test"][0]) == 250
    assert pg.image.value[:4] == b"\x89PNG"


def test_step_button_trains_one_epoch_and_records_both_losses(pg):
    before = pg.net[0].weight.detach().clone()
    pg.step_button.click()
    pg.step_button.click()
    state = pg.state()
    assert state["epoch"] == 2 and not torch.equal(before, pg.net[0].weight)
    assert all(len(v) == 3 for v in pg.history.values())      # epoch 0, 1, 2
    assert "epoch <b>000,002</b>" in pg.status.value
    assert 0 < state["train TF"] < 2 and 0 < state["test BCE"] < 5


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
    assert state["epoch"] == 0 and state["hidden"] == [8, 8, 4] and state["features"] == ["x1", "x2", "sin(x1)"]
    assert pg.net[0].in_features == 3 and len(pg.data["train"][0]) == 150


def test_learning_rate_changes_live_without_reset(pg):
    pg.step(2)
    pg.learning_rate.value = 0.3
    assert pg.state()["epoch"] == 2 and pg.optimizer.param_groups[0]["lr"] == 0.3


def test_same_seed_same_run():
    a, b = Playground(seed=1, resolution=10), Playground(seed=1, resolution=10)
    a.step(3); b.step(3)
    assert a.history == b.history


@pytest.mark.parametrize("objective, regularization", [("tf", "L1"), ("bce", "L2"), ("bce", "none")])
def test_every_objective_and_regularisation_lowers_the_loss(pg, objective, regularization):
    pg.objective.value, pg.regularization.value, pg.regularization_rate.value = objective, regularization, 0.001
    pg.step(6, redraw=False)
    key = "train TF" if objective == "tf" else "train BCE"
    assert pg.history[key][-1] < pg.history[key][0]


def test_bad_hidden_layers_are_explained_and_nothing_trains(pg):
    pg.hidden.value = "4, x"
    assert "neuron counts" in pg.status.value and pg.state()["error"]
    pg.step_button.click()
    pg.hidden.value = "3"
    assert pg.state()["error"] is None and pg.state()["hidden"] == [3]
    for box in pg.feature_boxes.values():
        box.value = False
    assert "at least one feature" in pg.state()["error"]


def test_play_runs_in_the_background_and_pause_stops_it():
    async def scenario():
        pg = Playground(seed=0, resolution=10, frame_delay=0.0)
        pg.play_button.click()
        assert pg.playing and "Pause" in pg.play_button.description
        for _ in range(200):                  # let a few frames run
            await asyncio.sleep(0.01)
            if pg.epoch >= 3:
                break
        pg.play_button.click()                # Pause
        await asyncio.sleep(0.05)
        stopped_at = pg.epoch
        await asyncio.sleep(0.05)
        return pg, stopped_at

    pg, stopped_at = asyncio.run(scenario())
    assert stopped_at >= 3 and pg.epoch == stopped_at and not pg.playing
    assert "Play" in pg.play_button.description


def test_play_is_bounded():
    async def scenario():
        pg = Playground(seed=0, resolution=10, max_play_epochs=4, frame_delay=0.0)
        await pg.play()
        return pg

    pg = asyncio.run(scenario())
    assert pg.epoch == 4 and not pg.playing


def test_play_outside_an_event_loop_says_what_to_do(pg):
    with pytest.raises(RuntimeError, match="step"):
        pg.play()


def test_helpers():
    assert parse_hidden("4, 2") == [4, 2] and parse_hidden("") == []
    with pytest.raises(ValueError, match="up to 6"):
        parse_hidden("1,1,1,1,1,1,1")
    net = build_playground_net(2, [4, 2], "tanh", torch.Generator().manual_seed(0))
    assert sum(p.numel() for p in net.parameters()) == 25
    assert (net[0].bias == 0.1).all() and net[0].weight.abs().max() <= 0.5
    assert tf_square_loss(torch.tensor([0.0, 100.0]), torch.tensor([1.0, 1.0])).item() == pytest.approx(0.25)
