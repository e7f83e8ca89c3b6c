"""load_cats_dogs and load_photo_sample: named folders, else the photos that ship with the course."""

import os
import random

import pytest
import torch
from PIL import Image

from course_utils import cats_dogs as cd
from course_utils.photos import ENV_VAR, SAMPLE


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(ENV_VAR, raising=False)


def make_folder(root, n_cat=5, n_dog=10, seed=0):
    """Small random images in cat/ and dog/ (the loader's mechanics, not what is in the photos)."""
    rng = random.Random(seed)
    for kind, n in (("cat", n_cat), ("dog", n_dog)):
        (root / kind).mkdir(parents=True)
        for i in range(n):
            Image.frombytes("RGB", (24, 24), rng.randbytes(24 * 24 * 3)).save(
                root / kind / f"{i}.png"
            )
    return root


def test_a_named_folder_wins_and_is_split_by_class(tmp_path):
    root = make_folder(tmp_path / "pets")
    data = cd.load_cats_dogs(root, image_size=16, verbose=False)
    assert (
        data.photo_set.startswith("other-")
        and data.class_names == ["cat", "dog"]
        and str(root) in data.source
    )
    assert torch.bincount(data.val.labels).tolist() == [1, 2]
    assert torch.bincount(data.test.labels).tolist() == [1, 2]
    assert torch.bincount(data.train.labels).tolist() == [3, 6]
    assert set(data.train.files).isdisjoint(data.val.files) and set(data.train.files).isdisjoint(
        data.test.files
    )
    assert set(data.val.files).isdisjoint(data.test.files)
    assert data.train.images.shape[1:] == (3, 16, 16)
    # another image size (its own cache) puts the same photos in the same parts
    big = cd.load_cats_dogs(root, image_size=24, verbose=False)
    assert (big.train.files, big.val.files, big.test.files) == (
        data.train.files,
        data.val.files,
        data.test.files,
    )
    assert big.test.images.shape[1:] == (3, 24, 24)


def test_the_environment_variable_names_the_folder(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "pets")
    monkeypatch.setenv(ENV_VAR, str(root))
    assert str(root) in cd.load_cats_dogs(image_size=16, verbose=False).source
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "typo"))
    with pytest.raises(FileNotFoundError, match=r"\$CATS_DOGS_DIR.*unset CATS_DOGS_DIR"):
        cd.load_cats_dogs(image_size=16, verbose=False)


def test_without_named_folders_the_shipped_photos_are_read_and_nothing_is_downloaded(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load_cats_dogs tried to use the network")

    monkeypatch.setattr("socket.socket.connect", no_network)
    data = cd.load_cats_dogs(image_size=16, verbose=False)
    assert (
        data.photo_set == "oxford-pets-sample"
        and str(SAMPLE) in data.source
        and "CC BY-SA" in data.source
    )
    parts = (data.train, data.val, data.test)
    assert [len(p) for p in parts] == [178, 59, 59]
    assert (
        sum(torch.bincount(p.labels).tolist()[0] for p in parts) == 96
    )  # the sample's 96 cats, 200 dogs


def test_bad_fractions_are_explained():
    with pytest.raises(ValueError, match="val_fraction"):
        cd.load_cats_dogs(val_fraction=1.5)
    with pytest.raises(ValueError, match="test_fraction"):
        cd.load_cats_dogs(val_fraction=0.5, test_fraction=0.5)


def test_several_folders_in_the_variable_are_used_together_each_keeping_its_share(
    tmp_path, monkeypatch
):
    first, second = (
        make_folder(tmp_path / "studio", 5, 10),
        make_folder(tmp_path / "shelter", 10, 10, seed=1),
    )
    monkeypatch.setenv(ENV_VAR, f"{first}{os.pathsep}{second}")
    data = cd.load_cats_dogs(image_size=16, verbose=False)
    assert (
        str(first) in data.source and str(second) in data.source and data.photo_set.count("+") == 1
    )
    files = data.train.files + data.val.files + data.test.files
    assert len(files) == len(set(files)) == 35
    for part in (
        data.val,
        data.test,
    ):  # 20 % of each folder's cats and dogs: 1 + 2 from studio, 2 + 2 from shelter
        assert sum(str(f).startswith(str(first)) for f in part.files) == 3
        assert torch.bincount(part.labels).tolist() == [3, 4]


def test_folders_with_different_classes_are_refused(tmp_path):
    first = make_folder(tmp_path / "a")
    other = tmp_path / "b"
    for kind in ("cat", "horse"):
        (other / kind).mkdir(parents=True)
        Image.new("RGB", (24, 24)).save(other / kind / "0.png")
    with pytest.raises(
        ValueError, match=r"has the classes \['cat', 'horse'\].*same class sub-folders"
    ):
        cd.load_cats_dogs([first, other], image_size=16, verbose=False)


def test_a_large_source_is_cut_to_a_stratified_subset_and_says_so(tmp_path):
    root = make_folder(tmp_path / "many", 20, 40)
    data = cd.load_cats_dogs(root, image_size=16, max_images=30, verbose=False)
    labels = torch.cat([data.train.labels, data.val.labels, data.test.labels])
    assert torch.bincount(labels).tolist() == [10, 20]
    assert "random subset of 30 of the 60 photos" in data.source
    assert (
        len(list((tmp_path / "data" / "image_cache").glob("many-*-16px-*.pt"))) == 1
    )  # only the subset decoded
    assert (
        len(torch.load(next((tmp_path / "data" / "image_cache").glob("many-*-16px-*.pt")))["files"])
        == 30
    )
    again = cd.load_cats_dogs(root, image_size=24, max_images=30, verbose=False)
    assert again.test.files == data.test.files  # the same subset and split at another size
    assert len(cd.load_cats_dogs(root, image_size=16, max_images=None, verbose=False).train) == 36
    with pytest.raises(ValueError, match="max_images must be an int of at least 10"):
        cd.load_cats_dogs(root, image_size=16, max_images=3)


def test_a_photo_sample_decodes_only_the_sampled_files_and_is_the_same_at_every_size(tmp_path):
    root = make_folder(tmp_path / "shelter", 10, 30)
    sample = cd.load_photo_sample(root, 8, image_size=16)
    assert len(sample) == 8 and torch.bincount(sample.labels).tolist() == [2, 6]
    assert sample.images.shape[1:] == (3, 16, 16)
    assert cd.load_photo_sample(root, 8, image_size=24).files == sample.files
    assert len(cd.load_photo_sample(root, 100, image_size=16)) == 40
    with pytest.raises(ValueError, match="n must be an int of at least 2"):
        cd.load_photo_sample(root, 1)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        cd.load_photo_sample(tmp_path / "missing", 8)
