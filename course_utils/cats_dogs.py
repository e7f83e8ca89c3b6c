"""The cats-vs-dogs data of notebooks 05 and 06, from the best source available: ``load_cats_dogs``.

Sources, tried in order:

1. photo folders you name (the ``folder`` argument, else ``$CATS_DOGS_DIR``), each with one
   sub-folder per class, e.g. ``cat/`` and ``dog/`` (the Kaggle/Microsoft PetImages download, or
   your own photos). ``$CATS_DOGS_DIR`` holds one folder or several separated by ``os.pathsep``
   (``:`` on Linux and macOS, ``;`` on Windows), like ``PATH``; several folders are used
   together. They are read in place and never written to;
2. the Oxford-IIIT Pet data set, downloaded by torchvision (which checks its checksums) into
   ``data_dir()/oxford-pets``, with its cat/dog ("binary-category") labels;
3. synthetic cat and dog faces the course draws itself, so that the notebook runs without
   network. It says loudly that they are synthetic: nothing learned on them transfers to photos.

Large sources are cut to a random subset of ``MAX_IMAGES`` photos that keeps each class's (and each
folder's) share, so that a laptop CPU trains on them in about a minute.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import socket
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFilter

from course_utils.images import (ImageFolderTensors, TensorImageDataset, cached_image_files, cached_image_folder,
                                 find_class_folders)
from course_utils.paths import data_dir
from course_utils.splits import stratified_split, stratified_subset

__all__ = [
    "CatsDogsData", "MAX_IMAGES", "SyntheticDataWarning", "draw_face", "load_cats_dogs", "load_photo_sample",
    "photo_folders", "write_synthetic_folder",
]

ENV_VAR = "CATS_DOGS_DIR"
#: At most this many photos are used (a random subset that keeps every class's share), so that the
#: CNN of notebook 05 trains in about a minute on a laptop CPU. ``max_images=None`` takes them all.
MAX_IMAGES = 2000
SYNTHETIC_VERSION = 1
#: The synthetic set mirrors the shared real sample: 96 cats and 200 dogs.
SYNTHETIC_COUNTS = (96, 200)
DOWNLOAD_TIMEOUT_S = 10.0


class SyntheticDataWarning(UserWarning):
    """The data are drawn by the course, not photographed."""


@dataclass
class CatsDogsData:
    """What ``load_cats_dogs`` returns."""

    train: TensorImageDataset  #: uint8 images, no transform yet
    val: TensorImageDataset  #: the validation split: for every choice (epochs, settings, models)
    test: TensorImageDataset  #: the untouched test split: for the final comparison only
    class_names: list[str]
    kind: str  #: "folder", "oxford-pets" or "synthetic"
    source: str  #: where the data came from, in plain words


def photo_folders(folder: str | Path | Sequence[str | Path] | None = None) -> list[Path]:
    """The photo folders to read: ``folder`` (one path or a list), else ``$CATS_DOGS_DIR``, else none.

    ``$CATS_DOGS_DIR`` holds one folder or several separated by ``os.pathsep`` (``:`` on Linux and
    macOS, ``;`` on Windows). Every folder must exist; the error names the one that does not.

    Example:
        >>> photo_folders([])
        []
    """
    if folder is None:
        named = [part for part in os.environ.get(ENV_VAR, "").split(os.pathsep) if part.strip()]
        origin = f"${ENV_VAR}"
    else:
        named = [folder] if isinstance(folder, (str, Path)) else list(folder)
        origin = "the folder argument"
    paths = [Path(p).expanduser() for p in named]
    for path in paths:
        if not path.is_dir():
            raise FileNotFoundError(
                f"{path} (from {origin}) is not a folder. Point it at a folder with cat/ and dog/ sub-folders "
                f"(several folders: separate them with {os.pathsep!r}), or unset {ENV_VAR} to use the other sources.")
    return paths


def load_cats_dogs(folder: str | Path | Sequence[str | Path] | None = None, *, image_size: int = 64,
                   val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0,
                   max_images: int | None = MAX_IMAGES, download: bool = True, verbose: bool = True) -> CatsDogsData:
    """Train, validation and test sets of cat and dog images, from the best source available.

    ``folder`` (one folder or a list; else ``$CATS_DOGS_DIR``), else Oxford-IIIT Pet (if
    ``download`` and the network allow), else synthetic drawings. Images are decoded once to
    ``image_size`` pixels square and cached per size (see ``course_utils.images``). Sources of
    more than ``max_images`` photos are cut to a random subset. The split is stratified: each
    class of each folder keeps its share in every part; ``seed`` makes the subset and the split
    repeatable, and the same images land in the same part whatever ``image_size`` is.

    Example:
        >>> data = load_cats_dogs()  # doctest: +SKIP
        >>> data.class_names, data.kind  # doctest: +SKIP
        (['cat', 'dog'], 'folder')
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (e.g. 0.2), got {val_fraction}")
    if not 0 <= test_fraction < 1 - val_fraction:
        raise ValueError(f"test_fraction must be at least 0 and leave images to train on (val_fraction + "
                         f"test_fraction < 1), got test_fraction={test_fraction} with val_fraction={val_fraction}")
    if max_images is not None and (isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 10):
        raise ValueError(f"max_images must be an int of at least 10, or None for every photo; got {max_images!r}")
    folders = photo_folders(folder)
    if folders:
        parts = [cached_image_folder(path, image_size, progress=verbose) for path in folders]
        tensors, groups = _combine(parts, folders)
        kind = "folder"
        source = "your folder" + ("s " if len(folders) > 1 else " ") + ", ".join(
            f"{path.resolve()} ({len(part.files)} photos" + (f", {len(part.skipped)} unreadable files skipped)"
                                                              if part.skipped else ")")
            for path, part in zip(folders, parts)) + ", read in place"
    else:
        tensors = _oxford_pets(image_size, verbose) if download else None
        if tensors is not None:
            kind, source = "oxford-pets", f"the Oxford-IIIT Pet data set ({len(tensors.files)} photos, CC BY-SA 4.0)"
        else:
            root = write_synthetic_folder()
            tensors = cached_image_folder(root, image_size, progress=verbose)
            kind = "synthetic"
            source = (f"SYNTHETIC cat and dog faces drawn by the course ({len(tensors.files)} images in {root}). "
                      "They are NOT photos: use them to learn the workflow, not to judge a model. "
                      f"Set {ENV_VAR} to a folder of real photos for the real thing.")
            warnings.warn("Using SYNTHETIC cat and dog drawings, not photos.", SyntheticDataWarning, stacklevel=2)
            if verbose:
                print("!" * 78 + f"\n!!  {source}\n" + "!" * 78)
        groups = tensors.labels
    keep = torch.arange(len(groups))
    if max_images is not None and len(groups) > max_images:
        keep = stratified_subset(groups, max_images, seed)
        source += (f"; a random subset of {len(keep)} of the {len(groups)} photos, each class keeping its share "
                   f"(max_images={max_images}, so that training takes about a minute; max_images=None takes all)")
    train_idx, val_idx, test_idx = (keep[i] for i in stratified_split(groups[keep], val_fraction, seed, test_fraction))

    def part(idx: torch.Tensor) -> TensorImageDataset:
        return TensorImageDataset(tensors.images[idx], tensors.labels[idx],
                                  files=[tensors.files[i] for i in idx.tolist()])

    return CatsDogsData(part(train_idx), part(val_idx), part(test_idx), [c.lower() for c in tensors.class_names],
                        kind, source)


