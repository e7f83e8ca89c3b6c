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


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"repeats": 0}, "repeats must be a positive int"),
        ({"warmup": -1}, "warmup must be an int >= 0"),
    ],
)
def test_median_time_rejects_bad_settings(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        median_time(lambda: None, **kwargs)


def test_median_time_needs_a_function():
    with pytest.raises(TypeError, match="wrap your call in a lambda"):
        median_time(torch.ones(2))


def test_compare_devices_builds_each_device_once_and_times_its_step():
    from course_utils.timing import compare_devices

    built, calls = [], []

    def make_step(device):
        built.append(device)
        return lambda: calls.append(device)

    times = compare_devices(make_step, ["cpu"], repeats=3, warmup=1)
    assert list(times) == ["cpu"] and times["cpu"] >= 0
    assert built == [torch.device("cpu")] and len(calls) == 4


def test_compare_devices_defaults_to_the_devices_here():
    from course_utils.device import available_devices
    from course_utils.timing import compare_devices

    times = compare_devices(lambda d: lambda: torch.ones(2, device=d).sum(), repeats=1, warmup=0)
    assert set(times) == {name.split(":")[0] for name in available_devices()}


def test_compare_devices_explains_a_step_that_is_not_a_function():
    from course_utils.timing import compare_devices

    with pytest.raises(TypeError, match="return the step itself"):
        compare_devices(lambda d: 3, ["cpu"])
    with pytest.raises(ValueError, match="devices is empty"):
        compare_devices(lambda d: lambda: None, [])


def test_pick_faster_device_tries_one_thread_and_keeps_it_only_when_it_wins(capsys):
    import time

    from course_utils.timing import pick_faster_device

    def make_step(slow_on_one_thread: bool):
        def step() -> None:  # sleeps longer on the thread count that should lose
            one = torch.get_num_threads() == 1
            time.sleep(0.02 if one == slow_on_one_thread else 0.001)

        return lambda device: step

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert pick_faster_device(make_step(slow_on_one_thread=False), ["cpu"]) == torch.device(
            "cpu"
        )
        assert torch.get_num_threads() == 1
        assert "cpu (2 threads)" in capsys.readouterr().out
        torch.set_num_threads(2)
        pick_faster_device(make_step(slow_on_one_thread=True), ["cpu"])
        assert torch.get_num_threads() == 2
        assert "-> training on cpu (2 threads)" in capsys.readouterr().out
    finally:
        torch.set_num_threads(before)
