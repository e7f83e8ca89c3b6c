"""Saving, safe loading, refusing what does not fit, and classifying image files."""

import pickle

import pytest
import torch
from PIL import Image
from torch import nn

from course_utils import checkpoint as ck

META = dict(class_names=["cat", "dog"], image_size=16, mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25])


class TinyNet(nn.Module):
    def __init__(self, hidden: int = 4):
        super().__init__()
        self.conv = nn.Conv2d(3, hidden, 3)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(hidden, 2))

    def forward(self, x):
        return self.head(self.conv(x))


class OtherNet(TinyNet):
    pass


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))


def test_default_path_is_in_the_ignored_data_folder(tmp_path):
    assert ck.default_checkpoint_path() == tmp_path / "data" / "models" / "cats_dogs_cnn.pt"


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    torch.manual_seed(0)
    model = TinyNet()
    path = ck.save_checkpoint(model, **META)
    assert path == ck.default_checkpoint_path() and path.is_file()
    other = TinyNet()
    info = ck.load_checkpoint(other, path)
    assert info == ck.CheckpointInfo("TinyNet", ["cat", "dog"], 16, [0.5] * 3, [0.25] * 3)
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)
    assert not list(path.parent.glob("*.tmp"))


def test_never_overwrites_silently(tmp_path):
    path = tmp_path / "model.pt"
    ck.save_checkpoint(TinyNet(), path, **META)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        ck.save_checkpoint(TinyNet(), path, **META)
    assert path.read_bytes() == before
    ck.save_checkpoint(TinyNet(), path, **META, overwrite=True)


def test_refuses_another_architecture(tmp_path):
    path = ck.save_checkpoint(TinyNet(), tmp_path / "m.pt", **META)
    with pytest.raises(ValueError, match="different shapes.*Build the model exactly"):
        ck.load_checkpoint(TinyNet(hidden=8), path)
    with pytest.raises(ValueError, match="saved from a TinyNet, loading into a OtherNet"):
        ck.load_checkpoint(OtherNet(), path)
    with pytest.raises(ValueError, match="missing"):
        ck.load_checkpoint(nn.Sequential(nn.Linear(2, 2)), path)


class Evil:
    def __reduce__(self):
        return (print, ("this code must never run",))


def test_refuses_files_that_are_not_checkpoints(tmp_path, capsys):
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    tensor = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), tensor)
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ValueError, match="not a checkpoint this course can load safely"):
        ck.load_checkpoint(TinyNet(), text)
    with pytest.raises(ValueError, match="not a course checkpoint"):
        ck.load_checkpoint(TinyNet(), tensor)
    with pytest.raises(ValueError, match="can load safely"):
        ck.load_checkpoint(TinyNet(), evil)
    assert "must never run" not in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="save one first"):
        ck.load_checkpoint(TinyNet(), tmp_path / "missing.pt")


def test_classify_images_reads_files_like_the_training_data(tmp_path):
    model = TinyNet()
    info = ck.CheckpointInfo("TinyNet", **META)
    Image.new("RGB", (30, 20), (255, 0, 0)).save(tmp_path / "red.jpg")
    Image.new("L", (20, 20), 50).save(tmp_path / "gray.png")
    results = ck.classify_images(model, [tmp_path / "red.jpg", str(tmp_path / "gray.png")], info)
    assert [r[0].name for r in results] == ["red.jpg", "gray.png"]
    assert all(label in ("cat", "dog") and 0.5 <= p <= 1 for _, label, p in results)
    assert len(ck.classify_images(model, tmp_path / "red.jpg", info)) == 1
    with pytest.raises(FileNotFoundError, match="check the path"):
        ck.classify_images(model, [tmp_path / "nope.jpg"], info)
