"""Checked cells whose stored outputs hold only for the photos they were made from (notebooks 05, 06).

Such a cell carries a cell tag: ``photo-set`` when its output depends on every photo folder the
notebook reads (05 trains on all of them together), ``photo-set:N`` when only on the first ``N``
(06 trains on the first folder; its test on another source needs the second: ``photo-set:2``).
``course refresh`` records the photo set the stored outputs were made from in the notebook's
metadata, ``"course": {"photo_set": "oxford-pets-sample+kaggle-cats-dogs"}`` (the names of
``course_utils.photos``). ``make test`` (the pytest plugin ``course_tools.pytest_photo_sets``)
compares such a cell only when its run reads that photo set, or one that begins with the same ``N``
folders; otherwise the cell still runs, and its comparison is reported as skipped, with the reason.
``course check`` reports a tag it cannot read, a tag on an unchecked cell, and tagged cells in a
notebook that records no photo set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if (
    TYPE_CHECKING
):  # the pytest plugin imports this module in any environment: nbformat only where needed
    import nbformat

__all__ = [
    "TAG",
    "photo_tag",
    "problems",
    "record_photo_set",
    "recorded_photo_set",
    "uncompared_reason",
]

TAG = "photo-set"


def photo_tag(cell: nbformat.NotebookNode) -> int | None:
    """How many photo folders the cell's output depends on: 0 for all of them, N for the first N; None: untagged.

    Example:
        >>> import nbformat
        >>> photo_tag(nbformat.v4.new_code_cell(metadata={"tags": ["photo-set:1"]}))
        1
    """
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag == TAG:
            return 0
        if tag.startswith(TAG + ":"):
            count = tag[len(TAG) + 1 :]
            if not count.isdigit() or int(count) < 1:
                raise ValueError(
                    f"cell tag {tag!r}: write {TAG} (every photo folder) or {TAG}:N (the first N, N >= 1)"
                )
            return int(count)
    return None


def recorded_photo_set(nb: nbformat.NotebookNode) -> str | None:
    """The photo set the notebook's stored outputs were made from (its metadata), or None."""
    return nb.metadata.get("course", {}).get("photo_set")


def record_photo_set(nb: nbformat.NotebookNode, name: str | None) -> None:
    """Record ``name`` as the photo set of the stored outputs (None: remove the record).

    Example:
        >>> import nbformat
        >>> nb = nbformat.v4.new_notebook()
        >>> record_photo_set(nb, "oxford-pets-sample"); recorded_photo_set(nb)
        'oxford-pets-sample'
    """
    course = nb.metadata.setdefault("course", {})
    if name is not None:
        course["photo_set"] = name
    else:
        course.pop("photo_set", None)
    if not course:
        del nb.metadata["course"]


def uncompared_reason(need: int, recorded: str | None, current: list[str]) -> str:
    """Why a cell that depends on ``need`` photo folders cannot be compared in this run ("" if it can).

    ``recorded`` is the photo set of the stored outputs, ``current`` the names of this run's folders.

    Example:
        >>> uncompared_reason(1, "oxford-pets-sample+kaggle-cats-dogs", ["oxford-pets-sample"])
        ''
        >>> uncompared_reason(0, "oxford-pets-sample+kaggle-cats-dogs", ["oxford-pets-sample"])
        'made from the photo set oxford-pets-sample+kaggle-cats-dogs, this run reads oxford-pets-sample'
    """
    if recorded is None:
        return "the notebook records no photo set for its stored outputs (run make refresh NB=...)"
    stored = recorded.split("+")
    if (
        need == 0
        and current == stored
        or 0 < need <= len(stored)
        and current[:need] == stored[:need]
    ):
        return ""
    which = "" if need == 0 else f"its first {need} photo folder{'s' * (need > 1)} of "
    return f"made from {which}the photo set {recorded}, this run reads {'+'.join(current) or 'no photos'}"


def problems(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """What is wrong with the photo-set tags and record of notebook ``name``, one line each (empty: fine).

    (``course_tools.notebook_tools.problems`` also reports a tag on a cell that is not checked.)
    """
    found, tagged = [], False
    for i, cell in enumerate(nb.cells):
        try:
            tagged |= photo_tag(cell) is not None
        except ValueError as err:
            found.append(f"{name}: cell {i}: {err}")
    if tagged and recorded_photo_set(nb) is None:
        found.append(
            f"{name}: cells are tagged {TAG} but the notebook records no photo set "
            "(run make refresh NB=... with the photos its outputs should come from)"
        )
    if not tagged and recorded_photo_set(nb) is not None:
        found.append(
            f"{name}: the notebook records a photo set but no cell is tagged {TAG} (run make refresh NB=...)"
        )
    return found
