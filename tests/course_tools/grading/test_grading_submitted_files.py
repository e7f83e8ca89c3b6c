"""A submission's path names its student and notebook by the documented pattern only; the folder wins."""

from course_tools.grading.submitted_files import name_conflict, parse_name


def test_file_names_follow_the_documented_pattern_only():
    assert parse_name("s1234567_02_linear_regression.ipynb") == ("s1234567", "02")
    assert parse_name("alice.smith@uni.edu_04.ipynb") == ("alice.smith@uni.edu", "04")
    assert parse_name("bob/03_mlp.ipynb") == ("bob", "03")
    assert parse_name("course/bob/03_mlp.ipynb") == ("bob", "03")
    assert parse_name("bob_03_notes_07.ipynb") == (
        "bob",
        "03",
    )  # the number right after the id, never a later one
    for name in (
        "notes_v2_03.ipynb",
        "my_homework_02.ipynb",
        "03_mlp.ipynb",
        "bob/3_mlp.ipynb",
        "_03.ipynb",
    ):
        assert parse_name(name) is None, name  # no guessing from a number somewhere in the name


def test_a_students_folder_wins_over_the_name_in_the_file_and_the_conflict_is_reported():
    assert parse_name("bob/alice_07_example.ipynb") == ("bob", "07")
    assert "named for alice" in name_conflict("bob/alice_07_example.ipynb")
    # Controls: the two documented forms alone, and a folder that agrees.
    assert parse_name("alice_07.ipynb") == ("alice", "07") and parse_name("bob/07_x.ipynb") == (
        "bob",
        "07",
    )
    assert name_conflict("bob/bob_07.ipynb") == name_conflict("alice_07.ipynb") == ""
