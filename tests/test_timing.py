import pytest
import torch

from course_utils.timing import median_time


def test_median_time_counts_calls_and_returns_seconds():
    calls = []
    seconds = median_time(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5
    assert 0 <= seconds < 1


def test_median_time_ignores_one_slow_run():
    import time
    delays = iter([0.0, 0.05, 0.0, 0.0])
    seconds = median_time(lambda: time.sleep(next(delays)), repeats=3, warmup=1)
    assert seconds < 0.04


@pytest.mark.parametrize("kwargs, pattern", [
    ({"repeats": 0}, "repeats must be a positive int"),
    ({"warmup": -1}, "warmup must be an int >= 0"),
])
def test_median_time_rejects_bad_settings(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        median_time(lambda: None, **kwargs)


def test_median_time_needs_a_function():
    with pytest.raises(TypeError, match="wrap your call in a lambda"):
        median_time(torch.ones(2))
