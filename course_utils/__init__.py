"""Helpers for the open PyTorch course.

Small modules, each named for what it holds:

- ``device``: pick CUDA, MPS or CPU (``get_device``, ``describe_device``);
- ``reproducibility``: ``seed_everything``;
- ``plotting``: the course style and colours;
- ``paths``: where data and checkpoints go;
- ``notebook_tools``: maintainer tools (clean, refresh checked outputs, badges).
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
