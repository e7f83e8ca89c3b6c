"""load_cats_dogs: a named folder, then Oxford-IIIT Pet, then the synthetic fallback."""

import os
import random
import socket
import urllib.error
import warnings

import pytest
import torch
import torchvision.datasets
from PIL import Image

from course_utils import cats_dogs as cd


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(cd.ENV_VAR, raising=False)


def make_folder(root, n_cat=5, n_dog=10):
    for kind, n in (("cat", n_cat), ("dog", n_dog)):
        (root / kind).mkdir(parents=True)
        for i in range(n):
            cd.draw_face(kind, 32, random.Random(i)).save(root / kind / f"{i}.png")
    return root


def test_a_named_folder_wins_and_is_split_by_class(tmp_path):
    root = make_folder(tmp_path / "pets")
    data = cd.load_cats_dogs(root, image_size=16, verbose=False)
    assert data.kind == "folder" and data.class_names == ["cat", "dog"] and str(root) in data.source
    assert torch.bincount(data.val.labels).tolist() == [1, 2]
    assert torch.bincount(data.test.labels).tolist() == [1, 2]
    assert torch.bincount(data.train.labels).tolist() == [3, 6]
    assert set(data.train.files).isdisjoint(data.val.files) and set(data.train.files).isdisjoint(data.test.files)
    assert set(data.val.files).isdisjoint(data.test.files)
    assert data.train.images.shape[1:] == (3, 16, 16)
    # another image size (its own cache) puts the same photos in the same parts
    big = cd.load_cats_dogs(root, image_size=24, verbose=False)
    assert (big.train.files, big.val.files, big.test.files) == (data.train.files, data.val.files, data.test.files)
    assert big.test.images.shape[1:] == (3, 24, 24)


def test_the_environment_variable_names_the_folder(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "pets")
    monkeypatch.setenv(cd.ENV_VAR, str(root))
    assert cd.load_cats_dogs(image_size=16, verbose=False).kind == "folder"
    monkeypatch.setenv(cd.ENV_VAR, str(tmp_path / "typo"))
    with pytest.raises(FileNotFoundError, match=r"\$CATS_DOGS_DIR.*unset CATS_DOGS_DIR"):
        cd.load_cats_dogs(image_size=16, verbose=False)


def test_offline_falls_back_to_synthetic_with_a_clear_message(monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(torchvision.datasets, "OxfordIIITPet", offline)
    monkeypatch.setattr(cd, "SYNTHETIC_COUNTS", (10, 20))  # fewer drawings: a faster test
    before = socket.getdefaulttimeout()
    with pytest.warns(cd.SyntheticDataWarning):
        data = cd.load_cats_dogs(image_size=16)
    out = capsys.readouterr().out
    assert "Could not download the Oxford-IIIT Pet data set" in out and "Traceback" not in out
    assert "SYNTHETIC" in out and data.kind == "synthetic" and "NOT photos" in data.source
    assert socket.getdefaulttimeout() == before
    assert len(data.train) + len(data.val) + len(data.test) == sum(cd.SYNTHETIC_COUNTS)
    assert torch.bincount(data.val.labels).tolist() == [2, 4]
    # a second call reuses the drawn folder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = cd.load_cats_dogs(image_size=16, download=False, verbose=False)
    assert torch.equal(again.train.images, data.train.images)


def test_oxford_pets_annotations_give_cat_and_dog_labels(monkeypatch, tmp_path):
    class FakeOxford:
        def __init__(self, root, split, target_types, download):
            assert split == "trainval" and target_types == "binary-category" and download
            base = root / "oxford-iiit-pet"
            (base / "annotations").mkdir(parents=True)
            (base / "images").mkdir()
            lines = ["#Image CLASS-ID SPECIES BREED ID"]
            for i, (name, species) in enumerate([("Abyssinian_1", 1), ("beagle_1", 2), ("beagle_2", 2)]):
                cd.draw_face("cat" if species == 1 else "dog", 32, random.Random(i)).convert("RGB").save(
                    base / "images" / f"{name}.jpg")
                lines.append(f"{name} {i + 1} {species} 1")
            (base / "annotations" / "trainval.txt").write_text("\n".join(lines))

    monkeypatch.setattr(torchvision.datasets, "OxfordIIITPet", FakeOxford)
    data = cd.load_cats_dogs(image_size=16, val_fraction=0.5, test_fraction=0.0, verbose=False)
    assert data.kind == "oxford-pets" and "Oxford-IIIT Pet" in data.source
    labels = sorted(data.train.labels.tolist() + data.val.labels.tolist())
    assert labels == [0, 1, 1]


def test_bad_fractions_are_explained():
    with pytest.raises(ValueError, match="val_fraction"):
        cd.load_cats_dogs(val_fraction=1.5)
    with pytest.raises(ValueError, match="test_fraction"):
        cd.load_cats_dogs(val_fraction=0.5, test_fraction=0.5)


def test_draw_face_varies_and_validates():
    a, b = cd.draw_face("cat", 32, random.Random(0)), cd.draw_face("dog", 32, random.Random(0))
    assert a.size == b.size == (32, 32) and isinstance(a, Image.Image)
    assert a.tobytes() != b.tobytes()
    with pytest.raises(ValueError, match="'cat' or 'dog'"):
        cd.draw_face("fish", 32, random.Random(0))


def test_several_folders_in_the_variable_are_used_together_each_keeping_its_share(tmp_path, monkeypatch):
    first, second = make_folder(tmp_path / "studio", 5, 10), make_folder(tmp_path / "shelter", 10, 10)
    monkeypatch.setenv(cd.ENV_VAR, f"{first}{os.pathsep}{second}")
    assert cd.photo_folders() == [first, second]
    data = cd.load_cats_dogs(image_size=16, verbose=False)
    assert data.kind == "folder" and str(first) in data.source and str(second) in data.source
    files = data.train.files + data.val.files + data.test.files
    assert len(files) == len(set(files)) == 35
    for part in (data.val, data.test):  # 20 % of each folder's cats and dogs: 1 + 2 from studio, 2 + 2 from shelter
        assert sum(str(f).startswith(str(first)) for f in part.files) == 3
        assert torch.bincount(part.labels).tolist() == [3, 4]


def test_folders_with_different_classes_are_refused(tmp_path):
    first = make_folder(tmp_path / "a")
    other = tmp_path / "b"
    for kind in ("cat", "horse"):
        (other / kind).mkdir(parents=True)
        cd.draw_face("cat", 32, random.Random(0)).save(other / kind / "0.png")
    with pytest.raises(ValueError, match=r"has the classes \['cat', 'horse'\].*same class sub-folders"):
        cd.load_cats_dogs([first, other], image_size=16, verbose=False)


def test_a_large_source_is_cut_to_a_stratified_subset_and_says_so(tmp_path):
    root = make_folder(tmp_path / "many", 20, 40)
    data = cd.load_cats_dogs(root, image_size=16, max_images=30, verbose=False)
    labels = torch.cat([data.train.labels, data.val.labels, data.test.labels])
    assert torch.bincount(labels).tolist() == [10, 20]
    assert "random subset of 30 of the 60 photos" in data.source
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
