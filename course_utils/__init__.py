"""Helpers for the open PyTorch course.

Small modules, each named for what it holds:

- ``device``: pick CUDA, MPS or CPU (``get_device``, ``describe_device``);
- ``ai_history``: notebook 00's picture of AI, machine learning and deep learning, with dates;
- ``reproducibility``: ``seed_everything``;
- ``plotting``: the course style and colours;
- ``paths``: where data and checkpoints go, and atomic writes;
- ``checks`` and ``exercises``: the exercise checks;
- ``timing``: honest timings (warm-up, CUDA synchronisation, median);
- ``progress``: progress bars that leave nothing behind in a saved notebook;
- ``decision``: decision-boundary plots (notebooks 03 and 04) and loss curves (notebook 04);
- ``spiral``, ``mlp``: TensorFlow Playground's spiral and its input features, and small networks for
  2-D points with their training loop (notebook 04);
- ``splits``: train, validation and test parts, the same on every run: cut at percentages after
  one shuffle, as TensorFlow Playground does (notebook 04 and the playground), or stratified, every
  class keeping its share (notebooks 05 to 07);
- ``playground``: the interactive playground, a package (its data sets, training rules, network
  picture, "Export as PyTorch" and widgets) (notebook 04);
- ``images``, ``photos``, ``petimages``, ``cats_dogs``, ``training``, ``metrics``, ``checkpoint``,
  ``pretrained``: the image pipeline, which photos there are (the sample shipped in ``photo_sets/``,
  the known photo sets), Microsoft's optional download, the cats-vs-dogs data, the training loop,
  evaluation, saved models and the offline EfficientNet-Lite0 backbone (notebooks 05 and 06);
- ``digits``: real handwritten digits with no download, image grids and 2-D latent maps
  (notebook 07);
- ``sequences``: real text with no download (the Python Language Reference that ships with
  Python), the memory task's batches, next-character batches, attention heat maps (notebook 08);
- ``transformers``: the attention maps of several heads on one text (notebook 09).

The teacher and maintainer tools live in the separate package ``course_tools`` (``course --help``).

The names below are loaded on first use, so ``import course_utils.paths`` alone does not
import PyTorch:

    >>> from course_utils import get_device
    >>> get_device("cpu")
    device(type='cpu')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # "X as X": re-exported (``__all__`` is built from ``_WHERE`` below)
    from course_utils.device import DeviceNotAvailableError as DeviceNotAvailableError
    from course_utils.device import available_devices as available_devices
    from course_utils.device import describe_device as describe_device
    from course_utils.device import get_device as get_device
    from course_utils.paths import data_dir as data_dir
    from course_utils.plotting import CLASS_COLORS as CLASS_COLORS
    from course_utils.plotting import COLORS as COLORS
    from course_utils.plotting import use_course_style as use_course_style
    from course_utils.reproducibility import seed_everything as seed_everything

_WHERE = {
    "CLASS_COLORS": "plotting",
    "COLORS": "plotting",
    "DeviceNotAvailableError": "device",
    "available_devices": "device",
    "data_dir": "paths",
    "describe_device": "device",
    "get_device": "device",
    "seed_everything": "reproducibility",
    "use_course_style": "plotting",
}
__all__ = sorted(_WHERE)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"course_utils.{_WHERE[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
