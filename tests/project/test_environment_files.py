"""environment.yml (conda) and pyproject.toml (pip) must name the same packages."""

import re
import tomllib

from course_utils.paths import REPO_ROOT

CONDA_TO_PIP = {"pytorch": "torch"}
CONDA_ONLY = {"python", "pip"}


def requirement(line: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", line).groups()
    return name.lower(), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    lines = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    return dict(requirement(line) for line in lines)


def conda_requirements() -> dict[str, str]:
    found = {}
    text = (REPO_ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        # top-level dependency entries, and packages that only pip has (in the pip section)
        item = re.match(r"^  - ([^:]+)$", line) or re.match(r"^      - ([A-Za-z][^:]*)$", line)
        if item:
            name, spec = requirement(item.group(1))
            if name not in CONDA_ONLY:
                found[CONDA_TO_PIP.get(name, name)] = spec
    return found


def test_same_packages_and_minimum_versions():
    assert conda_requirements() == pyproject_requirements()


def test_environment_installs_the_course_itself():
    assert "      - -e ." in (REPO_ROOT / "environment.yml").read_text().splitlines()
