import re

import matplotlib as mpl
import pytest

from course_utils import COLORS, data_dir, paths, use_course_style


def test_course_style_is_projector_sized():
    mpl.rcdefaults()
    use_course_style()
    assert mpl.rcParams["font.size"] >= 12
    assert [c.lower() for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]][:2] == [
        "#0072b2",
        "#e69f00",
    ]


def test_palette_is_hex_colours():
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in COLORS.values())


def test_data_dir_defaults_to_the_repository(monkeypatch):
    monkeypatch.delenv(paths.ENV_VAR, raising=False)
    assert data_dir() == paths.REPO_ROOT / "data"


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.ENV_VAR, str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere" and (tmp_path / "elsewhere").is_dir()


def test_unwritable_data_dir_says_how_to_fix(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(paths.ENV_VAR, str(blocker / "data"))
    with pytest.raises(OSError, match="COURSE_DATA_DIR"):
        data_dir()
