"""The photos that ship with the course, the known photo sets' manifests, and which set a folder holds."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from course_utils import photos
from course_utils.images import find_class_folders
from course_utils.petimages import photo_status

# The maintainers' shared photo folders: beside the repository, or where SHARED_DATASETS says (CI, in a clone).
SHARED = Path(
    os.environ.get("SHARED_DATASETS") or Path(__file__).resolve().parents[3] / "shared" / "datasets"
)


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(photos.ENV_VAR, raising=False)


def test_the_shipped_sample_is_exactly_its_manifest_with_its_attribution_and_licence():
    manifest = photos.read_manifest(photos.PHOTO_SETS / "oxford-pets-sample.sha256")
    files = {
        p.relative_to(photos.SAMPLE).as_posix(): photos.file_sha256(p)
        for p, _ in find_class_folders(photos.SAMPLE)[1]
    }
    assert files == manifest and len(files) == 296
    assert sum(name.startswith("cat/") for name in files) == 96
    readme = (photos.SAMPLE / "README.md").read_text()
    for words in (
        "Parkhi, A. Vedaldi, A. Zisserman",
        "CC BY-SA 4.0",
        "creativecommons.org/licenses/by-sa/4.0",
        "Changes: resized",
    ):
        assert words in readme


def test_the_kaggle_manifest_names_its_photos_but_no_photo_ships():
    manifest = photos.read_manifest(photos.PHOTO_SETS / "kaggle-cats-dogs.sha256")
    assert len(manifest) == 1602 and sum(name.startswith("cat/") for name in manifest) == 708
    assert all(len(digest) == 64 for digest in manifest.values())
    shipped = {p.name for p in photos.PHOTO_SETS.rglob("*.jpg")}
    assert not shipped & {Path(name).name for name in manifest}


def test_without_named_folders_the_shipped_sample_is_read(monkeypatch):
    assert photos.photo_folders() == [photos.SAMPLE]
    monkeypatch.setenv(photos.ENV_VAR, "")  # set but empty: the same
    assert photos.photo_set().name == "oxford-pets-sample"
    with pytest.raises(ValueError, match="name at least one photo folder"):
        photos.photo_folders([])


def test_named_folders_come_in_order_and_each_is_identified(tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    (mine / "cat").mkdir(parents=True)
    (mine / "dog").mkdir()
    (mine / "cat" / "a.jpg").write_bytes(b"a")
    (mine / "dog" / "b.jpg").write_bytes(b"b")
    (mine / "README.md").write_text("not in a class folder: not a photo")
    monkeypatch.setenv(photos.ENV_VAR, f"{photos.SAMPLE}{os.pathsep}{mine}")
    found = photos.photo_set()
    assert found.parts[0] == "oxford-pets-sample" and found.parts[1].startswith("other-")
    assert (
        found.sources[1].photos == 2 and found.sources[1].note == "" and not found.sources[1].known
    )
    assert found.name == "+".join(found.parts)
    assert "not one of the course's known photo sets" in found.describe()
    (mine / "dog" / "b.jpg").write_bytes(b"c")  # other contents, another name
    assert photos.identify_folder(mine).name != found.parts[1]


def test_a_changed_copy_of_a_known_set_says_what_changed(tmp_path):
    copy = tmp_path / "sample"
    shutil.copytree(photos.SAMPLE, copy)
    assert (
        photos.identify_folder(copy).name == "oxford-pets-sample"
    )  # the README beside the photos does not count
    (copy / "cat" / "Abyssinian_12.jpg").unlink()
    (copy / "dog" / "beagle_extra.jpg").write_bytes(b"x")
    shutil.copy(copy / "dog" / "beagle_extra.jpg", copy / "cat" / "Abyssinian_128.jpg")
    found = photos.identify_folder(copy)
    assert found.name.startswith("other-") and found.photos == 296
    assert found.note == (
        "close to oxford-pets-sample, but with 1 of its 296 photos missing (cat/Abyssinian_12.jpg); "
        "1 changed (cat/Abyssinian_128.jpg); 1 photo not in it (dog/beagle_extra.jpg)"
    )


@pytest.mark.skipif(
    not (SHARED / "kaggle-cats-dogs").is_dir(),
    reason="the maintainers' shared photos are not beside "
    "the repository (CI has them): nothing to compare the manifests with",
)
def test_the_shared_folders_are_the_known_sets():
    found = photos.photo_set([SHARED / "oxford-pets-sample", SHARED / "kaggle-cats-dogs"])
    assert found.name == "oxford-pets-sample+kaggle-cats-dogs"


def test_make_lab_says_which_photos_and_what_the_download_costs():
    text = photo_status()
    assert "photo set oxford-pets-sample" in text and f"{photos.ENV_VAR}=/path/to/a" in text
    assert "DOWNLOAD = True" in text and "825 MB to download" in text


def test_the_wheel_ships_the_sample_its_readme_and_the_manifests(tmp_path):
    """What `pip install` and Colab's `%pip install "course_utils @ git+..."` get: a wheel built from the sources."""
    pytest.importorskip(
        "setuptools", reason="building the wheel needs setuptools (installed with the teach extra)"
    )
    root = Path(__file__).resolve().parents[2]
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source)
    for package in ("course_utils", "course_tools"):
        shutil.copytree(
            root / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; "
            "print(build_meta.build_wheel(sys.argv[1]))",
            str(tmp_path),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    names = zipfile.ZipFile(tmp_path / built.stdout.split()[-1]).namelist()
    shipped = {
        n.removeprefix("course_utils/photo_sets/")
        for n in names
        if n.startswith("course_utils/photo_sets/")
    }
    expected = {
        f"oxford-pets-sample/{name}"
        for name in photos.read_manifest(photos.PHOTO_SETS / "oxford-pets-sample.sha256")
    }
    assert shipped == expected | {
        "README.md",
        "oxford-pets-sample/README.md",
        "oxford-pets-sample.sha256",
        "kaggle-cats-dogs.sha256",
    }
