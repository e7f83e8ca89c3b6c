"""Loading image folders robustly, once: decode, resize, cache as uint8 tensors.

Real photo folders contain surprises: truncated or corrupt JPEGs, zero-byte files, files that
are not images at all, and grayscale, RGBA, CMYK or palette images. ``load_image`` turns any
readable image into a ``3 × size × size`` uint8 tensor; ``cached_image_folder`` does that for
a whole ``ImageFolder``-style folder (one sub-folder per class), skips unreadable files with a
single warning that counts them, never writes to the folder, and caches the result under
``data_dir()/image_cache`` so that the next run loads it in a fraction of a second.

The cache is keyed by the folder's contents (relative paths, file sizes, modification times)
and the image size, so a changed folder or size rebuilds it; it is written to a temporary
file and renamed into place, so an interrupted run never leaves a broken cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset

from course_utils.paths import atomic_write, data_dir

__all__ = [
    "ImageFolderTensors",
    "TensorImageDataset",
    "cached_image_files",
    "cached_image_folder",
    "decode_files",
    "find_class_folders",
    "folder_fingerprint",
    "load_image",
    "show_images",
    "write_atomically",
]

#: Bump when the decoding changes, so that old caches are rebuilt.
CACHE_VERSION = 1
CACHE_FOLDER = "image_cache"
# Every error PIL raises for a file it cannot read as an image.
_UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombError,
)


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"image size must be an int of at least 8 pixels, got {size!r}")


def load_image(path: str | Path, size: int) -> torch.Tensor:
    """Read one image file as a ``3 × size × size`` uint8 RGB tensor.

    The photo is turned upright (EXIF orientation), converted to RGB (transparent parts of
    RGBA, LA and palette images go on white; CMYK and grayscale are converted), and its
    centre is cropped to a square and resized. The file is only read, never written.
    Raises ``ValueError`` with the file name when it is not a readable image.

    Example:
        >>> load_image("photo.jpg", 64).shape  # doctest: +SKIP
        torch.Size([3, 64, 64])
    """
    _check_size(size)
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # PIL warns about odd but readable files (bad EXIF, palette transparency): ignore.
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                im.draft("RGB", (2 * size, 2 * size))  # JPEG: decode at a reduced scale, faster
                im = ImageOps.exif_transpose(im)
                im.load()
                im = _to_rgb(im)
                im = ImageOps.fit(im, (size, size), Image.Resampling.BILINEAR)
    except _UNREADABLE as err:
        raise ValueError(f"{path} is not a readable image ({type(err).__name__}: {err})") from err
    return (
        torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
        .view(size, size, 3)
        .permute(2, 0, 1)
        .contiguous()
    )


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "P" or im.mode == "PA":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "La", "RGBa"):
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im.convert("RGBA"), mask=im.convert("RGBA").getchannel("A"))
        return background
    return im.convert("RGB")


def find_class_folders(root: str | Path) -> tuple[list[str], list[tuple[Path, int]]]:
    """Class names (sub-folder names, sorted) and every (file, class index) under ``root``.

    Hidden files and folders (names starting with ``.``) are ignored.

    Example:
        >>> classes, files = find_class_folders("PetImages")  # doctest: +SKIP
        >>> classes  # doctest: +SKIP
        ['cat', 'dog']
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"Image folder {root} does not exist. Give the path of a folder with "
            "one sub-folder per class, e.g. cat/ and dog/."
        )
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise ValueError(
            f"{root} needs at least two class sub-folders (e.g. cat/ and dog/), "
            f"found {classes or 'none'}."
        )
    files = []
    for index, name in enumerate(classes):
        for dirpath, dirnames, filenames in os.walk(root / name):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            files += [
                (Path(dirpath) / f, index) for f in sorted(filenames) if not f.startswith(".")
            ]
    return classes, files


