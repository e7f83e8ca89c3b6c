"""The playground's controls: every slider, drop-down and button, their layout, and the settings they hold.

``Controls`` only builds and lays out the widgets and reads them; :class:`course_utils.playground.Playground`
(a ``Controls``) says what each one does.
"""

from __future__ import annotations

import ipywidgets as widgets

from course_utils.playground.data import DATASETS
from course_utils.playground.engine import ACTIVATION_NAMES
from course_utils.playground.network import MULTI_CLASS_COLORS
from course_utils.spiral import FEATURES

__all__ = ["Controls", "parse_hidden"]

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def parse_hidden(text: str) -> list[int]:
    """Neurons per hidden layer from text such as ``"4, 2"`` (empty text: no hidden layer).

    Example:
        >>> parse_hidden("4, 2")
        [4, 2]
    """
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not all(p.isdigit() and 1 <= int(p) <= 64 for p in parts) or len(parts) > 6:
        raise ValueError(
            f"hidden layers: write up to 6 neuron counts between 1 and 64, "
            f"separated by commas, e.g. '4, 2'; got {text!r}"
        )
    return [int(p) for p in parts]


class Controls:
    """The widgets, with TensorFlow Playground's defaults (spiral; x1, x2; 4, 2; tanh; lr 0.03; batch 10).

    Example:
        >>> controls = Controls("xor")
        >>> controls.settings()["dataset"], controls.settings()["hidden"]
        ('xor', [4, 2])
    """

    def __init__(self, dataset: str = "spiral") -> None:
        style = {"description_width": "initial"}
        self.dataset = widgets.Dropdown(
            options=list(DATASETS), value=dataset, description="data", style=style
        )
        self.feature_boxes = {
            name: widgets.Checkbox(
                value=name in ("x1", "x2"),
                description=name,
                indent=False,
                layout=widgets.Layout(width="80px"),
            )
            for name in FEATURES
        }
        self.hidden = widgets.Text(
            value="4, 2", description="neurons per hidden layer", style=style
        )
        self.activation = widgets.Dropdown(
            options=list(ACTIVATION_NAMES), value="tanh", description="activation"
        )
        self.learning_rate = widgets.Dropdown(
            options=LEARNING_RATES, value=0.03, description="learning rate", style=style
        )
        self.regularization = widgets.Dropdown(
            options=["none", "L1", "L2"], value="none", description="regularisation", style=style
        )
        self.regularization_rate = widgets.Dropdown(
            options=REGULARIZATION_RATES, value=0.0, description="reg. rate", style=style
        )
        self.batch_size = widgets.IntSlider(
            value=10, min=1, max=30, description="batch size", style=style
        )
        self.noise = widgets.IntSlider(
            value=0, min=0, max=50, step=5, description="noise (%)", style=style
        )
        self.train_percent = widgets.IntSlider(
            value=50, min=10, max=90, step=10, description="train data (%)", style=style
        )
        self.objective = widgets.Dropdown(
            options=[("TF: ½(tanh − target)²", "tf"), ("BCEWithLogitsLoss", "bce")],
            value="tf",
            description="2 classes: train with",
            style=style,
        )
        self.show_test = widgets.Checkbox(value=False, description="show test data", indent=False)
        self.discretize = widgets.Checkbox(
            value=False, description="discretize output", indent=False
        )
        self.show = widgets.Dropdown(
            options=["output"], value="output", description="show", style=style
        )
        self.play_button = widgets.Button(description="▶ Play", button_style="success")
        self.step_button = widgets.Button(description="Step")
        self.reset_button = widgets.Button(description="Reset", button_style="warning")
        self.export_button = widgets.Button(description="Export as PyTorch", icon="download")
        self.export_code = widgets.Textarea(
            layout=widgets.Layout(width="100%", height="240px", display="none")
        )
        self.point_x1 = widgets.FloatText(
            value=0.0, description="x1", layout=widgets.Layout(width="130px")
        )
        self.point_x2 = widgets.FloatText(
            value=0.0, description="x2", layout=widgets.Layout(width="130px")
        )
        self.point_class = widgets.Dropdown(
            options=list(range(len(MULTI_CLASS_COLORS))),
            value=0,
            description="class",
            layout=widgets.Layout(width="130px"),
        )
        self.add_point_button = widgets.Button(description="add point")
        self.status = widgets.HTML()
        self.network_image = widgets.Image(format="jpeg")  # JPEG: encoded in a few ms, unlike PNG
        self.image = widgets.Image(format="jpeg")

    @property
    def settings_controls(self) -> dict[str, widgets.ValueWidget]:
        """The controls that define a run (a change starts over), by setting name; ``features`` aside."""
        return {
            "dataset": self.dataset,
            "hidden": self.hidden,
            "activation": self.activation,
            "learning_rate": self.learning_rate,
            "regularization": self.regularization,
            "regularization_rate": self.regularization_rate,
            "batch_size": self.batch_size,
            "noise": self.noise,
            "train_percent": self.train_percent,
            "objective": self.objective,
        }

    @property
    def widget(self) -> widgets.VBox:
        """The whole playground, to ``display``."""
        controls = widgets.VBox(
            [
                widgets.HBox(
                    [self.dataset, self.noise, self.train_percent, self.show_test, self.discretize]
                ),
                widgets.HBox([widgets.Label("features:"), *self.feature_boxes.values()]),
                widgets.HBox([self.hidden, self.activation, self.objective]),
                widgets.HBox(
                    [
                        self.learning_rate,
                        self.batch_size,
                        self.regularization,
                        self.regularization_rate,
                    ]
                ),
                widgets.HBox(
                    [
                        self.play_button,
                        self.step_button,
                        self.reset_button,
                        self.show,
                        self.export_button,
                    ]
                ),
                widgets.HBox(
                    [
                        widgets.Label("own points:"),
                        self.point_x1,
                        self.point_x2,
                        self.point_class,
                        self.add_point_button,
                    ]
                ),
                self.status,
            ]
        )
        return widgets.VBox(
            [controls, widgets.HBox([self.network_image, self.image]), self.export_code]
        )

    def settings(self) -> dict:
        """The current choices, read from the widgets (``hidden`` parsed into a list)."""
        values = {name: control.value for name, control in self.settings_controls.items()}
        values["hidden"] = parse_hidden(values["hidden"])
        features = [name for name, box in self.feature_boxes.items() if box.value]
        return {"dataset": values.pop("dataset"), "features": features, **values}

    def set_controls(self, **values: object) -> None:
        """Set controls by setting name (as in :meth:`settings`; ``hidden`` may be a list of sizes)."""
        controls = self.settings_controls
        unknown = set(values) - set(controls) - {"features"}
        if unknown:
            raise ValueError(
                f"configure: unknown setting(s) {sorted(unknown)}; "
                f"use {sorted([*controls, 'features'])}"
            )
        for name, value in values.items():
            if name == "features":
                for feature, box in self.feature_boxes.items():
                    box.value = feature in value
            elif name == "hidden" and not isinstance(value, str):
                self.hidden.value = ", ".join(map(str, value))
            else:
                controls[name].value = value
