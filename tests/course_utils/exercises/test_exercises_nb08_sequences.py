"""The checks of notebook 08's exercises accept right answers and explain each typical mistake."""

import doctest
import math
import re

import pytest
import torch
import torch.nn.functional as F
from both_ways import both

from course_utils.checks import CheckFailed
from course_utils.exercises import nb08_sequences as ex


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_doctests_pass():
    assert doctest.testmod(ex).failed == 0


# ---------------------------------------------------------------- lstm_step


def test_reference_lstm_step_equals_nn_lstm_cell_for_many_steps():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 5)
    x, h, c = torch.randn(7, 4, 3), torch.zeros(4, 5), torch.zeros(4, 5)
    h_ref, c_ref = h, c
    for t in range(7):
        h, c = ex.reference_lstm_step(
            x[t], h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh
        )
        h_ref, c_ref = cell(x[t], (h_ref, c_ref))
    assert torch.allclose(h, h_ref, atol=1e-6) and torch.allclose(c, c_ref, atol=1e-6)


def lstm_parts(x, h, c, W_ih, W_hh, b_ih, b_hh):
    return (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)


def right_but_written_differently(x, h, c, W_ih, W_hh, b_ih, b_hh):
    hidden = h.shape[1]
    W = torch.cat([W_ih, W_hh], dim=1)
    z = F.linear(torch.cat([x, h], dim=1), W, b_ih + b_hh)
    gates = [z[:, k * hidden : (k + 1) * hidden] for k in range(4)]
    c_new = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
    return [gates[3].sigmoid() * c_new.tanh(), c_new]  # a list is fine too


def test_lstm_check_accepts_right_answers(capsys):
    ex.check_lstm_step(ex.reference_lstm_step)
    ex.check_lstm_step(right_but_written_differently)
    assert capsys.readouterr().out.count("✅ lstm_step is correct") == 2


def with_order(order):
    def step(x, h, c, *weights):
        parts = dict(zip(order, lstm_parts(x, h, c, *weights)))
        c = parts["f"].sigmoid() * c + parts["i"].sigmoid() * parts["g"].tanh()
        return parts["o"].sigmoid() * c.tanh(), c

    return step


def variant(h_of, c_of):
    """An LSTM step built from the right parts with a wrong formula for c and/or h."""

    def step(x, h, c, *weights):
        i, f, g, o = lstm_parts(x, h, c, *weights)
        c_new = c_of(i, f, g, c, h)
        return h_of(o, c_new, c), c_new

    return step


right_c = lambda i, f, g, c, h: f.sigmoid() * c + i.sigmoid() * g.tanh()  # noqa: E731
right_h = lambda o, c_new, c: o.sigmoid() * c_new.tanh()  # noqa: E731


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda *args: ex.reference_lstm_step(*args)[0], "should return a pair"),
        (lambda *args: ex.reference_lstm_step(*args)[::-1], r"returned \(c, h\)"),
        (
            lambda *args: (
                ex.reference_lstm_step(*args)[0].tolist(),
                ex.reference_lstm_step(*args)[1],
            ),
            "should be a tensor",
        ),
        (
            lambda x, h, c, W_ih, W_hh, b_ih, b_hh: (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, c),
            "z.chunk",
        ),
        (lambda x, h, c, W_ih, W_hh, b_ih, b_hh: (x @ W_ih + h @ W_hh, c), "raised RuntimeError"),
        (with_order(("i", "f", "o", "g")), "order i, f, o, g"),
        (with_order(("f", "i", "g", "o")), "forget and input gates swapped"),
        (with_order(("i", "g", "f", "o")), "order i, g, f, o"),
        (
            variant(lambda o, c_new, c: o.sigmoid() * c_new, right_c),
            "left out the tanh of the cell",
        ),
        (variant(lambda o, c_new, c: o.sigmoid() * c.tanh(), right_c), "uses the OLD cell"),
        (
            variant(right_h, lambda i, f, g, c, h: f.sigmoid() * c + i.sigmoid() * g.sigmoid()),
            "not with sigmoid",
        ),
        (variant(right_h, lambda i, f, g, c, h: f.sigmoid() * c + i.sigmoid() * g), "needs a tanh"),
        (
            variant(right_h, lambda i, f, g, c, h: f.sigmoid() * c + g.tanh()),
            "without the input gate",
        ),
        (
            variant(right_h, lambda i, f, g, c, h: f.sigmoid() * h + i.sigmoid() * g.tanh()),
            "previous CELL c",
        ),
        (
            variant(lambda o, c_new, c: o.tanh() * c_new.tanh(), right_c),
            "the cell c is right but h is not",
        ),
        (
            variant(right_h, lambda i, f, g, c, h: f.tanh() * c + i.sigmoid() * g.tanh()),
            "differs from nn.LSTMCell",
        ),
    ],
)
def test_lstm_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        ex.check_lstm_step(wrong)


def lstm_step_with_pytorchs_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1])
    with torch.no_grad():
        (
            cell.weight_ih.copy_(W_ih),
            cell.weight_hh.copy_(W_hh),
            cell.bias_ih.copy_(b_ih),
            cell.bias_hh.copy_(b_hh),
        )
    return cell(x, (h, c))


