"""Which photos notebooks 05 and 06 read, and which known photo set they are.

The photo folders, in this order (``photo_folders``):

1. the folders you name: the ``folder`` argument, else ``$CATS_DOGS_DIR`` (one folder, or several
   separated by ``os.pathsep``: ``:`` on Linux and macOS, ``;`` on Windows, like ``PATH``), each
   with one sub-folder per class (``cat/``, ``dog/``). They are read in place, never written to;
2. else the Oxford-IIIT Pet sample shipped with the course (``SAMPLE``: 296 photos, CC BY-SA 4.0),
   and after it, if you fetched it once, Microsoft's Kaggle Cats and Dogs photos in ``data_dir()``
   (``course_utils.petimages.download_petimages``). Nothing is downloaded unless you ask.

A **photo set** names those folders in order, each by the known set whose manifest (the path and
SHA-256 of every photo, ``photo_sets/<name>.sha256``) it matches exactly: CI reads
``oxford-pets-sample+kaggle-cats-dogs``, the set the notebooks' stored outputs were made from. A
folder that matches no manifest is ``other-`` and a hash of its contents, and ``note`` says why
when it is close to a known set (photos missing, changed or added).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from course_utils.images import find_class_folders
from course_utils.paths import data_dir

__all__ = [
    "DOWNLOADED",
    "ENV_VAR",
    "KNOWN_SETS",
    "PhotoSet",
    "PhotoSource",
    "SAMPLE",
    "downloaded_folder",
    "file_sha256",
    "identify_folder",
    "photo_folders",
    "photo_set",
    "read_manifest",
    "write_manifest",
]

ENV_VAR = "CATS_DOGS_DIR"
PHOTO_SETS = Path(__file__).resolve().parent / "photo_sets"
#: The Oxford-IIIT Pet sample that ships inside the package (its README: attribution, licence, changes).
SAMPLE = PHOTO_SETS / "oxford-pets-sample"
#: The name of Microsoft's Kaggle Cats and Dogs photos once downloaded (a folder of ``data_dir()``).
DOWNLOADED = "microsoft-petimages"
MANIFEST = "MANIFEST.sha256"
#: The known photo sets: where each comes from and how to get it.
KNOWN_SETS = {
    "oxford-pets-sample": "Oxford-IIIT Pet, CC BY-SA 4.0, shipped with the course",
    "kaggle-cats-dogs": "Kaggle's Dogs vs. Cats shelter photos, which may not be redistributed: CI reads the "
    "maintainers' copy in place, ../shared/datasets/kaggle-cats-dogs beside the repository",
    DOWNLOADED: "Microsoft's Kaggle Cats and Dogs Dataset, fetched online by "
    "course_utils.petimages.download_petimages()",
}


def downloaded_folder() -> Path:
    """Where ``download_petimages`` puts Microsoft's photos: ``data_dir()/microsoft-petimages``."""
    return data_dir() / DOWNLOADED


def photo_folders(folder: str | Path | Sequence[str | Path] | None = None) -> list[Path]:
    """The photo folders to read: ``folder`` (one path or a list), else ``$CATS_DOGS_DIR``, else the defaults.

    The defaults are the shipped sample (``SAMPLE``), then the downloaded Microsoft photos if you
    fetched them. Every named folder must exist; the error names the one that does not.

    Example:
        >>> photo_folders(SAMPLE) == [SAMPLE]
        True
    """
    if folder is None:
        named = [part for part in os.environ.get(ENV_VAR, "").split(os.pathsep) if part.strip()]
        origin = f"${ENV_VAR}"
        if not named:
            downloaded = downloaded_folder()
            return [SAMPLE, downloaded] if downloaded.is_dir() else [SAMPLE]
    else:
        named = [folder] if isinstance(folder, (str, Path)) else list(folder)
        origin = "the folder argument"
        if not named:
            raise ValueError(
                "name at least one photo folder, or pass folder=None for the default ones"
            )
    paths = [Path(p).expanduser() for p in named]
    for path in paths:
        if not path.is_dir():
            raise FileNotFoundError(
                f"{path} (from {origin}) is not a folder. Point it at a folder with cat/ and dog/ sub-folders "
                f"(several folders: separate them with {os.pathsep!r}), or unset {ENV_VAR} to use the photos "
                "shipped with the course."
            )
    return paths


def read_manifest(path: str | Path) -> dict[str, str]:
    """A manifest as {path in the set: SHA-256}: lines ``<sha256>  <path>`` (``sha256sum``), ``#`` comments.

    Example:
        >>> len(read_manifest(PHOTO_SETS / "oxford-pets-sample.sha256"))
        296
    """
    entries = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            entries[name.lstrip("*")] = digest
    return entries