def folder_fingerprint(root: Path, files: Sequence[tuple[Path, int]], size: int) -> str:
    """A hash of the folder's contents (relative paths, sizes, mtimes) and the image size."""
    digest = hashlib.sha256(f"v{CACHE_VERSION} size={size}\n".encode())
    for path, label in files:
        stat = path.stat()
        digest.update(
            f"{path.relative_to(root).as_posix()}\t{label}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()


@dataclass
class ImageFolderTensors:
    """A whole image folder decoded once: what ``cached_image_folder`` returns."""

    images: torch.Tensor  #: N × 3 × size × size, uint8
    labels: torch.Tensor  #: N, int64 class indices
    class_names: list[str]
    files: list[Path]  #: the file of each image, in the same order
    skipped: list[Path]  #: files that could not be read as images
    from_cache: bool  #: True when read from the cache, False when decoded now


def cached_image_folder(
    root: str | Path, size: int = 64, cache_dir: str | Path | None = None, progress: bool = True
) -> ImageFolderTensors:
    """Decode every image of an ImageFolder-style folder once, then load it from a cache.

    Unreadable files are skipped with one warning that counts them. Nothing in ``root`` is
    written. The cache goes to ``cache_dir`` (default ``data_dir()/image_cache``).

    Example:
        >>> data = cached_image_folder("PetImages", size=64)  # doctest: +SKIP
        >>> data.images.shape, data.class_names  # doctest: +SKIP
        (torch.Size([24998, 3, 64, 64]), ['Cat', 'Dog'])
    """
    classes, files = find_class_folders(root)
    return cached_image_files(root, classes, files, size, cache_dir=cache_dir, progress=progress)


def cached_image_files(
    root: str | Path,
    class_names: Sequence[str],
    files: Sequence[tuple[Path, int]],
    size: int = 64,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> ImageFolderTensors:
    """Like ``cached_image_folder`` for an explicit list of (file under ``root``, class index).

    Example:
        >>> cached_image_files("pets/images", ["cat", "dog"], [(Path("pets/images/a.jpg"), 0)])  # doctest: +SKIP
    """
    _check_size(size)
    root = Path(root).expanduser().resolve()
    files = [(Path(p).resolve(), int(label)) for p, label in files]
    if any(not 0 <= label < len(class_names) for _, label in files):
        raise ValueError(f"every class index must be between 0 and {len(class_names) - 1}")
    cache_dir = Path(cache_dir) if cache_dir is not None else data_dir() / CACHE_FOLDER
    stem = f"{re.sub(r'[^A-Za-z0-9_-]', '_', root.name)}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}-{size}px"
    target = cache_dir / f"{stem}-{folder_fingerprint(root, files, size)[:16]}.pt"
    cached = _read_cache(target)
    if cached is not None:
        return ImageFolderTensors(
            cached["images"],
            cached["labels"],
            list(cached["class_names"]),
            [root / f for f in cached["files"]],
            [root / f for f in cached["skipped"]],
            True,
        )
    images, labels, kept, skipped = decode_files(files, size, progress=progress, what=root.name)
    payload = {
        "images": images,
        "labels": labels,
        "class_names": list(class_names),
        "files": [p.relative_to(root).as_posix() for p in kept],
        "skipped": [p.relative_to(root).as_posix() for p in skipped],
    }
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(payload, target)
        for old in cache_dir.glob(f"{stem}-*.pt"):  # caches of an older state of the same folder
            if old != target:
                old.unlink(missing_ok=True)
    except (
        OSError
    ) as err:  # read-only folder, disk full, ...: the images are decoded, use them anyway
        warnings.warn(
            f"Could not write the image cache to {cache_dir} ({err.strerror or err}); the images are "
            "used from memory this time and decoded again next time. Free some disk space or set "
            "COURSE_DATA_DIR to a folder you can write to.",
            stacklevel=2,
        )
    return ImageFolderTensors(images, labels, list(class_names), kept, skipped, False)


def decode_files(
    files: Sequence[tuple[Path, int]], size: int, progress: bool = True, what: str = "images"
) -> tuple[torch.Tensor, torch.Tensor, list[Path], list[Path]]:
    """Decode (file, label) pairs into uint8 tensors; unreadable files are skipped and counted.

    Returns ``(images, labels, kept_files, skipped_files)`` and warns once if any was skipped.

    Example:
        >>> images, labels, kept, skipped = decode_files([("a.jpg", 0)], 32)  # doctest: +SKIP
    """
    from course_utils.progress import progress_bar

    images, labels, kept, skipped = [], [], [], []
    bar = progress_bar(files, desc=f"decoding {what} once", enabled=progress)
    try:
        for path, label in bar:
            try:
                images.append(load_image(path, size))
            except ValueError:
                skipped.append(Path(path))
                continue
            labels.append(label)
            kept.append(Path(path))
    finally:
        bar.close()  # a live notebook showed the bar; nothing of it stays in the output
    if skipped:
        names = ", ".join(p.name for p in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        warnings.warn(
            f"Skipped {len(skipped)} of {len(files)} files that are not readable images "
            f"(corrupt, truncated, empty or not an image): {names}. The folder was not changed.",
            stacklevel=3,
        )
    if not images:
        raise ValueError(f"No readable image among the {len(files)} files of {what}.")
    return torch.stack(images), torch.tensor(labels, dtype=torch.int64), kept, skipped


def write_atomically(obj: object, path: Path) -> None:
    """``torch.save`` so that a crash or Ctrl-C halfway never leaves a half-written file."""
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def _read_cache(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        cached = torch.load(path, map_location="cpu", weights_only=True)
        if not (
            isinstance(cached, dict)
            and {"images", "labels", "class_names", "files"} <= cached.keys()
        ):
            raise ValueError("unexpected content")
    except Exception as err:  # noqa: BLE001 - any unreadable cache is rebuilt
        warnings.warn(f"Rebuilding the unreadable image cache {path.name} ({err}).", stacklevel=3)
        return None
    return cached


class TensorImageDataset(Dataset):
    """Images already decoded to uint8 tensors, with an optional transform on each one.

    Augmentations from ``torchvision.transforms.v2`` work directly on these tensors.

    Example:
        >>> ds = TensorImageDataset(torch.zeros(4, 3, 8, 8, dtype=torch.uint8), torch.tensor([0, 1, 0, 1]))
        >>> x, y = ds[1]; x.shape, y
        (torch.Size([3, 8, 8]), 1)
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        transform: Callable | None = None,
        files: Sequence[Path] | None = None,
    ) -> None:
        if images.dim() != 4 or images.dtype != torch.uint8:
            raise ValueError(
                f"images must be an N × C × H × W uint8 tensor, got {images.dtype} of shape "
                f"{tuple(images.shape)}"
            )
        if labels.shape != (len(images),):
            raise ValueError(
                f"labels must have shape ({len(images)},) to match the images, got {tuple(labels.shape)}"
            )
        if files is not None and len(files) != len(images):
            raise ValueError(f"got {len(files)} files for {len(images)} images")
        self.images, self.labels, self.transform = images, labels, transform
        self.files = list(files) if files is not None else None

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])

    def with_transform(self, transform: Callable | None) -> TensorImageDataset:
        """The same images (shared, not copied) with another transform."""
        return TensorImageDataset(self.images, self.labels, transform, self.files)


def show_images(
    images: torch.Tensor | Sequence[torch.Tensor],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    title: str = "",
    colors: Sequence[str] | None = None,
):
    """Show uint8 (or 0–1 float) images, C × H × W each (sizes may differ), in a grid with titles.

    Example:
        >>> show_images(data.train.images[:8], ["cat"] * 8)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if len(images) == 0:
        raise ValueError("no images to show")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(1.9 * ncols, 2.1 * nrows + (0.4 if title else 0)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            img = images[i].detach().cpu()
            img = img.float() / 255 if img.dtype == torch.uint8 else img.float().clamp(0, 1)
            ax.imshow(
                img.permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray" if img.shape[0] == 1 else None
            )
            if titles is not None:
                ax.set_title(
                    titles[i], fontsize=11, color=colors[i] if colors is not None else "black"
                )
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
