"""Checks through handles, run both ways (``both_ways``): an answer cannot change the check's own inputs,
and a class is what the grader establishes, not what it names itself."""

from both_ways import both
from grading_submissions import HEAD, RIGHT

DATASET_CHECK = "from course_utils.exercises.nb02_linear_regression import check_dataset\ncheck_dataset(RegressionData)"
HONEST_DATASET = RIGHT["Pairs"].replace("Pairs", "RegressionData")
ZEROED_ITEMS = (
    "    def __len__(self):\n        return 7\n    def __getitem__(self, i):\n"
    "        return torch.zeros(2), torch.tensor(0.0)"
)
WRONG_DATASET = (
    "class RegressionData(Dataset):\n    def __init__(self, X, y):\n        self.X, self.y = X, y\n"
    + ZEROED_ITEMS
)
#: Zeroes the check's X and y, then answers for zeros: it passed when the check built its answer from them.
ZEROING_DATASET = (
    "class RegressionData(Dataset):\n    def __init__(self, X, y):\n        X.zero_()\n        y.zero_()\n"
    "        self.X, self.y = X, y\n" + ZEROED_ITEMS
)


def test_an_answer_that_changes_the_checks_inputs_gets_the_wrong_answers_grade():
    assert both(DATASET_CHECK, [HEAD, HONEST_DATASET])[0] == "pass"
    wrong = both(DATASET_CHECK, [HEAD, WRONG_DATASET])
    assert wrong[0] == "fail" and both(DATASET_CHECK, [HEAD, ZEROING_DATASET]) == wrong
    check = "from course_utils.exercises.nb07_generative import check_reparameterise\ncheck_reparameterise(reparameterise)"
    assert (
        both(
            check,
            [
                HEAD,
                "def reparameterise(mu, logvar, eps):\n    return mu + torch.exp(0.5 * logvar) * eps",
            ],
        )[0]
        == "pass"
    )
    zeroing = (
        "def reparameterise(mu, logvar, eps):\n    with torch.no_grad():\n        mu.zero_()\n        logvar.zero_()\n"
        "    return mu + eps"
    )
    state, message = both(check, [HEAD, zeroing])
    assert state == "fail" and "changed mu or logvar in place" in message, message


#: A class that only names itself torch's Dataset.
NAMED_DATASET = (
    HONEST_DATASET.replace("(Dataset)", "")
    + "\nRegressionData.__module__ = 'torch.utils.data.dataset'\nRegressionData.__qualname__ = 'Dataset'"
)


def test_a_class_that_only_names_itself_a_dataset_is_not_one_in_the_grader_either():
    unnamed = both(DATASET_CHECK, [HEAD, HONEST_DATASET.replace("(Dataset)", "")])
    assert unnamed[0] == "fail" and "should inherit from torch.utils.data.Dataset" in unnamed[1]
    assert both(DATASET_CHECK, [HEAD, NAMED_DATASET]) == unnamed
    assert both(DATASET_CHECK, [HEAD, HONEST_DATASET])[0] == "pass"