def test_lstm_check_refuses_pytorchs_own_cell():
    with pytest.raises(CheckFailed, match=r"own version \(torch.nn.LSTMCell on line 2"):
        ex.check_lstm_step(lstm_step_with_pytorchs_cell)


# ---------------------------------------------------------------- causal_attention_weights


def test_reference_causal_weights_are_those_of_scaled_dot_product_attention():
    g = torch.Generator().manual_seed(3)
    q, k = torch.randn(2, 5, 4, generator=g), torch.randn(2, 5, 4, generator=g)
    v = torch.eye(5).expand(2, 5, 5)  # identity values: the output is the weight matrix itself
    oracle = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(ex.reference_causal_attention_weights(q, k), oracle, atol=1e-6)


def causal_weights_from_pytorch(q, k):
    identity = torch.eye(q.shape[1]).expand(q.shape[0], -1, -1)
    return F.scaled_dot_product_attention(q, k, identity, is_causal=True)


def test_causal_check_refuses_pytorchs_own_attention():
    with pytest.raises(
        CheckFailed,
        match=r"own version \(F.scaled_dot_product_attention "
        r"\(torch.nn.functional.scaled_dot_product_attention\) on line 3",
    ):
        ex.check_causal_attention_weights(causal_weights_from_pytorch)


def scores(q, k, scale=True):
    return q @ k.transpose(1, 2) / (math.sqrt(q.shape[-1]) if scale else 1)


def future(T):
    return torch.ones(T, T, dtype=torch.bool).triu(1)


def test_causal_check_accepts_right_answers(capsys):
    ex.check_causal_attention_weights(ex.reference_causal_attention_weights)
    ex.check_causal_attention_weights(
        lambda q, k: torch.softmax(
            scores(q, k) + torch.full((q.shape[1],) * 2, float("-inf")).triu(1), dim=-1
        )
    )
    ex.check_causal_attention_weights(  # a loop over rows, one softmax each
        lambda q, k: torch.stack(
            [
                torch.cat(
                    [
                        torch.softmax(scores(q, k)[:, t, : t + 1], dim=-1),
                        torch.zeros(q.shape[0], q.shape[1] - t - 1),
                    ],
                    dim=-1,
                )
                for t in range(q.shape[1])
            ],
            dim=1,
        )
    )
    assert capsys.readouterr().out.count("✅ causal_attention_weights is correct") == 3


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda q, k: torch.softmax(scores(q, k), dim=-1).tolist(), "should return a tensor"),
        (lambda q, k: torch.softmax(scores(q, k), dim=-1)[0], r"expected \(2, 6, 6\)"),
        (lambda q, k: torch.softmax(scores(q, k), dim=-1), "gives weight to later positions"),
        (
            lambda q, k: torch.softmax(scores(q, k).masked_fill(future(q.shape[1]), 0.0), dim=-1),
            "exactly 0",
        ),
        (
            lambda q, k: torch.softmax(
                scores(q, k).masked_fill(future(q.shape[1]).T, float("-inf")), dim=-1
            ),
            "wrong side",
        ),
        (
            lambda q, k: torch.softmax(
                scores(q, k).masked_fill(torch.ones(6, 6, dtype=torch.bool).triu(0), float("-inf")),
                dim=-1,
            ),
            "nan",
        ),
        (
            lambda q, k: torch.softmax(
                scores(q, k).masked_fill(future(q.shape[1]), float("-inf")), dim=1
            ),
            "COLUMNS",
        ),
        (
            lambda q, k: torch.softmax(scores(q, k), dim=-1) * ~future(q.shape[1]),
            "BEFORE the softmax",
        ),
        (
            lambda q, k: torch.softmax(
                scores(q, k, scale=False).masked_fill(future(q.shape[1]), float("-inf")), dim=-1
            ),
            "forgot to scale",
        ),
        (
            lambda q, k: torch.softmax(
                (scores(q, k) / 2).masked_fill(future(q.shape[1]), float("-inf")), dim=-1
            ),
            r"divides the scores by d: divide by its square root, √d \(d = 4 here\)",
        ),
        (
            lambda q, k: torch.softmax(
                (scores(q, k) + torch.eye(q.shape[1])).masked_fill(
                    future(q.shape[1]), float("-inf")
                ),
                dim=-1,
            ),
            "right mask but wrong weights",
        ),
    ],
)
def test_causal_check_rejects_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        ex.check_causal_attention_weights(wrong)


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = "import math\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
LSTM_CHECK = (
    "from course_utils.exercises.nb08_sequences import check_lstm_step\ncheck_lstm_step(lstm_step)"
)
LSTM = """def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = z.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c"""


