"""Checks for the notebooks' exercises, one module per notebook topic.

Each check takes the student's answer (usually a function), runs it through
``course_utils.checks.call_student`` and compares it with a reference, so a stub
(``raise NotImplementedError()``) and a wrong answer both get an actionable message.
"""
