"""The checks of notebook 09's exercises accept right answers and explain each typical mistake."""

import doctest
import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.checks import CheckFailed
from course_utils.exercises import nb09_transformers as ex


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_doctests_pass():
    assert doctest.testmod(ex).failed == 0


# ---------------------------------------------------------------- the references against PyTorch


class TorchBlock(nn.Module):
    """Notebook 09's pre-norm causal block built from PyTorch's own layers: the oracle for the reference."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        T = x.shape[1]
        h = self.norm1(x)
        x = (
            x
            + self.attn(
                h, h, h, attn_mask=torch.ones(T, T, dtype=torch.bool).triu(1), need_weights=False
            )[0]
        )
        return x + self.mlp(self.norm2(x))

    def weights(self):
        """The weights under the names of notebook 09's Block (its qkv and out layers are PyTorch's in_proj, out_proj)."""
        names = {
            "attn.in_proj_weight": "attn.qkv.weight",
            "attn.in_proj_bias": "attn.qkv.bias",
            "attn.out_proj.weight": "attn.out.weight",
            "attn.out_proj.bias": "attn.out.bias",
        }
        return {names.get(k, k): v.detach().clone() for k, v in self.state_dict().items()}


@pytest.mark.parametrize("dim, heads", [(12, 3), (16, 4), (8, 1)])
def test_reference_block_equals_pytorchs_layers(dim, heads):
    torch.manual_seed(dim)
    block = TorchBlock(dim, heads)
    for param in (
        block.parameters()
    ):  # move away from the default init (ones, zeros) so every weight matters
        nn.init.normal_(param, std=0.5)
    x = torch.randn(3, 7, dim)
    p = block.weights()
    assert set(p) == set(ex.BLOCK_WEIGHTS)
    with torch.no_grad():
        assert torch.allclose(ex.reference_block_forward(x, p, heads), block(x), atol=1e-5)


def test_reference_heads_follow_nn_multihead_attentions_layout():
    """Head i of nn.MultiheadAttention uses features i·d to (i+1)·d − 1: our split gives it those."""
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True, bias=False)
    x = torch.randn(1, 5, 8)
    q, k, v = (x @ mha.in_proj_weight.T).chunk(3, dim=-1)
    q, k, v = (ex.reference_split_heads(t, 2) for t in (q, k, v))
    weights = torch.softmax(q @ k.transpose(-2, -1) / 2, dim=-1)
    _, theirs = mha(x, x, x, average_attn_weights=False)
    assert torch.allclose(weights, theirs, atol=1e-6)


def test_every_mistake_changes_the_output_and_no_two_coincide():
    x, p, heads = ex._block_case()
    outputs = [ex.reference_block_forward(x, p, heads)] + [
        ex._block(x, p, heads, **s) for s, _ in ex._MISTAKES
    ]
    margin = 2 * ex._TOLERANCE  # apart by more than twice what the check tolerates
    for a, b in itertools.combinations(range(len(outputs)), 2):
        assert not torch.allclose(outputs[a], outputs[b], atol=margin, rtol=margin), (a, b)


# ---------------------------------------------------------------- split_heads and merge_heads


def split_with_einsum_free_reshape(x, n_heads):
    batch, time, dim = x.shape
    return x.reshape(batch, time, n_heads, -1).permute(0, 2, 1, 3)


def split_with_a_loop(x, n_heads):
    d = x.shape[-1] // n_heads
    return torch.stack([x[..., h * d : (h + 1) * d] for h in range(n_heads)], dim=1)


def merge_with_cat(x):
    return torch.cat(x.unbind(dim=1), dim=-1)


def test_heads_checks_accept_right_answers(capsys):
    for split in (ex.reference_split_heads, split_with_einsum_free_reshape, split_with_a_loop):
        ex.check_split_heads(split)
    for merge in (
        ex.reference_merge_heads,
        merge_with_cat,
        lambda x: x.permute(0, 2, 1, 3).flatten(2),
    ):
        ex.check_merge_heads(merge)
    out = capsys.readouterr().out
    assert (
        out.count("✅ split_heads is correct") == 3 and out.count("✅ merge_heads is correct") == 3
    )


def no_transpose_split(x, n_heads):
    batch, time, dim = x.shape
    return x.view(batch, time, n_heads, dim // n_heads)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda x, n: None, "returned None"),
        (lambda x, n: x.numpy(), "should return a tensor"),
        (no_transpose_split, "heads must come before time"),
        (lambda x, n: x.view(x.shape[0], n, x.shape[1], -1), "cuts the TIME axis"),
        (
            lambda x, n: x.view(x.shape[0], x.shape[1], -1, n).permute(0, 3, 1, 2),
            "every 3-th feature",
        ),
        (
            lambda x, n: x.view(x.shape[0], x.shape[1], 3, -1).transpose(1, 2),
            "made 3 heads: use the argument n_heads",
        ),  # 3 heads whatever n_heads says
        (
            lambda x, n: x.view(x.shape[0], x.shape[1], n, -1).transpose(1, 2) * 2,
            "right shape but head 1",
        ),
        (lambda x, n: x.unsqueeze(1), "made 1 heads"),
        (lambda x, n: x, r"expected \(2, 3, 5, 4\)"),
        (lambda x, n: x.view(x.shape[0], x.shape[1], n, -1).transpose(1, 2) / 0, "nan or inf"),
    ],
)
def test_split_check_names_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        ex.check_split_heads(wrong)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda x: x.tolist(), "should return a tensor"),
        (lambda x: x.reshape(x.shape[0], x.shape[2], -1), "merges the heads in the wrong order"),
        (lambda x: x.transpose(1, 2).view(x.shape[0], x.shape[2], -1), r"\.reshape\(\.\.\.\)"),
        (lambda x: x.transpose(1, 2), "also join the last two dimensions"),
        (
            lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], -1),
            "interleaves the heads",
        ),
        (lambda x: torch.cat(x.unbind(dim=1), dim=1), r"expected \(2, 5, 12\)"),
        (lambda x: ex.reference_merge_heads(x).flip(-1), "right shape but wrong values"),
    ],
)
def test_merge_check_names_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        ex.check_merge_heads(wrong)


# ---------------------------------------------------------------- block_forward


def layer_norm(x, w, b):
    return F.layer_norm(x, x.shape[-1:], w, b, eps=1e-5)


def block_with_f_layer_norm_and_a_loop_over_heads(x, p, n_heads):
    """Right, written differently: F.layer_norm, F.linear, one head at a time, a -inf matrix added."""
    T, D = x.shape[1], x.shape[2]
    d = D // n_heads
    h = layer_norm(x, p["norm1.weight"], p["norm1.bias"])
    q, k, v = F.linear(h, p["attn.qkv.weight"], p["attn.qkv.bias"]).split(D, dim=-1)
    minus_inf = torch.full((T, T), float("-inf")).triu(1)
    heads = []
    for i in range(n_heads):
        s = slice(i * d, (i + 1) * d)
        heads.append(
            torch.softmax(q[..., s] @ k[..., s].mT / math.sqrt(d) + minus_inf, dim=-1) @ v[..., s]
        )
    x = x + F.linear(torch.cat(heads, dim=-1), p["attn.out.weight"], p["attn.out.bias"])
    m = F.linear(
        F.gelu(
            F.linear(
                layer_norm(x, p["norm2.weight"], p["norm2.bias"]),
                p["mlp.0.weight"],
                p["mlp.0.bias"],
            )
        ),
        p["mlp.2.weight"],
        p["mlp.2.bias"],
    )
    return x + m


def test_block_check_accepts_right_answers(capsys):
    ex.check_block_forward(ex.reference_block_forward)
    ex.check_block_forward(block_with_f_layer_norm_and_a_loop_over_heads)
    assert capsys.readouterr().out.count("✅ block_forward is correct") == 2


def mistake(**switches):
    return lambda x, p, n_heads: ex._block(x, p, n_heads, **switches)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (stub, "not written yet"),
        (lambda x, p, n: None, "returned None"),
        (lambda x, p, n: x[:, -1], "keeps the shape of its input"),
        (mistake(scale="model"), "√dim, the width of the whole model"),
        (mistake(scale="none"), "not scaled"),
        (mistake(mask="past"), "mask is on the wrong side"),
        (mistake(mask="none"), "no causal mask"),
        (mistake(merge="wrong"), "heads are merged in the wrong order"),
        (mistake(split="time"), "split from the wrong axis"),
        (mistake(norm_dim=1), "layer norm is taken over the wrong dimension"),
        (mistake(norm_dim=0), "over the batch"),
        (mistake(unbiased=True), "unbiased variance"),
        (mistake(affine=False), "learned scale and shift"),
        (mistake(post_norm=True), "post-norm"),
        (mistake(residual=(False, True)), "attention part has no residual"),
        (mistake(residual=(True, False)), "MLP part has no residual"),
        (mistake(residual=(False, False)), "neither part"),
        (mistake(activation="relu"), "ReLU"),
        (mistake(activation="tanh-gelu"), "tanh approximation"),
        (mistake(softmax_dim=-2), "over the queries"),
        (lambda x, p, n: x @ p["attn.qkv.weight"], "x @ W.T"),
        (lambda x, p, n: x + p["attn.weight"][0], "weights are named"),
        (lambda x, p, n: ex.reference_block_forward(x, p, n) * 1.01, "differs from the block's"),
    ],
)
def test_block_check_names_typical_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        ex.check_block_forward(wrong)


def block_with_pytorchs_attention(x, p, n_heads):
    q, k, v = (x @ p["attn.qkv.weight"].T).chunk(3, dim=-1)
    return x + F.scaled_dot_product_attention(q, k, v, is_causal=True)


def test_block_check_refuses_pytorchs_own_attention():
    with pytest.raises(CheckFailed, match=r"own attention \(.*scaled_dot_product_attention"):
        ex.check_block_forward(block_with_pytorchs_attention)