@pytest.mark.parametrize(
    "answer",
    [
        """def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    gates = [x @ wi.T + bi + h @ wh.T + bh
             for wi, wh, bi, bh in zip(W_ih.chunk(4), W_hh.chunk(4), b_ih.chunk(4), b_hh.chunk(4))]
    i, f, g, o = gates
    c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_new.tanh(), c_new""",
        LSTM.replace(
            "x @ W_ih.T + b_ih + h @ W_hh.T + b_hh",
            "F.linear(x, W_ih, b_ih) + F.linear(h, W_hh, b_hh)",
        ),
    ],
)
def test_right_lstm_steps_pass_both_ways(answer):
    assert both(LSTM_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            LSTM.replace("i, f, g, o = z.chunk", "i, f, o, g = z.chunk"),
            "you used the gates in the order i, f, o, g",
        ),
        (
            LSTM.replace(
                "i, f, g, o = z.chunk(4, dim=1)",
                "i, f, g, o = z[:, :4], z[:, 4:8], z[:, 8:12], z[:, 12:16]",
            ),
            r"right for the first case but not for a batch of 2, 3 inputs and a state of 6 \(a size typed in\? .*\): "
            r"lstm_step raised RuntimeError: .* Likely cause: two tensors whose shapes do not broadcast together",
        ),
        (
            LSTM.replace("x @ W_ih.T", "x @ W_ih"),
            r"lstm_step raised RuntimeError: .* Likely cause: a matrix product got shapes "
            "that do not fit",
        ),
        (
            LSTM.replace("torch.sigmoid(o) * torch.tanh(c)", "torch.sigmoid(o) * c")
            .replace("h = ", "h_new = ")
            .replace("return h, c", "return h_new, c"),
            "the new h should be o · tanh\\(c_new\\)",
        ),
        (
            "from torch import nn as layers\ndef lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):\n"
            "    cell = layers.LSTMCell(x.shape[1], h.shape[1])\n    return cell(x, (h, c))",
            r"uses PyTorch's own version \(layers.LSTMCell \(torch.nn.LSTMCell\) on line 2 of lstm_step\)",
        ),
        (
            "def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):\n    return getattr(torch, 'lstm_cell')(x, (h, c), W_ih, W_hh, "
            "b_ih, b_hh)",
            r"own version \(getattr\(torch, 'lstm_cell'\) \(torch.lstm_cell\) on line 2",
        ),
        (LSTM.replace("return h, c", "return c, h"), r"lstm_step: it returned \(c, h\)"),
    ],
)
def test_wrong_lstm_steps_get_their_message_both_ways(answer, match):
    state, message = both(LSTM_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message


CAUSAL_CHECK = (
    "from course_utils.exercises.nb08_sequences import check_causal_attention_weights\n"
    "check_causal_attention_weights(causal_attention_weights)"
)
CAUSAL = """def causal_attention_weights(q, k):
    T = q.shape[1]
    scores = q @ k.transpose(1, 2) / k.shape[-1] ** 0.5
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)"""


@pytest.mark.parametrize(
    "answer",
    [
        """def causal_attention_weights(q, k):
    keep = torch.tril(torch.ones(q.shape[1], q.shape[1], dtype=torch.bool))
    scores = torch.bmm(q, k.permute(0, 2, 1)) / math.sqrt(q.size(-1))
    return torch.where(keep, scores, torch.tensor(float("-inf"))).softmax(-1)""",
        """def causal_attention_weights(q, k):
    T = q.shape[-2]
    return F.softmax(q @ k.mT / math.sqrt(q.shape[-1]) + torch.full((T, T), -math.inf).triu(1), dim=2)""",
    ],
)
def test_right_causal_weights_pass_both_ways(answer):
    assert both(CAUSAL_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, match",
    [
        (
            CAUSAL.replace("dtype=torch.bool", "dtype=torch.float32"),
            r"RuntimeError: .*Likely cause: the mask must be a bool tensor",
        ),
        (
            CAUSAL.replace("torch.ones(T, T,", "torch.ones(6, 6,"),
            r"right for 6 positions of 4 dimensions but not for 5 "
            r"positions of 9 \(a size typed in\? .*Likely cause: two "
            "tensors whose shapes do not broadcast",
        ),
        (
            CAUSAL.replace("k.shape[-1] ** 0.5", "2"),
            r"not for 5 positions of 9 .*: it divides the scores by 2 = √4",
        ),
        (CAUSAL.replace('float("-inf")', "0.0"), "a masked weight must be exactly 0"),
        (CAUSAL.replace("dim=-1", "dim=1"), "COLUMNS sum to 1"),
        (
            "from torch.nn.functional import scaled_dot_product_attention as attend\n"
            "def causal_attention_weights(q, k):\n    eye = torch.eye(q.shape[1]).expand(q.shape[0], -1, -1)\n"
            "    return attend(q, k, eye, is_causal=True)",
            r"own version \(attend \(torch.nn.functional.scaled_dot_product_attention\) on line 3",
        ),
        (
            "def causal_attention_weights(q, k):\n    layer = nn.MultiheadAttention(q.shape[-1], 1, batch_first=True)\n"
            "    return layer(q, k, k, need_weights=True)[1]",
            r"own version \(nn.MultiheadAttention",
        ),
    ],
)
def test_wrong_causal_weights_get_their_message_both_ways(answer, match):
    state, message = both(CAUSAL_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(match, message), message
