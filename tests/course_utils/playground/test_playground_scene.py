"""The playground's large picture: the plane shows what the network predicts, and what you choose to see."""

import io

import numpy as np
import PIL.Image
import pytest

from course_utils.playground import Playground
from course_utils.playground.network import CLASS_COLORS


@pytest.fixture
def pg():
    return Playground(seed=0, resolution=20)


def pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(jpeg)).convert("RGB")).astype(int)


def test_the_output_shading_agrees_with_the_networks_predictions():
    pg = Playground(seed=0, resolution=60, dataset="gauss")
    pg.step(20)
    assert pg.state()["test accuracy"] > 0.95
    left, top, right, bottom = pg.scene.plane_box
    frame = pixels(pg.image.value)
    blue, orange = (
        np.array(PIL.Image.new("RGB", (1, 1), c).getpixel((0, 0))) for c in CLASS_COLORS[::-1]
    )
    for (x1, x2), cls in (((2.0, 5.0), 1), ((4.5, 4.5), 1), ((-4.5, -4.5), 0), ((-5.0, -2.0), 0)):
        # far from the points: the plane's colour at (x1, x2) leans to the predicted class's colour
        u = int(left + (x1 + 6) / 12 * (right - left))
        v = int(bottom - (x2 + 6) / 12 * (bottom - top))
        colour = frame[v, u]
        z = pg.run.network.logits(pg.run.features_of(np.array([[x1, x2]])))[0, 0]
        assert (z > 0) == (cls == 1)
        closer_to_blue = (
            np.abs(colour - (blue if cls else orange)).sum()
            < np.abs(colour - (orange if cls else blue)).sum()
        )
        assert closer_to_blue, (x1, x2, colour)


def test_show_test_data_discretize_and_show_a_neuron_change_the_picture(pg):
    pg.step(3)
    plain, net = pixels(pg.image.value), pg.network_image.value
    pg.show_test.value = True
    assert pg.scene.n_dots == 500 and pg.state()["epoch"] == 3
    with_test = pixels(pg.image.value)
    pg.discretize.value = True
    discrete = pixels(pg.image.value)
    pg.show.value = "h1.2"
    neuron = pixels(pg.image.value)
    assert pg.state()["epoch"] == 3
    assert all(
        np.abs(a - b).mean() > 0.5
        for a, b in ((plain, with_test), (with_test, discrete), (discrete, neuron))
    )
    assert pg.network_image.value != net  # the chosen neuron is framed
