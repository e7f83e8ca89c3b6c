"""Helpers for the open PyTorch course.

Small modules, each named for what it holds:

- ``device``: pick CUDA, MPS or CPU (``get_device``, ``describe_device``);
- ``reproducibility``: ``seed_everything``;
- ``plotting``: the course style and colours;
- ``paths``: where data and checkpoints go, and atomic writes;
- ``checks`` and ``exercises``: the exercise checks;
- ``timing``: honest timings (warm-up, CUDA synchronisation, median);
- ``spiral``, ``decision``, ``playground``: TensorFlow Playground's spiral, decision-boundary
  plots and the interactive playground (notebook 04);
- ``images``, ``cats_dogs``, ``training``, ``metrics``, ``checkpoint``: the image pipeline,
  the cats-vs-dogs data, the training loop, evaluation and saved models (notebook 05);

The teacher and maintainer tools live in the separate package ``course_tools``.
"""

from course_utils.device import DeviceNotAvailableError, available_devices, describe_device, get_device
from course_utils.paths import data_dir
from course_utils.plotting import CLASS_COLORS, COLORS, use_course_style
from course_utils.reproducibility import seed_everything

__all__ = [
    "CLASS_COLORS",
    "COLORS",
    "DeviceNotAvailableError",
    "available_devices",
    "data_dir",
    "describe_device",
    "get_device",
    "seed_everything",
    "use_course_style",
]
__version__ = "0.1.0"
