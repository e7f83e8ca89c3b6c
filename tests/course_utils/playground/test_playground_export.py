"""'Export as PyTorch': the exported script, run on its own, prints the playground's readings."""

import subprocess
import sys

import numpy as np
import pytest

from course_utils.playground import Playground


@pytest.fixture
def pg():
    return Playground(seed=0, resolution=20)


def run_exported(code: str, tmp_path) -> dict[str, float]:
    script = tmp_path / "exported.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    return {line.split(":")[0]: float(line.split(":")[1]) for line in done.stdout.splitlines()}


def setting_l1_relu_all_features(pg):
    pg.dataset.value, pg.hidden.value, pg.activation.value = "xor", "5, 3", "relu"
    for box in pg.feature_boxes.values():
        box.value = True
    pg.batch_size.value, pg.regularization.value, pg.regularization_rate.value = 30, "L1", 0.01
    pg.step(4, redraw=False)
    pg.learning_rate.value = 0.1  # changed while training: the export follows
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


@pytest.mark.parametrize(
    "setting",
    [
        setting_defaults,
        setting_l1_relu_all_features,
        setting_three_own_classes,
        setting_regression_bce_noise,
    ],
)
def test_exported_pytorch_reproduces_the_playground(pg, tmp_path, setting):
    setting(pg)
    pg.export_button.click()
    assert pg.export_code.layout.display == "block" and "import torch" in pg.export_code.value
    assert (
        "import course_utils" not in pg.export_code.value
        and "from course_utils" not in pg.export_code.value
    )
    printed = run_exported(pg.export_code.value, tmp_path)
    state = pg.state()
    reading = {"tf": "TF", "bce": "BCE", "ce": "CE", "mse": "TF"}[state["loss"]]
    for split in ("train", "test"):
        assert printed[f"{split} loss"] == pytest.approx(state[f"{split} {reading}"], abs=1e-6)
        if pg.run.data.n_classes:
            assert printed[f"{split} accuracy"] == pytest.approx(
                state[f"{split} accuracy"], abs=1e-6
            )
