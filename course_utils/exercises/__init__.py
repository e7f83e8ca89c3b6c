"""Checks for the notebooks' exercises, one module per notebook: ``nbNN_topic`` holds the
checks of notebook NN (``nb02_linear_regression`` for ``02_linear_regression.ipynb``).

Each check takes the student's answer (usually a function), runs it through
``course_utils.checks.call_student`` and compares it with a reference, so a stub
(``raise NotImplementedError()``) and a wrong answer both get an actionable message.

The course's own solution of an answer ``NAME`` (a function or a class), where it has one, is
``reference_NAME`` in the same module, and the check passes it. The student version of a notebook
keeps a commented "stuck?" line after each exercise that has one (``course_tools.student``),
``from course_utils.exercises.nb07_generative import reference_vae_loss as vae_loss``, so that a
stuck student can go on with the lab; ``course grade`` gives such an answer no points.
"""

__all__: list[str] = []  # import the module of notebook NN: course_utils.exercises.nbNN_topic
