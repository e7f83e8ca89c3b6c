"""The playground, driven without a browser: set widget values, press buttons, read state()."""

import asyncio
import io
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
import torch

from course_utils.playground import Playground
from course_utils.playground.data import DATASETS
from course_utils.playground.network import CLASS_COLORS, link_color, link_width
from course_utils.playground.widget import build_playground_net, parse_hidden


@pytest.fixture
def pg():
    return Playground(seed=0, resolution=20)


def pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(jpeg)).convert("RGB")).astype(int)


def test_defaults_are_tensorflow_playgrounds_on_the_spiral(pg):
    state = pg.state()
    assert state["dataset"] == "spiral" and state["features"] == ["x1", "x2"] and state["hidden"] == [4, 2]
    assert (state["activation"], state["learning_rate"], state["batch_size"]) == ("tanh", 0.03, 10)
    assert (state["noise"], state["train_percent"], state["epoch"], state["loss"]) == (0, 50, 0, "tf")
    assert len(pg.data.X_train) == 250 and len(pg.data.X_test) == 250
    assert pg.image.value[:3] == pg.network_image.value[:3] == b"\xff\xd8\xff"       # JPEG frames
    assert set(pg.show.options) == {"output", "x1", "x2", "h1.1", "h1.2", "h1.3", "h1.4", "h2.1", "h2.2"}


def test_step_button_trains_one_epoch_and_records_losses_and_accuracy(pg):
    before = pg.network.weights[0].copy()
    picture = pg.network_image.value
    pg.step_button.click()
    pg.step_button.click()
    state = pg.state()
    assert state["epoch"] == 2 and not np.array_equal(before, pg.network.weights[0])
    assert all(len(v) == 3 for v in pg.history.values())      # epoch 0, 1, 2
    assert "epoch <b>000,002</b>" in pg.status.value and "test accuracy" in pg.status.value
    assert 0 < state["train TF"] < 2 and 0 < state["test BCE"] < 5 and 0 <= state["test accuracy"] <= 1
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
    assert state["epoch"] == 0 and state["hidden"] == [8, 8, 4] and state["features"] == ["x1", "x2", "sin(x1)"]
    assert pg.network.sizes == [3, 8, 8, 4, 1] and len(pg.data.X_train) == 150


def test_learning_rate_changes_live_without_reset_and_is_remembered(pg):
    pg.step(2)
    pg.learning_rate.value = 0.3
    assert pg.state()["epoch"] == 2 and pg.state()["learning_rate"] == 0.3
    assert pg.learning_rates == {0: 0.03, 2: 0.3}


def test_same_seed_same_run():
    a, b = Playground(seed=1, resolution=10), Playground(seed=1, resolution=10)
    a.step(3)
    b.step(3)
    assert a.history == b.history


@pytest.mark.parametrize("objective, regularization", [("tf", "L1"), ("bce", "L2"), ("bce", "none")])
def test_every_objective_and_regularisation_lowers_the_loss(pg, objective, regularization):
    pg.objective.value, pg.regularization.value, pg.regularization_rate.value = objective, regularization, 0.001
    pg.step(6, redraw=False)
    key = "train TF" if objective == "tf" else "train BCE"
    assert pg.history[key][-1] < pg.history[key][0]


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_web_data_set_trains(pg, name):
    pg.dataset.value = name
    pg.step(5)
    state = pg.state()
    if name.startswith("reg"):
        assert len(pg.data.X_train) == 600 and "train accuracy" not in state and pg.objective.disabled
        assert state["loss"] == "mse" and state["train TF"] < pg.history["train TF"][0]
    else:
        assert len(pg.data.X_train) == 250 and state["loss"] == "tf" and state["train accuracy"] > 0.5


def test_the_output_shading_agrees_with_the_networks_predictions():
    pg = Playground(seed=0, resolution=60, dataset="gauss")
    pg.step(20)
    assert pg.state()["test accuracy"] > 0.95
    left, top, right, bottom = pg._plane_box
    frame = pixels(pg.image.value)
    blue, orange = (np.array(PIL.Image.new("RGB", (1, 1), c).getpixel((0, 0))) for c in CLASS_COLORS[::-1])
    for (x1, x2), cls in (((2.0, 5.0), 1), ((4.5, 4.5), 1), ((-4.5, -4.5), 0), ((-5.0, -2.0), 0)):
        # far from the points: the plane's colour at (x1, x2) leans to the predicted class's colour
        u = int(left + (x1 + 6) / 12 * (right - left))
        v = int(bottom - (x2 + 6) / 12 * (bottom - top))
        colour = frame[v, u]
        z = pg.network.logits(pg._features_of(np.array([[x1, x2]])))[0, 0]
        assert (z > 0) == (cls == 1)
        closer_to_blue = np.abs(colour - (blue if cls else orange)).sum() < np.abs(colour - (orange if cls else blue)).sum()
        assert closer_to_blue, (x1, x2, colour)


