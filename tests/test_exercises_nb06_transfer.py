"""The check of notebook 06's exercise accepts right answers and explains each typical mistake."""

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.exercises import nb06_transfer as transfer


def stub(network, images, batch_size=32):
    raise NotImplementedError()


def test_frozen_features_accepts_right_answers_written_differently(capsys):
    transfer.check_frozen_features(transfer.reference_frozen_features)

    def with_inference_mode(network, images, batch_size=32):
        with torch.inference_mode():
            network.eval()
            return torch.cat([network(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])

    transfer.check_frozen_features(with_inference_mode)
    assert capsys.readouterr().out.count("✅ frozen_features is correct") == 2


def no_eval(network, images, batch_size=32):
    with torch.no_grad():
        return torch.cat([network(b) for b in images.split(batch_size)])


def eval_without_no_grad(network, images, batch_size=32):
    network.eval()
    return torch.cat([network(b) for b in images.split(batch_size)])


def drops_the_last_batch(network, images, batch_size=32):
    network.eval()
    with torch.no_grad():
        return torch.cat([network(b) for b in images.split(batch_size) if len(b) == batch_size])


def returns_a_list(network, images, batch_size=32):
    network.eval()
    with torch.no_grad():
        return [network(b) for b in images.split(batch_size)]


def stacks_batches(network, images, batch_size=32):
    network.eval()
    with torch.no_grad():
        return torch.stack([network(b).sum(0) for b in images.split(batch_size)] + [torch.zeros(4)] * 7)


@pytest.mark.parametrize("wrong, message", [
    (stub, "not written yet"),
    (no_eval, "Call network.eval"),
    (eval_without_no_grad, "torch.no_grad"),
    (drops_the_last_batch, "last .smaller. batch"),
    (returns_a_list, "return one tensor"),
])
def test_frozen_features_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        transfer.check_frozen_features(wrong)


def test_forgetting_eval_is_caught_by_the_outputs_too():
    """When graded the network's state stays in the sandbox: the features alone must give the mistake away."""
    def restores_the_statistics(network, images, batch_size=32):
        saved = {k: v.clone() for k, v in network.state_dict().items()}
        out = no_eval(network, images, batch_size)
        network.load_state_dict(saved)
        return out

    with pytest.raises(CheckFailed, match="not the frozen network's"):
        transfer.check_frozen_features(restores_the_statistics)
