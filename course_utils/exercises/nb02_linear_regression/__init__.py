"""Checks for the exercises of notebook 02 · Linear regression, and its homework.

The homework data come from ``make_homework_data(seed)``: each student uses their own seed,
so each gets different true weights. ``grade_homework`` scores a submission the way the
teacher does; ``check_homework`` prints that score in the notebook.

The package's modules: ``gradients`` (the RMSE, the MSE's gradients by hand, standardising),
``training_loop`` (a ``Dataset`` of one's own, ``train_sgd``) and ``homework``; every name is
imported from here, as notebook 02 does.
"""

from course_utils.exercises.nb02_linear_regression.gradients import (
    check_mse_gradients,
    check_rmse,
    check_standardize,
    reference_mse_gradients,
    reference_rmse,
    reference_standardize,
)
from course_utils.exercises.nb02_linear_regression.homework import (
    HOMEWORK_FEATURES,
    HomeworkData,
    HomeworkItem,
    check_homework,
    grade_homework,
    make_homework_data,
)
from course_utils.exercises.nb02_linear_regression.training_loop import (
    check_dataset,
    check_training_loop,
    reference_RegressionData,
    reference_train_sgd,
)

__all__ = [
    "HOMEWORK_FEATURES",
    "HomeworkData",
    "HomeworkItem",
    "check_dataset",
    "check_homework",
    "check_mse_gradients",
    "check_rmse",
    "check_standardize",
    "check_training_loop",
    "grade_homework",
    "make_homework_data",
    "reference_RegressionData",
    "reference_mse_gradients",
    "reference_rmse",
    "reference_standardize",
    "reference_train_sgd",
]
