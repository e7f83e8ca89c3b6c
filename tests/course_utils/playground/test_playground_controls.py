"""The playground's controls: TF Playground's defaults, settings read and set by name, clear errors."""

import pytest

from course_utils.playground.controls import Controls, parse_hidden


def test_hidden_layers_are_parsed_from_text():
    assert (
        parse_hidden("4, 2") == [4, 2] and parse_hidden("8;8") == [8, 8] and parse_hidden("") == []
    )
    for text in ("1,1,1,1,1,1,1", "4, x", "0", "65"):
        with pytest.raises(ValueError, match="up to 6 neuron counts between 1 and 64"):
            parse_hidden(text)


def test_settings_are_read_and_set_by_name():
    controls = Controls()
    assert controls.settings() == {
        "dataset": "spiral",
        "features": ["x1", "x2"],
        "hidden": [4, 2],
        "activation": "tanh",
        "learning_rate": 0.03,
        "regularization": "none",
        "regularization_rate": 0.0,
        "batch_size": 10,
        "noise": 0,
        "train_percent": 50,
        "objective": "tf",
    }
    controls.set_controls(dataset="xor", features=["x1*x2"], hidden=[8, 3], batch_size=5)
    assert controls.hidden.value == "8, 3" and controls.feature_boxes["x1*x2"].value
    settings = controls.settings()
    assert (
        settings["dataset"],
        settings["features"],
        settings["hidden"],
        settings["batch_size"],
    ) == ("xor", ["x1*x2"], [8, 3], 5)


def test_an_unknown_setting_is_named():
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['layers'\]"):
        Controls().set_controls(layers=[4])