def _combine(parts: list[ImageFolderTensors], folders: list[Path]) -> tuple[ImageFolderTensors, torch.Tensor]:
    """Several decoded folders as one, and a group per image (folder × class) to stratify on."""
    names = [[c.lower() for c in part.class_names] for part in parts]
    for path, other in zip(folders[1:], names[1:]):
        if other != names[0]:
            raise ValueError(f"{path} has the classes {other}, but {folders[0]} has {names[0]}: every photo folder "
                             "needs the same class sub-folders (e.g. cat/ and dog/).")
    if len(parts) == 1:
        return parts[0], parts[0].labels
    n_classes = len(names[0])
    groups = torch.cat([part.labels + i * n_classes for i, part in enumerate(parts)])
    combined = ImageFolderTensors(torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts]),
                                  parts[0].class_names, [f for p in parts for f in p.files],
                                  [f for p in parts for f in p.skipped], all(p.from_cache for p in parts))
    return combined, groups


def load_photo_sample(folder: str | Path, n: int, *, image_size: int = 64, seed: int = 0,
                      verbose: bool = False) -> TensorImageDataset:
    """A random sample of ``n`` photos of ``folder`` (each class keeping its share), decoded once.

    Only the sampled files are decoded and cached, so a sample of a large folder is quick. The
    same ``seed`` gives the same photos at every ``image_size``. Class indices follow the sorted
    sub-folder names, as in ``load_cats_dogs``.

    Example:
        >>> other = load_photo_sample("kaggle-cats-dogs", 600, image_size=192)  # doctest: +SKIP
        >>> len(other), other.images.shape[1:]  # doctest: +SKIP
        (600, torch.Size([3, 192, 192]))
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int of at least 2 photos, got {n!r}")
    root = photo_folders(folder)[0]
    classes, files = find_class_folders(root)
    labels = torch.tensor([label for _, label in files])
    chosen = stratified_subset(labels, n, seed) if n < len(files) else torch.arange(len(files))
    tensors = cached_image_files(root, classes, [files[i] for i in chosen.tolist()], image_size, progress=verbose)
    return TensorImageDataset(tensors.images, tensors.labels, files=tensors.files)


def _oxford_pets(image_size: int, verbose: bool):
    """Oxford-IIIT Pet (trainval split) as cached tensors, or None with a message when offline."""
    from torchvision.datasets import OxfordIIITPet

    root = data_dir() / "oxford-pets"
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # fail fast without network; restored below
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            OxfordIIITPet(root, split="trainval", target_types="binary-category", download=True)
    except Exception as err:  # noqa: BLE001 - any failure to download means: use the fallback
        if verbose:
            print(f"Could not download the Oxford-IIIT Pet data set into {root} ({type(err).__name__}: {err}). "
                  "This usually means there is no internet connection (or a proxy blocks it). The notebook "
                  "goes on with synthetic drawings instead. To use real photos, either connect and run again, "
                  f"or set {ENV_VAR} to a folder that holds cat/ and dog/ sub-folders of photos.")
        return None
    finally:
        socket.setdefaulttimeout(previous)
    base = root / "oxford-iiit-pet"
    files = []
    # annotations/trainval.txt: "<image id> <breed id> <species: 1 cat, 2 dog> <breed index>"
    for line in (base / "annotations" / "trainval.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            files.append((base / "images" / f"{parts[0]}.jpg", int(parts[2]) - 1))
    return cached_image_files(base / "images", ["cat", "dog"], files, image_size, progress=verbose)


# ---------------------------------------------------------------- synthetic fallback

FUR = [(226, 140, 60), (120, 120, 125), (95, 65, 40), (35, 35, 35), (235, 230, 220), (200, 170, 120)]


def draw_face(kind: str, size: int, rng: random.Random) -> Image.Image:
    """One synthetic face: ``kind`` is "cat" (pointed ears, whiskers) or "dog" (floppy ears, snout).

    Pose, fur colour, size, position and background vary at random; colours are shared by
    both classes so that only the shapes tell them apart.

    Example:
        >>> draw_face("cat", 64, random.Random(0)).size
        (64, 64)
    """
    if kind not in ("cat", "dog"):
        raise ValueError(f"kind must be 'cat' or 'dog', got {kind!r}")
    s = 2 * size  # draw at twice the size, then shrink: smoother edges
    bg = tuple(rng.randint(40, 230) for _ in range(3))
    img = Image.new("RGB", (s, s), bg)
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(2, 6)):  # background clutter
        x, y, w = rng.uniform(0, s), rng.uniform(0, s), rng.uniform(0.1, 0.5) * s
        d.rectangle([x, y, x + w, y + rng.uniform(0.05, 0.3) * s], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    face = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    f = ImageDraw.Draw(face)
    fur = tuple(min(255, max(0, c + rng.randint(-25, 25))) for c in rng.choice(FUR))
    dark = tuple(int(c * 0.6) for c in fur)
    r = rng.uniform(0.2, 0.3) * s
    cx, cy = s / 2, s / 2 + 0.05 * s
    if kind == "cat":  # pointed ears on top
        for side in (-1, 1):
            f.polygon([(cx + side * 0.85 * r, cy - 0.35 * r), (cx + side * 0.25 * r, cy - 0.8 * r),
                       (cx + side * 0.85 * r, cy - 1.45 * r)], fill=fur)
    f.ellipse([cx - r, cy - r, cx + r, cy + 0.9 * r], fill=fur)
    if kind == "dog":  # long floppy ears hanging at the sides, a light snout
        for side in (-1, 1):
            ex = cx + side * 0.95 * r
            f.ellipse([ex - 0.3 * r, cy - 0.8 * r, ex + 0.3 * r, cy + 0.7 * r], fill=dark)
        light = tuple(min(255, c + 60) for c in fur)
        f.ellipse([cx - 0.5 * r, cy + 0.05 * r, cx + 0.5 * r, cy + 0.75 * r], fill=light)
        f.ellipse([cx - 0.2 * r, cy + 0.1 * r, cx + 0.2 * r, cy + 0.35 * r], fill=(20, 20, 20))
    else:  # small pink nose and whiskers
        f.polygon([(cx - 0.1 * r, cy + 0.15 * r), (cx + 0.1 * r, cy + 0.15 * r), (cx, cy + 0.3 * r)], fill=(230, 130, 150))
        for side in (-1, 1):
            for dy in (-0.1, 0.05, 0.2):
                f.line([(cx + side * 0.2 * r, cy + 0.3 * r), (cx + side * 1.1 * r, cy + (0.3 + dy) * r)],
                       fill=(250, 250, 250), width=max(1, s // 90))
    eye = (rng.choice([(60, 160, 60), (200, 170, 30), (40, 90, 160)]) if kind == "cat" else (40, 25, 10))
    for side in (-1, 1):
        ex, ey = cx + side * 0.4 * r, cy - 0.25 * r
        if kind == "cat":  # almond eyes with a slit pupil
            f.ellipse([ex - 0.17 * r, ey - 0.1 * r, ex + 0.17 * r, ey + 0.1 * r], fill=eye)
            f.ellipse([ex - 0.03 * r, ey - 0.1 * r, ex + 0.03 * r, ey + 0.1 * r], fill=(0, 0, 0))
        else:  # round dark eyes
            f.ellipse([ex - 0.1 * r, ey - 0.1 * r, ex + 0.1 * r, ey + 0.1 * r], fill=eye)
    face = face.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BILINEAR,
                       translate=(rng.uniform(-0.15, 0.15) * s, rng.uniform(-0.15, 0.15) * s))
    img.paste(face, mask=face.getchannel("A"))
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2))).resize((size, size), Image.Resampling.BILINEAR)


def write_synthetic_folder(root: str | Path | None = None, counts: tuple[int, int] | None = None,
                           size: int = 128, seed: int = 0) -> Path:
    """Draw the synthetic set as PNG files in ImageFolder layout (once; later calls reuse it).

    ``counts`` is (cats, dogs), by default ``SYNTHETIC_COUNTS``, the shares of the real sample.

    The folder is written in a temporary place and renamed when complete, so an interrupted
    run never leaves half a data set. Default: ``data_dir()/synthetic-cats-dogs-v1``.

    Example:
        >>> write_synthetic_folder().name  # doctest: +SKIP
        'synthetic-cats-dogs-v1'
    """
    counts = counts if counts is not None else SYNTHETIC_COUNTS
    root = Path(root) if root is not None else data_dir() / f"synthetic-cats-dogs-v{SYNTHETIC_VERSION}"
    if root.is_dir():
        return root
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}."))
    try:
        for kind, n in zip(("cat", "dog"), counts):
            (tmp / kind).mkdir()
            digits = int(math.log10(max(n, 1))) + 1
            for i in range(n):
                draw_face(kind, size, rng).save(tmp / kind / f"{kind}_{i:0{digits}d}.png")
        os.replace(tmp, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root
