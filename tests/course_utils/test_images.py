"""Robust image-folder loading and the uint8 tensor cache (course_utils.images)."""

import hashlib
import warnings
from pathlib import Path

import pytest
import torch
from PIL import Image

from course_utils import images as im

SIZE = 16


def _photo(mode: str, color) -> Image.Image:
    return Image.new(mode, (40, 30), color)


def make_messy_folder(root: Path) -> tuple[int, int]:
    """A cat/dog folder with every kind of file a real download contains. Returns (good, bad) counts."""
    (root / "cat").mkdir(parents=True)
    (root / "dog").mkdir()
    _photo("RGB", (200, 10, 10)).save(root / "cat" / "rgb.jpg")
    _photo("L", 128).save(root / "cat" / "gray.jpg")
    _photo("RGBA", (0, 0, 255, 0)).save(
        root / "cat" / "transparent.png"
    )  # fully transparent: white
    _photo("CMYK", (0, 255, 255, 0)).save(root / "dog" / "cmyk.jpg")
    palette = _photo("P", 3)
    palette.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    palette.save(root / "dog" / "palette.gif")
    _photo("LA", (50, 255)).save(root / "dog" / "gray_alpha.png")
    # bad files
    good_bytes = (root / "cat" / "rgb.jpg").read_bytes()
    (root / "cat" / "truncated.jpg").write_bytes(good_bytes[: len(good_bytes) // 2])
    (root / "cat" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (root / "dog" / "empty.jpg").write_bytes(b"")
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "dog" / "Thumbs.db").write_bytes(b"\x00\x01binary junk")
    (root / ".hidden").mkdir()  # ignored: not a class
    return 6, 5


def folder_state(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)} {stat.st_mtime_ns} {stat.st_mode}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def messy(tmp_path):
    root = tmp_path / "photos"
    good, bad = make_messy_folder(root)
    return root, good, bad


def test_bad_files_are_skipped_with_one_warning_and_the_folder_is_unchanged(messy, tmp_path):
    root, good, bad = messy
    before = folder_state(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = im.cached_image_folder(root, SIZE, cache_dir=tmp_path / "cache", progress=False)
    assert [str(w.message) for w in caught if "Skipped" in str(w.message)] and len(caught) == 1, [
        str(w.message) for w in caught
    ]
    assert f"Skipped {bad} of {good + bad} files" in str(caught[0].message)
    assert data.images.shape == (good, 3, SIZE, SIZE) and data.images.dtype == torch.uint8
    assert data.class_names == ["cat", "dog"]
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert len(data.skipped) == bad and not data.from_cache
    assert folder_state(root) == before
    assert not any(p.suffix in (".pt", ".tmp") for p in root.rglob("*"))


def test_every_mode_becomes_rgb(messy):
    root, _, _ = messy
    expectations = {
        "cat/rgb.jpg": (200, 10, 10),
        "cat/gray.jpg": (128, 128, 128),
        "cat/transparent.png": (255, 255, 255),
        "dog/palette.gif": (0, 0, 255),
    }
    for name, rgb in expectations.items():
        x = im.load_image(root / name, SIZE)
        assert x.shape == (3, SIZE, SIZE) and x.dtype == torch.uint8
        centre = x[:, SIZE // 2, SIZE // 2].tolist()
        assert all(abs(a - b) <= 6 for a, b in zip(centre, rgb)), (name, centre)
    cmyk = im.load_image(root / "dog" / "cmyk.jpg", SIZE)[:, SIZE // 2, SIZE // 2].tolist()
    assert cmyk[0] > 200 and cmyk[1] < 60 and cmyk[2] < 60, cmyk  # cyan/magenta ink -> red


def test_unreadable_file_gives_a_clear_error(messy):
    root, _, _ = messy
    with pytest.raises(ValueError, match="empty.jpg is not a readable image"):
        im.load_image(root / "dog" / "empty.jpg", SIZE)
    with pytest.raises(ValueError, match="at least 8"):
        im.load_image(root / "cat" / "rgb.jpg", 2)


def test_cache_is_reused_and_rebuilt_when_folder_or_size_changes(messy, tmp_path):
    root, good, _ = messy
    cache = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = im.cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
        second = im.cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
        assert second.from_cache and torch.equal(first.images, second.images)
        assert second.files == first.files and len(second.skipped) == len(first.skipped)
        _photo("RGB", (0, 200, 0)).save(root / "dog" / "new.png")
        third = im.cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
        assert not third.from_cache and len(third.images) == good + 1
        assert len(list(cache.glob(f"*-{SIZE}px-*.pt"))) == 1  # the stale cache was removed
        other = im.cached_image_folder(root, SIZE * 2, cache_dir=cache, progress=False)
        assert not other.from_cache and other.images.shape[-1] == SIZE * 2


def test_interrupted_write_leaves_no_broken_cache(messy, tmp_path, monkeypatch):
    root, good, _ = messy
    cache = tmp_path / "cache"
    real_save = torch.save

    def save_half_then_die(obj, f):
        Path(f).write_bytes(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(im.torch, "save", save_half_then_die)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KeyboardInterrupt):
            im.cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
        assert list(cache.iterdir()) == []
        monkeypatch.setattr(im.torch, "save", real_save)
        data = im.cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
    assert len(data.images) == good and not data.from_cache


def test_a_damaged_cache_is_rebuilt(messy, tmp_path):
    root, good, _ = messy
    cache = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im.cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
    [target] = cache.glob("*.pt")
    target.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="Rebuilding"):
        data = im.cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
    assert len(data.images) == good and not data.from_cache


def test_folder_layout_errors_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        im.find_class_folders(tmp_path / "missing")
    (tmp_path / "only_cats").mkdir()
    with pytest.raises(ValueError, match="at least two class sub-folders"):
        im.find_class_folders(tmp_path)


def test_tensor_dataset_applies_transform_and_validates():
    images = torch.arange(2 * 3 * 4 * 4, dtype=torch.uint8).view(2, 3, 4, 4)
    ds = im.TensorImageDataset(images, torch.tensor([0, 1]))
    x, y = ds.with_transform(lambda t: t.float() / 255)[1]
    assert x.dtype == torch.float32 and y == 1 and len(ds) == 2
    with pytest.raises(ValueError, match="uint8"):
        im.TensorImageDataset(images.float(), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="labels"):
        im.TensorImageDataset(images, torch.tensor([0, 1, 1]))


def test_show_images_draws_a_grid():
    fig = im.show_images(
        torch.zeros(3, 3, 8, 8, dtype=torch.uint8), ["a", "b", "c"], ncols=2, title="t"
    )
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="no images"):
        im.show_images([])
