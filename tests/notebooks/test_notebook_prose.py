"""Notebook prose quotes only numbers that checked cells print (course_tools.prose)."""

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_factory import course_notebook

from course_tools.prose import notebook_problems, problems

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_number_in_the_prose_is_printed_by_a_checked_cell(path):
    assert problems(path) == []


def with_text(text: str, *code: str) -> nbformat.NotebookNode:
    """The factory notebook (its checked cell prints 3.142) with one more markdown cell."""
    nb = course_notebook()
    nb.cells.insert(5, new_markdown_cell(text))
    nb.cells.extend(new_code_cell(source) for source in code)
    return nb


def test_the_factory_notebook_is_clean():
    assert notebook_problems(course_notebook()) == []


def test_a_stale_number_fails(tmp_path):
    path = tmp_path / "07_example.ipynb"
    nbformat.write(with_text("The area is 3.142, and the regularised CNN 0.543."), path)
    assert problems(path) == [
        "07_example.ipynb cell 5: 0.543 is not printed by any "
        "# NBVAL_CHECK_OUTPUT cell and is no constant in the code"
    ]


def test_a_number_printed_only_by_an_unchecked_cell_fails():
    nb = with_text("The loss falls to 0.26.", "print(round(0.2612, 2))")
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="0.26\n")]
    assert notebook_problems(nb) == [
        "cell 5: 0.26 is not printed by any # NBVAL_CHECK_OUTPUT cell "
        "and is no constant in the code"
    ]


@pytest.mark.parametrize(
    "text, code",
    [
        ("The area rounds to 3.1420.", ()),  # same number, other spelling
        ("We use a learning rate of 0.05 and a decay of -0.3.", ("lr, gamma = 0.05, 0.3",)),
        ("Type `dropout=0.3` to try it.", ()),  # code for the reader
        ("Needs torch 2.4.1 or newer.", ()),  # a version number
        ("See [the paper](https://arxiv.org/abs/1502.03167).", ()),  # a link target
        ("Runs in 8 s on 2 cores, 15 epochs.", ()),  # integers
    ],
)
def test_numbers_the_notebook_backs_or_that_are_no_claims_pass(text, code):
    assert notebook_problems(with_text(text, *code)) == []


@pytest.mark.parametrize(
    "text, code, number",
    [
        ("A rate of 0.05 works.", ("# lr = 0.05 is good",), "0.05"),  # a comment is no constant
        ("A rate of 0.05 works.", ('print("lr 0.05")',), "0.05"),  # nor is a string
        ("The area is about 3.14.", (), "3.14"),  # rounded differently
        ("It wins by 1.2e+03 points.", (), "1.2e+03"),
    ],
)
def test_numbers_no_cell_backs_fail(text, code, number):
    assert notebook_problems(with_text(text, *code)) == [
        f"cell 5: {number} is not printed by any # NBVAL_CHECK_OUTPUT cell and is no constant in the code"
    ]


def test_section_references_must_exist():
    nb = with_text("As in section 2.1 and Exercise 2.2, unlike section 7.3 and § 4.1.")
    nb.cells[7].source = "### 2.1 Doubling\n\n" + nb.cells[7].source
    assert notebook_problems(nb) == [
        'cell 5: "section 7.3" names no heading or exercise of this notebook',
        'cell 5: "§ 4.1" names no heading or exercise of this notebook',
    ]


def test_outside_facts_are_declared_in_the_metadata_with_a_source():
    nb = with_text("ImageNet holds 1.3 million photos.")
    assert len(notebook_problems(nb)) == 1
    nb.metadata["course"] = {"prose_allow": {"1.3": "ImageNet-1k training set, image-net.org"}}
    assert notebook_problems(nb) == []
    nb.metadata["course"] = {"prose_allow": ["1.3"]}
    with pytest.raises(ValueError, match="map each number to its source"):
        notebook_problems(nb)


def test_a_missing_file_says_what_to_give(tmp_path):
    with pytest.raises(FileNotFoundError, match="path of an .ipynb file"):
        problems(tmp_path / "nope.ipynb")
