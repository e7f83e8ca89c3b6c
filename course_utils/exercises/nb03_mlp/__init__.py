"""Checks for the exercises of notebook 03 (the multilayer perceptron).

The package's modules: ``parameters_and_bce`` (exercises 8.1 and 8.2: ``count_parameters``,
``bce``), ``xor_mlp`` (exercise 8.3's network, ``XorMLP``, and the XOR data) and ``training_loop``
(exercise 8.3's loop, ``train``); every name is imported from here, as notebook 03 does.
"""

from course_utils.exercises.nb03_mlp.parameters_and_bce import (
    check_bce,
    check_count_parameters,
    reference_count_parameters,
)
from course_utils.exercises.nb03_mlp.training_loop import check_train
from course_utils.exercises.nb03_mlp.xor_mlp import XOR_X, XOR_Y, check_xor_mlp

__all__ = [
    "XOR_X",
    "XOR_Y",
    "check_bce",
    "check_count_parameters",
    "check_train",
    "check_xor_mlp",
    "reference_count_parameters",
]
