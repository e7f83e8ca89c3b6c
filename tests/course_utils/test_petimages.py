"""download_petimages against a small fake of Microsoft's archive, served on 127.0.0.1 (no internet)."""

import hashlib
import http.server
import io
import threading
import zipfile

import pytest
from PIL import Image

from course_utils import petimages
from course_utils.cats_dogs import load_cats_dogs
from course_utils.photos import DOWNLOADED, MANIFEST, identify_folder, photo_folders, photo_set

PER_CLASS = 4


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 16), (40 * seed % 256, 90, 200)).save(out, "JPEG")
    return out.getvalue()


def fake_archive(per_class: int = PER_CLASS) -> bytes:
    """PetImages/Cat|Dog/<n>.jpg like Microsoft's zip: a known corrupt cat (2), an empty dog (3), Thumbs.db."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("readme[1].txt", "the archive's own readme")
        for cls in ("Cat", "Dog"):
            z.writestr(f"PetImages/{cls}/Thumbs.db", b"not a photo")
            for n in range(per_class):
                z.writestr(
                    f"PetImages/{cls}/{n}.jpg",
                    b"" if (cls, n) == ("Dog", 3) else jpeg(n + 10 * (cls == "Dog")),
                )
    return out.getvalue()


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``self.server.body`` at any path; ``self.server.cut`` bytes less than it announces, if set."""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.requests += 1
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) - self.server.cut])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.body, httpd.cut, httpd.requests = b"", 0, 0
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fake(server, monkeypatch, tmp_path):
    """The course pointed at the local server and at a private data folder; returns the served archive."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CATS_DOGS_DIR", raising=False)
    body = fake_archive()
    server.body = body
    monkeypatch.setattr(
        petimages, "URL", f"http://127.0.0.1:{server.server_port}/files/kagglecatsanddogs_5340.zip"
    )
    monkeypatch.setattr(petimages, "SIZE", len(body))
    monkeypatch.setattr(petimages, "SHA256", hashlib.sha256(body).hexdigest())
    monkeypatch.setattr(petimages, "PER_CLASS", PER_CLASS)
    monkeypatch.setattr(petimages, "KNOWN_CORRUPT", {"Cat": frozenset({2}), "Dog": frozenset()})
    return body


def leftovers(tmp_path) -> list[str]:
    """What a failed download left in the data folder, image caches aside."""
    return sorted(p.name for p in (tmp_path / "data").iterdir() if p.name != "image_cache")


def test_download_says_what_it_costs_checks_unpacks_and_is_found_by_the_notebooks(
    fake, server, tmp_path, capsys
):
    folder = petimages.download_petimages(progress=False)
    printed = capsys.readouterr().out
    assert printed.index("MB to download") < printed.index("6 photos (3 cats, 3 dogs)")
    assert folder == tmp_path / "data" / DOWNLOADED
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg")) == [
        "cat/0.jpg",
        "cat/1.jpg",
        "cat/3.jpg",
        "dog/0.jpg",
        "dog/1.jpg",
        "dog/2.jpg",
    ]  # cat 2 corrupt, dog 3 empty
    assert (folder / "readme[1].txt").read_text() == "the archive's own readme"
    assert (
        "2 known corrupt or empty ones skipped: cat/2.jpg, dog/3.jpg"
        in (folder / MANIFEST).read_text()
    )
    assert leftovers(tmp_path) == [
        DOWNLOADED
    ]  # the archive is deleted once unpacked, no temporary folder stays
    assert identify_folder(folder).name == DOWNLOADED
    assert (
        photo_folders()[1] == folder
        and photo_set().name == "oxford-pets-sample+microsoft-petimages"
    )
    data = load_cats_dogs(image_size=16, verbose=False)
    assert data.photo_set == "oxford-pets-sample+microsoft-petimages" and str(folder) in data.source
    assert len(data.train) + len(data.val) + len(data.test) == 296 + 6
    # a second call finds the photos and asks the server nothing
    assert petimages.download_petimages(progress=False) == folder and server.requests == 1
    assert "already in" in capsys.readouterr().out
    # a photo changed afterwards makes it another set, and says which
    (folder / "dog" / "0.jpg").write_bytes(jpeg(99))
    changed = identify_folder(folder)
    assert changed.name.startswith("other-") and "1 changed (dog/0.jpg)" in changed.note


@pytest.mark.parametrize(
    "what, change, error, words",
    [
        (
            "another file",
            lambda s, m: m.setattr(petimages, "SHA256", "0" * 64),
            ValueError,
            "not the expected file",
        ),
        (
            "a download cut short",
            lambda s, m: setattr(s, "cut", 100),
            (ValueError, ConnectionError),
            "not the expected file|Could not download",
        ),
        (
            "no network",
            lambda s, m: m.setattr(
                petimages, "URL", "http://127.0.0.1:9/kagglecatsanddogs_5340.zip"
            ),
            ConnectionError,
            "Are you online?",
        ),
        (
            "fewer photos than expected",
            lambda s, m: m.setattr(petimages, "PER_CLASS", PER_CLASS + 1),
            ValueError,
            "expected 5 of Cat and of Dog",
        ),
    ],
)
def test_a_failed_download_leaves_no_half_folder(
    what, change, error, words, fake, server, monkeypatch, tmp_path
):
    change(server, monkeypatch)
    with pytest.raises(error, match=words):
        petimages.download_petimages(progress=False)
    assert not (tmp_path / "data" / DOWNLOADED).exists()
    assert [name for name in leftovers(tmp_path) if name != "kagglecatsanddogs_5340.zip"] == []


def test_a_photo_with_a_wrong_crc_stops_the_unpacking(fake, server, monkeypatch, tmp_path):
    photo = jpeg(1)
    body = fake_archive().replace(
        photo, photo[:-3] + b"XYZ", 1
    )  # stored, not compressed: the bytes are in the zip
    server.body = body
    monkeypatch.setattr(petimages, "SIZE", len(body))
    monkeypatch.setattr(petimages, "SHA256", hashlib.sha256(body).hexdigest())
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        petimages.download_petimages(progress=False)
    assert leftovers(tmp_path) == [
        "kagglecatsanddogs_5340.zip"
    ]  # only the archive whose SHA-256 was right


def test_an_interrupted_download_leaves_nothing(fake, monkeypatch, tmp_path):
    def interrupted(blocks, **kwargs):
        yield next(blocks)
        raise KeyboardInterrupt

    monkeypatch.setattr(petimages, "progress_bar", interrupted)
    with pytest.raises(KeyboardInterrupt):
        petimages.download_petimages(progress=False)
    assert leftovers(tmp_path) == []


def test_a_folder_of_the_same_name_is_never_overwritten(fake, server, tmp_path):
    mine = tmp_path / "data" / DOWNLOADED
    (mine / "cat").mkdir(parents=True)
    (mine / "cat" / "mine.jpg").write_bytes(b"my photo")
    with pytest.raises(FileExistsError, match="no complete download"):
        petimages.download_petimages(progress=False)
    assert (mine / "cat" / "mine.jpg").read_bytes() == b"my photo" and server.requests == 0


def test_the_download_cost_names_size_time_and_disk():
    text = petimages.download_cost()
    assert text.startswith("825 MB to download (about 2 minutes at 50 Mbit/s, 11 at 10 Mbit/s)")
    assert "25,000 photos" in text and "1.6 GB of disk while it unpacks" in text


def test_reused_archive_is_checked_again(fake, server, tmp_path):
    archive = tmp_path / "data" / "kagglecatsanddogs_5340.zip"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(fake)  # a verified archive from an earlier, interrupted unpacking
    petimages.download_petimages(progress=False)
    assert server.requests == 0 and not archive.exists()
