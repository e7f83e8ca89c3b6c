import pytest
import torch

from course_utils import device as dev
from course_utils.device import DeviceNotAvailableError, describe_device, get_device


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.delenv(dev.ENV_VAR, raising=False)


@pytest.fixture
def one_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.delenv(dev.ENV_VAR, raising=False)


def test_auto_falls_back_to_cpu(no_gpu):
    assert get_device() == torch.device("cpu")
    assert dev.available_devices() == ["cpu"]


def test_auto_prefers_cuda_then_mps(one_cuda, monkeypatch):
    assert get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert dev.available_devices() == ["cuda:0", "mps", "cpu"]
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert get_device() == torch.device("mps")


def test_explicit_names(one_cuda):
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(" CUDA ") == torch.device("cuda")
    assert get_device("cuda:0") == torch.device("cuda:0")


def test_environment_variable_overrides_auto(one_cuda, monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("cuda") == torch.device("cuda")  # the argument wins over the variable


def test_unknown_name_says_what_is_allowed(no_gpu):
    with pytest.raises(ValueError) as err:
        get_device("tpu")
    message = str(err.value)
    assert "'tpu'" in message and "argument" in message
    for option in ("auto", "cpu", "cuda", "mps"):
        assert option in message


def test_unknown_name_from_environment_names_the_variable(no_gpu, monkeypatch):
    monkeypatch.setenv(dev.ENV_VAR, "gpu")
    with pytest.raises(ValueError, match=r"\$COURSE_DEVICE"):
        get_device()


def test_auto_with_index_is_rejected(no_gpu):
    with pytest.raises(ValueError, match="auto"):
        get_device("auto:1")


def test_non_string_name_is_rejected(no_gpu):
    with pytest.raises(TypeError, match="string"):
        get_device(0)


def test_missing_cuda_says_what_exists_and_how_to_fix(no_gpu):
    with pytest.raises(DeviceNotAvailableError) as err:
        get_device("cuda")
    message = str(err.value)
    assert "'cuda'" in message
    assert "only has: cpu" in message
    assert "Change runtime type" in message and "COURSE_DEVICE" in message


def test_missing_gpu_number(one_cuda):
    with pytest.raises(DeviceNotAvailableError, match="'cuda:3'.*cuda:0, cpu"):
        get_device("cuda:3")


def test_missing_mps_explains_requirement(no_gpu):
    with pytest.raises(DeviceNotAvailableError, match="Apple-silicon"):
        get_device("mps")


def test_describe_cpu_is_one_line():
    line = describe_device(torch.device("cpu"))
    assert line.startswith("Using cpu") and torch.__version__ in line and "\n" not in line


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_describe_cuda_names_the_gpu():
    assert torch.cuda.get_device_name(0) in describe_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (make gpu-check)")
def test_a_real_gpu_is_chosen_and_usable(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)
    assert get_device() == torch.device("cuda") and dev.available_devices()[0] == "cuda:0"
    monkeypatch.setenv(dev.ENV_VAR, "cuda")
    model = torch.nn.Linear(2, 1).to(get_device())
    assert dev.model_device(model).type == "cuda"
    assert model(torch.ones(3, 2, device="cuda")).shape == (3, 1)