def test_show_test_data_discretize_and_show_a_neuron_change_the_picture(pg):
    pg.step(3)
    plain, net = pixels(pg.image.value), pg.network_image.value
    pg.show_test.value = True
    assert pg.n_dots == 500 and pg.state()["epoch"] == 3
    with_test = pixels(pg.image.value)
    pg.discretize.value = True
    discrete = pixels(pg.image.value)
    pg.show.value = "h1.2"
    neuron = pixels(pg.image.value)
    assert pg.state()["epoch"] == 3
    assert all(np.abs(a - b).mean() > 0.5 for a, b in ((plain, with_test), (with_test, discrete), (discrete, neuron)))
    assert pg.network_image.value != net               # the chosen neuron is framed


def test_links_show_sign_and_size():
    assert link_width(0) == 1 and link_width(0.5) < link_width(2) < link_width(5) == link_width(50)
    blue, orange = link_color(3.0), link_color(-3.0)
    assert blue[2] > blue[0] and orange[0] > orange[2]


def test_own_data_with_three_classes_trains_with_softmax_and_cross_entropy(pg):
    rng = np.random.default_rng(0)
    centres = np.array([[-3, -3], [3, -3], [0, 3]])
    y = np.repeat([0, 1, 2], 40)
    X = centres[y] + rng.normal(scale=0.8, size=(120, 2))
    pg.use_own_data(X, y)
    assert pg.dataset.value == "own data" and pg.network.sizes[-1] == 3 and pg.state()["loss"] == "ce"
    assert set(pg.show.options) >= {"output", "h1.1"} and pg.picture.names[-1] == ["class 0", "class 1", "class 2"]
    pg.learning_rate.value = 0.3
    pg.step(30)
    state = pg.state()
    assert state["train CE"] < pg.history["train CE"][0] and state["test accuracy"] > 0.9


def test_points_added_by_clicks_become_own_data(pg):
    for x1, x2, label in ((-4, -4, 0), (-3, -4, 0), (4, 4, 1)):
        pg.point_x1.value, pg.point_x2.value, pg.point_class.value = x1, x2, label
        pg.add_point_button.click()
    assert "3 own point(s)" in pg.status.value and pg.state()["error"]
    pg.point_x1.value, pg.point_x2.value, pg.point_class.value = 4, 3, 1
    pg.add_point_button.click()
    assert pg.state()["error"] is None and pg.dataset.value == "own data" and pg.data.n_classes == 2
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


def test_to_torch_computes_what_the_playground_computes(pg):
    pg.step(3)
    F = pg._features["test"]
    with torch.no_grad():
        z = pg.to_torch()(torch.from_numpy(F)).numpy()
    np.testing.assert_allclose(z, pg.network.logits(F), atol=1e-12)


def run_exported(code: str, tmp_path) -> dict[str, float]:
    script = tmp_path / "exported.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    return {line.split(":")[0]: float(line.split(":")[1]) for line in done.stdout.splitlines()}


def setting_l1_relu_all_features(pg):
    pg.dataset.value, pg.hidden.value, pg.activation.value = "xor", "5, 3", "relu"
    for box in pg.feature_boxes.values():
        box.value = True
    pg.batch_size.value, pg.regularization.value, pg.regularization_rate.value = 30, "L1", 0.01
    pg.step(4, redraw=False)
    pg.learning_rate.value = 0.1                      # changed while training: the export follows
    pg.step(4, redraw=False)


def setting_three_own_classes(pg):
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], 10)
    pg.use_own_data(np.array([[-3, -3], [3, -3], [0, 3]])[y] + rng.normal(size=(30, 2)), y)
    pg.regularization.value, pg.regularization_rate.value = "L2", 0.003
    pg.step(15, redraw=False)


def setting_regression_bce_noise(pg):
    pg.dataset.value, pg.noise.value, pg.train_percent.value = "reg-gauss", 20, 30
    pg.step(3, redraw=False)


def setting_defaults(pg):
    pg.step(20, redraw=False)


@pytest.mark.parametrize("setting", [setting_defaults, setting_l1_relu_all_features, setting_three_own_classes,
                                     setting_regression_bce_noise])
def test_exported_pytorch_reproduces_the_playground(pg, tmp_path, setting):
    setting(pg)
    pg.export_button.click()
    assert pg.export_code.layout.display == "block" and "import torch" in pg.export_code.value
    assert "import course_utils" not in pg.export_code.value and "from course_utils" not in pg.export_code.value
    printed = run_exported(pg.export_code.value, tmp_path)
    state = pg.state()
    reading = {"tf": "TF", "bce": "BCE", "ce": "CE", "mse": "TF"}[state["loss"]]
    for split in ("train", "test"):
        assert printed[f"{split} loss"] == pytest.approx(state[f"{split} {reading}"], abs=1e-6)
        if pg.data.n_classes:
            assert printed[f"{split} accuracy"] == pytest.approx(state[f"{split} accuracy"], abs=1e-6)


def test_play_runs_in_the_background_and_pause_stops_it():
    async def scenario():
        pg = Playground(seed=0, resolution=10, frame_delay=0.0)
        pictures = pg.network_image.value, pg.image.value
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
        return pg, stopped_at, pictures

    pg, stopped_at, pictures = asyncio.run(scenario())
    assert stopped_at >= 3 and pg.epoch == stopped_at and not pg.playing
    assert pg.network_image.value != pictures[0] and pg.image.value != pictures[1]   # both pictures moved
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
