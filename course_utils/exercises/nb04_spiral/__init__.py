"""Checks for the exercises of notebook 04 (spiral classification): a network class of any depth
and width (exercise 3.1) and a training loop with early stopping (exercise 9.1).

Both are checked on behaviour, through calls only, so that ``course grade`` checks them the same
way across its sandbox: the network by its number of parameters, its outputs, and its weights set
by the check (which show its activation, its dropout and its output layer exactly); the loop on a
check network with BatchNorm and dropout (so that forgetting ``eval()`` or ``train()`` changes the
losses), at three settings of patience, epochs and learning rate.

The package's modules: ``spiral_net`` (exercise 3.1) and ``early_stopping`` (exercise 9.1);
every name is imported from here, as notebook 04 does.
"""

from course_utils.exercises.nb04_spiral.early_stopping import (
    check_early_stopping,
    reference_early_stopping,
    reference_train_early_stopping,
)
from course_utils.exercises.nb04_spiral.spiral_net import (
    check_spiral_net,
    reference_parameters,
    reference_SpiralNet,
)

__all__ = [
    "check_early_stopping",
    "check_spiral_net",
    "reference_SpiralNet",
    "reference_early_stopping",
    "reference_parameters",
    "reference_train_early_stopping",
]
