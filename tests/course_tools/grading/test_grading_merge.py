"""``merge``: exactly the shards of one run, or a refusal that says what each folder holds."""

import json

import pytest

from course_tools.cli import main
from course_tools.grading.merge import MergeRefused, merge
from course_tools.grading.reports import write_reports
from course_tools.grading.result import Result


def _shard(folder, results, run_id, k, n):
    write_reports(results, folder, True, {"id": run_id, "shard": [k, n]})
    return folder


def test_merge_takes_exactly_the_shards_of_one_run_and_keeps_other_reports(tmp_path):
    a, b = (
        Result(f"{s}_07.ipynb", "07_example.ipynb", checks={"double": "pass"}, student=s)
        for s in "ab"
    )
    one, two = (
        _shard(tmp_path / "s1", [a], "run-new", 1, 2),
        _shard(tmp_path / "s2", [b], "run-new", 2, 2),
    )
    old = _shard(
        tmp_path / "old2",
        [Result("b_07.ipynb", "07_example.ipynb", checks={"double": "fail"})],
        "run-old",
        2,
        2,
    )
    for folders, why in (
        ([one, old], "2 different runs"),
        ([one], "shard 2 is missing"),
        ([one, one, two], "twice"),
    ):
        with pytest.raises(MergeRefused, match=why):
            merge(folders, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()
    assert [r.passed for r in merge([one, two], tmp_path / "merged")] == [1, 1]
    merge([one, two], tmp_path / "merged")  # the same run again: same reports
    other = _shard(tmp_path / "other", [a], "run-other", 1, 1)
    with pytest.raises(MergeRefused, match="another run"):
        merge([other], tmp_path / "merged")
    assert json.loads((tmp_path / "merged" / "results.json").read_text())["run"]["id"] == "run-new"
    assert len(merge([other], tmp_path / "merged", replace=True)) == 1
    assert main(["grade", "--merge", str(one), str(old), "--out", str(tmp_path / "cli")]) == 2
