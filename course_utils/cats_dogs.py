"""The cats-vs-dogs data of notebooks 05 and 06: ``load_cats_dogs`` and ``load_photo_sample``.

The photos come from ``course_utils.photos.photo_folders``: the folders you name (the ``folder``
argument, else ``$CATS_DOGS_DIR``), else the Oxford-IIIT Pet sample shipped with the course, followed
by Microsoft's Kaggle Cats and Dogs photos if you downloaded them (``course_utils.petimages``).
Nothing is downloaded here. Several folders are used together, each class of each folder keeping
its share; ``photo_set`` says which known photo set they are.

Large sources are cut to a random subset of ``MAX_IMAGES`` photos that keeps each class's (and each
folder's) share, so that a laptop CPU trains on them in about a minute; only that subset is decoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from course_utils.images import TensorImageDataset, cached_image_files, find_class_folders
from course_utils.photos import KNOWN_SETS, photo_folders, photo_set
from course_utils.splits import stratified_split, stratified_subset

__all__ = ["CatsDogsData", "MAX_IMAGES", "load_cats_dogs", "load_photo_sample"]

#: At most this many photos are used (a random subset that keeps every class's share), so that the
#: CNN of notebook 05 trains in about a minute on a laptop CPU. ``max_images=None`` takes them all.
MAX_IMAGES = 2000


@dataclass
class CatsDogsData:
    """What ``load_cats_dogs`` returns."""

    train: TensorImageDataset  #: uint8 images, no transform yet
    val: TensorImageDataset  #: the validation split: for every choice (epochs, settings, models)
    test: TensorImageDataset  #: the untouched test split: for the final comparison only
    class_names: list[str]
    photo_set: (
        str  #: the known photo set(s) read, e.g. "oxford-pets-sample" (``course_utils.photos``)
    )
    source: str  #: where the photos came from, in plain words


def load_cats_dogs(
    folder: str | Path | Sequence[str | Path] | None = None,
    *,
    image_size: int = 64,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
    max_images: int | None = MAX_IMAGES,
    verbose: bool = True,
) -> CatsDogsData:
    """Train, validation and test sets of cat and dog photos from ``photo_folders(folder)``.

    ``folder`` is one folder or a list; else ``$CATS_DOGS_DIR``; else the sample shipped with the
    course (and Microsoft's photos, if downloaded). Images are decoded once to ``image_size``
    pixels square and cached per size (see ``course_utils.images``). Sources of more than
    ``max_images`` photos are cut to a random subset before decoding. The split is stratified:
    each class of each folder keeps its share in every part; ``seed`` makes the subset and the
    split repeatable, and the same images land in the same part whatever ``image_size`` is.

    Example:
        >>> from course_utils.photos import SAMPLE
        >>> data = load_cats_dogs(SAMPLE, image_size=32, verbose=False)  # the sample shipped with the course
        >>> data.class_names, data.photo_set, len(data.train), len(data.val), len(data.test)
        (['cat', 'dog'], 'oxford-pets-sample', 178, 59, 59)
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (e.g. 0.2), got {val_fraction}")
    if not 0 <= test_fraction < 1 - val_fraction:
        raise ValueError(
            f"test_fraction must be at least 0 and leave images to train on (val_fraction + "
            f"test_fraction < 1), got test_fraction={test_fraction} with val_fraction={val_fraction}"
        )
    if max_images is not None and (
        isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 10
    ):
        raise ValueError(
            f"max_images must be an int of at least 10, or None for every photo; got {max_images!r}"
        )
    photos = photo_set(folder)
    listed = [find_class_folders(source.folder) for source in photos.sources]
    names = [[c.lower() for c in classes] for classes, _ in listed]
    for source, other in zip(photos.sources[1:], names[1:]):
        if other != names[0]:
            raise ValueError(
                f"{source.folder} has the classes {other}, but {photos.sources[0].folder} has {names[0]}: "
                "every photo folder needs the same class sub-folders (e.g. cat/ and dog/)."
            )
    # one group per folder and class, to stratify on
    groups = torch.tensor(
        [label + i * len(names[0]) for i, (_, files) in enumerate(listed) for _, label in files]
    )
    keep = torch.arange(len(groups))
    if max_images is not None and len(groups) > max_images:
        keep = stratified_subset(groups, max_images, seed)
    parts, start = [], 0
    for source, (classes, files) in zip(photos.sources, listed):
        chosen = [files[i - start] for i in keep.tolist() if start <= i < start + len(files)]
        parts.append(
            cached_image_files(source.folder, classes, chosen, image_size, progress=verbose)
        )
        start += len(files)
    images, labels = torch.cat([p.images for p in parts]), torch.cat([p.labels for p in parts])
    files = [f for p in parts for f in p.files]
    kept_groups = torch.cat([p.labels + i * len(names[0]) for i, p in enumerate(parts)])
    source = (
        " + ".join(
            f"{s.name} ({s.photos:,} photos in {s.folder}"
            + (f", {len(p.skipped)} unreadable files skipped" if p.skipped else "")
            + f"; {KNOWN_SETS.get(s.name, s.note or 'your own')})"
            for s, p in zip(photos.sources, parts)
        )
        + ", read in place"
    )
    if len(keep) < len(groups):
        source += (
            f"; a random subset of {len(keep)} of the {len(groups)} photos, each class keeping its share "
            f"(max_images={max_images}, so that training takes about a minute; max_images=None takes all)"
        )
    train_idx, val_idx, test_idx = stratified_split(kept_groups, val_fraction, seed, test_fraction)

    def part(idx: torch.Tensor) -> TensorImageDataset:
        return TensorImageDataset(images[idx], labels[idx], files=[files[i] for i in idx.tolist()])

    return CatsDogsData(
        part(train_idx), part(val_idx), part(test_idx), names[0], photos.name, source
    )


def load_photo_sample(
    folder: str | Path, n: int, *, image_size: int = 64, seed: int = 0, verbose: bool = False
) -> TensorImageDataset:
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
    tensors = cached_image_files(
        root, classes, [files[i] for i in chosen.tolist()], image_size, progress=verbose
    )
    return TensorImageDataset(tensors.images, tensors.labels, files=tensors.files)