def write_manifest(path: str | Path, entries: dict[str, str], comment: str = "") -> None:
    """Write {path in the set: SHA-256} as a manifest that ``read_manifest`` and ``sha256sum -c`` read."""
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    Path(path).write_text(
        header + "".join(f"{digest}  {name}\n" for name, digest in sorted(entries.items())),
        encoding="utf-8",
    )


def _known_manifests() -> dict[str, Path]:
    found = {path.stem: path for path in sorted(PHOTO_SETS.glob("*.sha256"))}
    if (downloaded_folder() / MANIFEST).is_file():
        found[DOWNLOADED] = downloaded_folder() / MANIFEST
    return found


@dataclass(frozen=True)
class PhotoSource:
    """One photo folder and the known set it holds."""

    folder: Path
    name: str  #: a known set (``KNOWN_SETS``) or ``other-<hash of the contents>``
    photos: int  #: files in its class sub-folders
    note: str = ""  #: for ``other-...``: why it is not a known set, when it is close to one

    @property
    def known(self) -> bool:
        return self.name in KNOWN_SETS


@dataclass(frozen=True)
class PhotoSet:
    """The photo folders a notebook reads, in order: what ``photo_set`` returns."""

    sources: tuple[PhotoSource, ...]

    @property
    def name(self) -> str:
        """The sources' names joined by ``+``, e.g. ``oxford-pets-sample+kaggle-cats-dogs``."""
        return "+".join(source.name for source in self.sources)

    @property
    def parts(self) -> list[str]:
        return [source.name for source in self.sources]

    def describe(self) -> str:
        """One line per folder: its set, its photos, where it is and where it comes from."""
        lines = []
        for source in self.sources:
            about = KNOWN_SETS.get(
                source.name, source.note or "not one of the course's known photo sets"
            )
            lines.append(f"{source.name}: {source.photos:,} photos in {source.folder} ({about})")
        return "\n".join(lines)


def photo_set(folder: str | Path | Sequence[str | Path] | None = None) -> PhotoSet:
    """The photo set of ``photo_folders(folder)``: each folder identified by its contents.

    Example:
        >>> photo_set(SAMPLE).name
        'oxford-pets-sample'
    """
    return PhotoSet(tuple(identify_folder(path) for path in photo_folders(folder)))


def identify_folder(folder: str | Path) -> PhotoSource:
    """Which known photo set ``folder`` holds, from the path and SHA-256 of each photo.

    Every file in its class sub-folders counts (hidden ones excepted). The answer is remembered
    while the files' sizes and modification times stay the same.

    Example:
        >>> identify_folder(SAMPLE).name, identify_folder(SAMPLE).photos
        ('oxford-pets-sample', 296)
    """
    root = Path(folder).expanduser().resolve()
    _, files = find_class_folders(root)
    stats = [(path.relative_to(root).as_posix(), path.stat()) for path, _ in files]
    stamp = tuple((name, stat.st_size, stat.st_mtime_ns) for name, stat in stats)
    return _identify(root, stamp, tuple(_known_manifests().items()))


@functools.lru_cache(maxsize=32)
def _identify(root: Path, stamp: tuple, manifests: tuple[tuple[str, Path], ...]) -> PhotoSource:
    contents = {name: file_sha256(root / name) for name, _, _ in stamp}
    note, nearest = "", 0
    for name, path in manifests:
        expected = read_manifest(path)
        if contents == expected:
            return PhotoSource(root, name, len(contents))
        overlap = len(contents.keys() & expected.keys())
        if overlap > nearest and 2 * overlap >= min(
            len(contents), len(expected)
        ):  # most photos in common
            note, nearest = _differences(name, contents, expected), overlap
    digest = hashlib.sha256(
        "".join(f"{h}  {n}\n" for n, h in sorted(contents.items())).encode()
    ).hexdigest()
    return PhotoSource(root, f"other-{digest[:12]}", len(contents), note)


def _differences(name: str, contents: dict[str, str], expected: dict[str, str]) -> str:
    def some(items: list[str]) -> str:
        return ", ".join(items[:3]) + (", ..." if len(items) > 3 else "")

    missing = sorted(expected.keys() - contents.keys())
    changed = sorted(n for n in contents.keys() & expected.keys() if contents[n] != expected[n])
    extra = sorted(contents.keys() - expected.keys())
    found = [
        f"{len(missing):,} of its {len(expected):,} photos missing ({some(missing)})"
        if missing
        else "",
        f"{len(changed):,} changed ({some(changed)})" if changed else "",
        f"{len(extra):,} photo{'s' * (len(extra) != 1)} not in it ({some(extra)})" if extra else "",
    ]
    return f"close to {name}, but with " + "; ".join(part for part in found if part)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file, read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
