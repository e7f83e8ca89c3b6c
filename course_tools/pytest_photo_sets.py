"""pytest plugin: checked notebook cells that depend on the photos are compared only with those photos.

``pyproject.toml`` loads it for every pytest run of the checkout (``addopts``). A checked cell
tagged ``photo-set`` or ``photo-set:N`` (``course_tools.photo_cells``) runs as always, and an error
in it still fails it; but when this run reads other photos than its stored output was made from,
its output is not compared: pytest reports the cell as skipped, with the reason, and a "photo sets"
section of the summary names this run's photos and how to get the ones the outputs came from.
``--require-photo-set`` (CI, which has the pinned photos) makes such a cell fail instead, so that
every checked cell is compared there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_tools.photo_cells import photo_tag, recorded_photo_set, uncompared_reason

__all__ = [
    "UNCOMPARED",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_runtest_makereport",
    "pytest_terminal_summary",
]

# Only the annotations name pytest at the top, so that the teacher's tools import this module
# without the test extra; the hooks that need pytest itself import it when they run.
if TYPE_CHECKING:
    import pytest

#: the key of the skipped report's user property (its value: the stored set)
UNCOMPARED = "photo set: not compared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-photo-set",
        action="store_true",
        help="fail a checked notebook cell that depends on the photos when this run reads other photos "
        "than its stored output was made from (CI, with the pinned photos)",
    )


def _current_photos() -> list[str]:
    """The names of the photo folders this run reads."""
    from course_utils.photos import photo_set

    try:
        return photo_set().parts
    except (
        OSError,
        ValueError,
    ) as err:  # the notebook fails on it too; say why nothing is compared
        return [f"unreadable photo folders ({err})"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # no nbval: no notebook cells
        return
    current = None
    for item in items:
        if not isinstance(item, IPyNbCell) or not item.options["check"]:
            continue
        need = photo_tag(item.cell)
        if need is None:
            continue
        current = current if current is not None else _current_photos()
        recorded = recorded_photo_set(item.parent.nb)
        reason = uncompared_reason(need, recorded, current)
        if reason:
            item.options["check"] = False  # nbval still runs the cell, and fails it on an error
            item.photo_set_reason = f"{item.name} ran, its output not compared: {reason}"
            item.photo_set_recorded = recorded or ""


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
    """The report of a cell that ran without error but was not compared: skipped (or failed),
    with the reason."""
    reason = getattr(item, "photo_set_reason", None)
    if not reason or call.when != "call" or call.excinfo is not None:
        return None  # pytest's own report
    import pytest

    report = pytest.TestReport.from_item_and_call(item, call)
    if item.config.getoption("require_photo_set"):
        report.outcome = "failed"
        report.longrepr = f"{reason} (--require-photo-set: every checked cell must be compared)"
    else:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), None, reason)
        report.user_properties.append((UNCOMPARED, item.photo_set_recorded))
    return report


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    stored = [
        value
        for report in terminalreporter.stats.get("skipped", [])
        for key, value in report.user_properties
        if key == UNCOMPARED
    ]
    if not stored:
        return
    from course_utils.photos import KNOWN_SETS, photo_set

    write = terminalreporter.write_line
    terminalreporter.section("photo sets")
    write(
        f"{len(stored)} checked cell{'s' * (len(stored) != 1)} ran, but were not compared: "
        "their stored outputs were made from other photos than this run reads "
        "(each is listed under SKIPPED below)."
    )
    try:
        write(
            "This run reads:\n"
            + "\n".join("  " + line for line in photo_set().describe().splitlines())
        )
    except (OSError, ValueError) as err:
        write(f"This run's photo folders cannot be read: {err}")
    sets = sorted(set(stored) - {""})
    if sets:
        write(
            f"Their outputs were made from {' and '.join(sets)}. To compare them, name those "
            'folders in CATS_DOGS_DIR, in that order (README, "Photos"):'
        )
        unknown = "not a known photo set: the photos of whoever ran make refresh"
        parts = dict.fromkeys(part for joined in sets for part in joined.split("+"))
        for name in parts:  # in order, once each
            write(f"  {name}: {KNOWN_SETS.get(name, unknown)}")
