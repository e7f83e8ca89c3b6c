"""Choosing where tensors live: CUDA, then Apple MPS, then the CPU.

The choice can be overridden with the ``COURSE_DEVICE`` environment variable
(``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``). Nothing here moves a model
or a tensor: the notebooks call ``.to(device)`` themselves, where students see it.
"""

from __future__ import annotations

import os
import re

import torch

__all__ = [
    "ENV_VAR",
    "DeviceNotAvailableError",
    "available_devices",
    "describe_device",
    "get_device",
    "model_device",
]

ENV_VAR = "COURSE_DEVICE"
_NAME = re.compile(r"^(auto|cpu|mps|cuda)(?::(\d+))?$")


class DeviceNotAvailableError(RuntimeError):
    """The requested device exists as a name but not on this machine."""


def available_devices() -> list[str]:
    """Names of the devices PyTorch can use here, best first.

    Example:
        >>> available_devices()[-1]
        'cpu'
    """
    names = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        names.append("mps")
    return names + ["cpu"]


def get_device(name: str | None = None) -> torch.device:
    """Return the device to train on.

    ``name`` wins over the ``COURSE_DEVICE`` environment variable, which wins over
    ``auto`` (CUDA, then MPS, then CPU).

    Example:
        >>> get_device("cpu")
        device(type='cpu')
    """
    source = "argument" if name is not None else f"${ENV_VAR}"
    requested = name if name is not None else os.environ.get(ENV_VAR, "auto")
    if not isinstance(requested, str):
        raise TypeError(f"device name must be a string such as 'cpu' or 'cuda', got {requested!r}")
    match = _NAME.match(requested.strip().lower())
    if match is None:
        raise ValueError(
            f"Unknown device {requested!r} (from the {source}). "
            "Use one of: auto, cpu, cuda, cuda:N (N = GPU number), mps."
        )
    kind, index = match.group(1), match.group(2)
    if kind == "auto":
        if index is not None:
            raise ValueError(f"'auto' takes no GPU number, got {requested!r} (from the {source}).")
        return torch.device(available_devices()[0].split(":")[0])
    if kind == "cpu":
        return torch.device("cpu")
    wanted = kind if index is None else f"{kind}:{index}"
    here = available_devices()
    present = any(d == wanted or (index is None and d.startswith(kind)) for d in here)
    if not present:
        raise DeviceNotAvailableError(
            f"You asked for device {wanted!r} (from the {source}), but this machine only has: "
            f"{', '.join(here)}. " + _how_to_fix(kind)
        )
    return torch.device(wanted)


def _how_to_fix(kind: str) -> str:
    unset = f"or leave {ENV_VAR} unset (or set it to 'cpu') to run on what is here."
    if kind == "cuda":
        return (
            "On Colab choose Runtime > Change runtime type > GPU; on your own machine install "
            f"a CUDA build of PyTorch (this one is built for CUDA {torch.version.cuda}); {unset}"
        )
    return f"MPS needs an Apple-silicon Mac with macOS 12.3 or newer; {unset}"


def model_device(model: torch.nn.Module) -> torch.device:
    """Where a model lives: its first parameter's device (the CPU for a model without any).

    Helpers use it to bring data to the model, never the model to the data.

    Example:
        >>> model_device(torch.nn.Linear(2, 1))
        device(type='cpu')
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def describe_device(device: torch.device | str) -> str:
    """One line on the chosen device, for the first cell of a notebook.

    Example:
        >>> describe_device(torch.device("cpu")).startswith("Using cpu")
        True
    """
    device = torch.device(device)
    versions = f"torch {torch.__version__}"
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        return (
            f"Using cuda:{index}: {props.name}, {props.total_memory / 2**30:.0f} GiB, "
            f"{versions}, CUDA {torch.version.cuda}"
        )
    if device.type == "mps":
        return f"Using mps: Apple-silicon GPU, {versions}"
    return (
        f"Using cpu: {torch.get_num_threads()} threads, {versions} (no GPU needed for this course)"
    )
