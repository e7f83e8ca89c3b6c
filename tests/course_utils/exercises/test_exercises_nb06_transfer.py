"""The check of notebook 06's exercise accepts right answers and explains each typical mistake."""

import re

import pytest
import torch
from both_ways import both

from course_utils.checks import CheckFailed
from course_utils.exercises import nb06_transfer as transfer


def stub(network, images, batch_size=32):
    raise NotImplementedError()


def test_frozen_features_accepts_right_answers_written_differently(capsys):
    transfer.check_frozen_features(transfer.reference_frozen_features)

    def with_inference_mode(network, images, batch_size=32):
        with torch.inference_mode():
            network.eval()
            return torch.cat(
                [network(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
            )

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
        return torch.stack(
            [network(b).sum(0) for b in images.split(batch_size)] + [torch.zeros(4)] * 7
        )


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (no_eval, r"in training mode: call network.eval\(\) first"),
        (eval_without_no_grad, "torch.no_grad"),
        (drops_the_last_batch, "last .smaller. batch"),
        (returns_a_list, "return one tensor"),
    ],
)
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

    with pytest.raises(CheckFailed, match="in training mode: call network.eval"):
        transfer.check_frozen_features(restores_the_statistics)


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = "import torch\nfrom torch import nn\n"
CHECK = "from course_utils.exercises.nb06_transfer import check_frozen_features\ncheck_frozen_features(frozen_features)"
RIGHT = """def frozen_features(network, images, batch_size=32):
    network.eval()
    with torch.no_grad():
        return torch.cat([network(batch) for batch in images.split(batch_size)])"""


@pytest.mark.parametrize(
    "answer",
    [
        """def frozen_features(network, images, batch_size=32):
    network.train(False)
    for p in network.parameters():
        p.requires_grad_(False)
    loader = torch.utils.data.DataLoader(images, batch_size=batch_size)
    return torch.cat([network(batch) for batch in loader])""",
        """def frozen_features(network, images, batch_size=32):
    network.eval()
    outputs = []
    for start in range(0, len(images), batch_size):
        with torch.inference_mode():
            outputs.append(network(images[start:start + batch_size]))
    return torch.cat(outputs)""",
    ],
)
def test_right_answers_pass_both_ways(answer):
    assert both(CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            RIGHT.replace("    network.eval()\n", ""),
            r"in training mode: call network.eval\(\) first",
        ),
        (
            RIGHT.replace("    network.eval()\n", "").replace(
                "        return torch.cat(", "        out = torch.cat("
            )
            + "\n    network.eval()\n    return out",
            "in training mode",
        ),
        (
            RIGHT.replace("    with torch.no_grad():\n        return", "    return"),
            "carry a graph for gradients",
        ),
        (
            RIGHT.replace("images.split(batch_size)", "images.split(32)"),
            r"frozen_features\(network, 10 images, batch_size=4\) ran the network on its images all at once: use the argument "
            "batch_size",
        ),
        (RIGHT.replace("images.split(batch_size)", "images.split(1)"), "one image at a time"),
        (
            RIGHT.replace("torch.cat(", "torch.stack("),
            r"frozen_features raised RuntimeError: .*Likely cause: torch.stack needs "
            r"tensors of one shape",
        ),
        (
            RIGHT.replace(
                "for batch in images.split(batch_size)",
                "for batch in images.split(batch_size) if len(batch) == batch_size",
            ),
            "gave 8 rows for 10 images: every image once, the last \\(smaller\\) batch included",
        ),
    ],
)
def test_wrong_answers_get_their_message_both_ways(answer, match):
    state, message = both(CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message
