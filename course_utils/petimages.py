"""Microsoft's "Kaggle Cats and Dogs Dataset", fetched only when you ask: ``download_petimages``.

About 25,000 shelter photos of cats and dogs (12,500 of each) from Petfinder.com, collected for
Microsoft Research's Asirra CAPTCHA and used in Kaggle's "Dogs vs. Cats" competition (2013). The
course never ships them (their terms: Microsoft's download page, ``PAGE``); online, one call puts
them into ``data_dir()/microsoft-petimages`` (``cat/``, ``dog/``), where notebooks 05 and 06 find them
after the shipped sample (``course_utils.photos``).

What the download checks: the archive's size and SHA-256 (as published by Hugging Face's
``cats_vs_dogs`` data set card and gomlx's ``dogsvscats`` example, which agree), that it holds 12,500
photos of each class, and each photo's CRC-32 as it is unpacked. It skips the photos that are known
to be unreadable (empty or corrupt JPEGs, ``KNOWN_CORRUPT``), writes the manifest of what it kept
(``MANIFEST.sha256``), and renames the folder into place only when all of that succeeded: an
interruption or a failed check leaves no half folder behind (only the verified archive, reused by
the next call).

``python -m course_utils.petimages`` (``make lab`` runs it) prints which photos the notebooks will
read, how to name others, and what the download costs: before anything starts.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

from course_utils.paths import data_dir
from course_utils.photos import (
    ENV_VAR,
    MANIFEST,
    downloaded_folder,
    file_sha256,
    photo_set,
    write_manifest,
)
from course_utils.progress import progress_bar

__all__ = [
    "KNOWN_CORRUPT",
    "PAGE",
    "PER_CLASS",
    "SHA256",
    "SIZE",
    "URL",
    "download_cost",
    "download_petimages",
    "photo_status",
]

PAGE = "https://www.microsoft.com/en-us/download/details.aspx?id=54765"
URL = "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip"
SIZE = 824_887_076  #: bytes
SHA256 = "b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9"
PER_CLASS = 12_500  #: PetImages/Cat/0.jpg ... 12499.jpg, and the same for Dog
#: Photos known to be empty or corrupt, by class and number (gomlx's dogsvscats list); empty files are skipped too.
KNOWN_CORRUPT = {
    "Cat": frozenset({666, 5370, 6435, 10404, 11095, 12080}),
    "Dog": frozenset({2317, 9500, 11233, 11702, 11912}),
}
TIMEOUT_S = 30.0  # seconds without an answer from the server before giving up
CHUNK = 1 << 20
_PHOTO = re.compile(r"PetImages/(Cat|Dog)/(\d+)\.jpg")


def download_cost() -> str:
    """What the download costs, in words: size, time at two typical speeds, disk.

    Example:
        >>> download_cost()  # doctest: +ELLIPSIS
        '825 MB to download (about 2 minutes at 50 Mbit/s, 11 at 10 Mbit/s), ...'
    """

    def minutes(mbit_per_s: float) -> int:
        return round(SIZE * 8 / (mbit_per_s * 1e6) / 60)

    return (
        f"{SIZE / 1e6:,.0f} MB to download (about {minutes(50)} minutes at 50 Mbit/s, {minutes(10)} at "
        f"10 Mbit/s), then about a minute to check and unpack {2 * PER_CLASS:,} photos; "
        f"{2 * SIZE / 1e9:.1f} GB of disk while it unpacks, {SIZE / 1e9:.1f} GB afterwards in {downloaded_folder()}"
    )


def download_petimages(*, progress: bool = True) -> Path:
    """Fetch, check and unpack Microsoft's Kaggle Cats and Dogs photos once; return their folder.

    Says what it costs before it starts, shows a progress bar, and does nothing when the photos
    are already there. See the module docstring for what it checks.

    Example:
        >>> folder = download_petimages()  # doctest: +SKIP
        >>> sorted(p.name for p in folder.iterdir() if p.is_dir())  # doctest: +SKIP
        ['cat', 'dog']
    """
    target = downloaded_folder()
    if (target / MANIFEST).is_file():
        print(
            f"Microsoft's Kaggle Cats and Dogs photos are already in {target}: nothing to download."
        )
        return target
    if target.exists():
        raise FileExistsError(
            f"{target} exists but is no complete download (it has no {MANIFEST}). It is not the "
            "course's: move it elsewhere, then call download_petimages() again."
        )
    archive = data_dir() / URL.rsplit("/", 1)[1]
    if not (archive.is_file() and file_sha256(archive) == SHA256):
        print(
            f"Downloading Microsoft's Kaggle Cats and Dogs Dataset ({PAGE}): {download_cost()}.\n"
            "Stop it at any time (the notebook's stop button, or Ctrl-C): nothing half-done stays behind.",
            flush=True,
        )
        _fetch(archive, progress)
    _unpack(archive, target, progress)
    archive.unlink()
    return target


def _fetch(archive: Path, progress: bool) -> None:
    """Download ``URL`` to ``archive`` through a ``.part`` file, checking its size and SHA-256."""
    part = archive.with_name(archive.name + ".part")
    digest, size = hashlib.sha256(), 0
    try:
        try:
            with (
                urllib.request.urlopen(URL, timeout=TIMEOUT_S) as response,
                open(part, "wb") as out,
            ):
                total = int(response.headers.get("Content-Length") or SIZE)
                blocks = iter(lambda: response.read(CHUNK), b"")
                for block in progress_bar(
                    blocks, desc=f"{archive.name} (MiB)", total=-(-total // CHUNK), enabled=progress
                ):
                    out.write(block)
                    digest.update(block)
                    size += len(block)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            raise ConnectionError(
                f"Could not download {URL} ({type(err).__name__}: {err}). Are you online? Nothing "
                "was kept; the notebooks go on with the photos shipped with the course."
            ) from err
        if size != SIZE or digest.hexdigest() != SHA256:
            raise ValueError(
                f"The download of {URL} is not the expected file: {size:,} bytes with SHA-256 "
                f"{digest.hexdigest()}, expected {SIZE:,} bytes with SHA-256 {SHA256}. Nothing was kept. "
                "Try again later; if it happens again, Microsoft has changed the file (see "
                f"{PAGE}): name photo folders of your own in CATS_DOGS_DIR instead."
            )
        os.replace(part, archive)
    finally:
        part.unlink(missing_ok=True)


def _unpack(archive: Path, target: Path, progress: bool) -> None:
    """Unpack the photos of ``archive`` into ``target/cat`` and ``target/dog``, all or nothing."""
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        with zipfile.ZipFile(archive) as zipped:
            photos = [
                (info, match)
                for info in zipped.infolist()
                if (match := _PHOTO.fullmatch(info.filename))
            ]
            counts = Counter(match.group(1) for _, match in photos)
            if counts != {"Cat": PER_CLASS, "Dog": PER_CLASS}:
                raise ValueError(
                    f"{archive.name} holds {dict(counts)} photos, expected {PER_CLASS:,} of Cat and of Dog. "
                    f"Nothing was unpacked; delete {archive} and download again."
                )
            for name in ("cat", "dog"):
                (tmp / name).mkdir()
            kept, skipped = {}, []
            for info, match in progress_bar(
                photos, desc="checking and unpacking the photos", enabled=progress
            ):
                name = f"{match.group(1).lower()}/{match.group(2)}.jpg"
                if int(match.group(2)) in KNOWN_CORRUPT[match.group(1)] or info.file_size == 0:
                    skipped.append(name)
                    continue
                content = zipped.read(
                    info
                )  # checks the photo's CRC-32: zipfile.BadZipFile if it is wrong
                (tmp / name).write_bytes(content)
                kept[name] = hashlib.sha256(content).hexdigest()
            for info in zipped.infolist():  # the archive's own licence and readme, as they came
                if "/" not in info.filename and not info.is_dir():
                    (tmp / info.filename).write_bytes(zipped.read(info))
        write_manifest(
            tmp / MANIFEST,
            kept,
            comment=(
                f"microsoft-petimages: the photos of {URL}\n(SHA-256 {SHA256}), {len(skipped)} known corrupt or empty "
                f"ones skipped: {', '.join(sorted(skipped))}"
            ),
        )
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cats = sum(name.startswith("cat/") for name in kept)
    print(
        f"{len(kept):,} photos ({cats:,} cats, {len(kept) - cats:,} dogs) in {target}; {len(skipped)} known corrupt "
        f"or empty files skipped. Notebooks 05 and 06 now read them after the shipped sample."
    )


def photo_status() -> str:
    """What ``make lab`` prints before JupyterLab starts: the photo set and how to change it."""
    try:
        current = photo_set()
        found = f"Photos for notebooks 05 and 06, photo set {current.name}:\n" + "\n".join(
            "  " + line for line in current.describe().splitlines()
        )
    except (OSError, ValueError) as err:
        found = f"Photos for notebooks 05 and 06: {err}"
    return (
        f"{found}\n"
        f"  Your own photo folders (each with cat/ and dog/ sub-folders; 06 trains on the first and tests on the "
        f"second): {ENV_VAR}=/path/to/a{os.pathsep}/path/to/b make lab\n"
        f"  More photos, online: set DOWNLOAD = True in notebook 05 (or run "
        f"course_utils.petimages.download_petimages()) once: {download_cost()}"
    )


if __name__ == "__main__":
    print(photo_status())
