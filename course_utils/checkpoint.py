"""Saving a trained classifier, loading it back safely, and classifying new photos.

A checkpoint is a plain dict (tensors, strings, numbers) saved with ``torch.save``: the
weights plus what is needed to use them (class names, input size, normalisation). It is
loaded with ``torch.load(..., weights_only=True)``, which refuses to run code hidden in a
file. Default place: ``data_dir()/models/<name>.pt`` (``data/`` is ignored by git).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from course_utils.device import model_device
from course_utils.images import load_image, write_atomically
from course_utils.paths import data_dir

__all__ = [
    "CheckpointInfo",
    "classify_images",
    "default_checkpoint_path",
    "load_checkpoint",
    "save_checkpoint",
]

FORMAT = "course_utils.checkpoint/1"


@dataclass
class CheckpointInfo:
    """What a checkpoint says about its model's input and output."""

    architecture: str
    class_names: list[str]
    image_size: int
    mean: list[float]
    std: list[float]


def default_checkpoint_path(name: str = "cats_dogs_cnn") -> Path:
    """``data_dir()/models/<name>.pt``, the documented (git-ignored) place for saved models.

    Example:
        >>> default_checkpoint_path().name
        'cats_dogs_cnn.pt'
    """
    return data_dir() / "models" / f"{name}.pt"


def save_checkpoint(
    model: nn.Module,
    path: str | Path | None = None,
    *,
    class_names: Sequence[str],
    image_size: int,
    mean: Sequence[float],
    std: Sequence[float],
    overwrite: bool = False,
) -> Path:
    """Save ``model``'s weights with its class names, input size and normalisation.

    Refuses to replace an existing file unless ``overwrite=True``. The write is atomic.
    The model itself is not touched (weights are copied to the CPU for saving).

    Example:
        >>> save_checkpoint(model, class_names=["cat", "dog"], image_size=64,
        ...                 mean=[0.5] * 3, std=[0.25] * 3, overwrite=True)  # doctest: +SKIP
        PosixPath('.../data/models/cats_dogs_cnn.pt')
    """
    path = Path(path) if path is not None else default_checkpoint_path()
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} already exists. Pass overwrite=True to replace it, or choose another path."
        )
    payload = {
        "format": FORMAT,
        "architecture": type(model).__name__,
        "state_dict": {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
        "class_names": [str(c) for c in class_names],
        "image_size": int(image_size),
        "mean": [float(m) for m in mean],
        "std": [float(s) for s in std],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(payload, path)
    return path


def load_checkpoint(model: nn.Module, path: str | Path | None = None) -> CheckpointInfo:
    """Load weights saved by ``save_checkpoint`` into ``model`` (same architecture) safely.

    Uses ``torch.load(weights_only=True)``. Raises ``ValueError`` for a file that is not a
    course checkpoint, and for weights of another architecture (with what differs).

    Example:
        >>> info = load_checkpoint(OurCNN())  # doctest: +SKIP
        >>> info.class_names  # doctest: +SKIP
        ['cat', 'dog']
    """
    path = Path(path) if path is not None else default_checkpoint_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"No checkpoint at {path}: save one first with save_checkpoint(...)."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - torch.load raises many kinds of errors on foreign files
        raise ValueError(
            f"{path} is not a checkpoint this course can load safely ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else 'unreadable'})."
        ) from err
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(
            f"{path} is a PyTorch file but not a course checkpoint (no '{FORMAT}' format tag): "
            "save models with course_utils.checkpoint.save_checkpoint."
        )
    arch, state = payload["architecture"], payload["state_dict"]
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    reshaped = [
        f"{k}: saved {tuple(state[k].shape)}, model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if arch != type(model).__name__ or missing or unexpected or reshaped:
        details = "; ".join(
            filter(
                None,
                [
                    f"saved from a {arch}, loading into a {type(model).__name__}"
                    if arch != type(model).__name__
                    else "",
                    f"missing {missing[:3]}" if missing else "",
                    f"unexpected {unexpected[:3]}" if unexpected else "",
                    f"different shapes {reshaped[:3]}" if reshaped else "",
                ],
            )
        )
        raise ValueError(
            f"The checkpoint {path} does not fit this model ({details}). Build the model exactly "
            "as it was when saved (same class, same layer sizes, same image size)."
        )
    model.load_state_dict(state)
    return CheckpointInfo(
        arch,
        list(payload["class_names"]),
        int(payload["image_size"]),
        list(payload["mean"]),
        list(payload["std"]),
    )


@torch.no_grad()
def classify_images(
    model: nn.Module, paths: Sequence[str | Path] | str | Path, info: CheckpointInfo
) -> list[tuple[Path, str, float]]:
    """Classify image files: (path, predicted class name, its probability) for each.

    The files are read exactly as the training data were (upright, RGB, centre crop,
    ``info.image_size`` pixels, ``info.mean``/``info.std`` normalisation).

    Example:
        >>> classify_images(model, ["my_cat.jpg"], info)  # doctest: +SKIP
        [(PosixPath('my_cat.jpg'), 'cat', 0.93)]
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    device = model_device(model)
    mean = torch.tensor(info.mean).view(3, 1, 1)
    std = torch.tensor(info.std).view(3, 1, 1)
    batch = []
    for p in paths:
        if not Path(p).is_file():
            raise FileNotFoundError(
                f"No image file at {p}: check the path (absolute, or relative to the notebook)."
            )
        batch.append((load_image(p, info.image_size).float() / 255 - mean) / std)
    model.eval()
    probs = torch.softmax(model(torch.stack(batch).to(device)).float(), dim=1).cpu()
    return [
        (Path(p), info.class_names[int(k)], float(pr[k]))
        for p, pr, k in zip(paths, probs, probs.argmax(1))
    ]
