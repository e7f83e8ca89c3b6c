"""Checks for the notebooks' exercises, one module per notebook: ``nbNN_topic`` holds the
checks of notebook NN (``nb02_linear_regression`` for ``02_linear_regression.ipynb``).

Each check takes the student's answer (usually a function), runs it through
``course_utils.checks.call_student`` and compares it with a reference, so a stub
(``raise NotImplementedError()``) and a wrong answer both get an actionable message.
"""

__all__: list[str] = []  # import the module of notebook NN: course_utils.exercises.nbNN_topic
