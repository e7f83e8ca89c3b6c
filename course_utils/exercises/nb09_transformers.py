"""Checks for the exercises of notebook 09 (Transformers: heads split and merged, a pre-norm block).

Each check compares the student's answer with a reference that the tests compare with PyTorch
itself (``nn.MultiheadAttention``, ``nn.LayerNorm``, ``nn.GELU``), and names the typical mistake
when the answer equals one of them: heads cut from the time axis or merged in the wrong order,
the scores scaled by the wrong factor or not at all, the mask on the wrong side, layer norm over
the wrong dimension, the norm after the addition instead of before it, a missing residual.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_utils.checks import CheckFailed, call_student, passed, rule_on_how

__all__ = [
    "BLOCK_WEIGHTS",
    "check_block_forward",
    "check_merge_heads",
    "check_split_heads",
    "reference_block_forward",
    "reference_merge_heads",
    "reference_split_heads",
]

#: PyTorch's ready-made attention and Transformer layers, however reached: the exercise asks for the computation.
_READY = ("torch.*attention*", "torch.*Attention*", "torch.*Transformer*")
#: The names of a Block's weights (notebook 09, section 3), as ``dict(block.state_dict())`` gives them.
BLOCK_WEIGHTS = (
    "norm1.weight",
    "norm1.bias",
    "norm2.weight",
    "norm2.bias",
    "attn.qkv.weight",
    "attn.qkv.bias",
    "attn.out.weight",
    "attn.out.bias",
    "mlp.0.weight",
    "mlp.0.bias",
    "mlp.2.weight",
    "mlp.2.bias",
)
_EPS = 1e-5
#: How close a block's output must be: float32 rounding is about 1e-6 here, the tanh form of GELU 3e-4 away.
_TOLERANCE = 2e-5


# ---------------------------------------------------------------- split and merge heads


def reference_split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """``(batch, time, dim)`` to ``(batch, heads, time, dim // heads)``; head i takes features i·d to (i+1)·d − 1.

    Example:
        >>> reference_split_heads(torch.arange(8.).view(1, 2, 4), 2)[0, 1].tolist()  # head 2: features 2 and 3
        [[2.0, 3.0], [6.0, 7.0]]
    """
    batch, time, dim = x.shape
    return x.view(batch, time, n_heads, dim // n_heads).transpose(1, 2)


def reference_merge_heads(x: torch.Tensor) -> torch.Tensor:
    """``(batch, heads, time, d)`` back to ``(batch, time, heads · d)``: the inverse of ``reference_split_heads``.

    Example:
        >>> x = torch.randn(2, 5, 12)
        >>> torch.equal(reference_merge_heads(reference_split_heads(x, 3)), x)
        True
    """
    batch, heads, time, d = x.shape
    return x.transpose(1, 2).reshape(batch, time, heads * d)


def _tensor_answer(got: object, name: str, what: str) -> torch.Tensor:
    if got is None:
        raise CheckFailed(f"{name} returned None: end it with `return` and the {what}.")
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"{name} should return a tensor (the {what}), got {type(got).__name__}.")
    got = got.detach()
    if got.is_floating_point() and not torch.isfinite(got).all():
        raise CheckFailed(
            f"{name} returned nan or inf values: look for a division by zero, or a row of scores that "
            "is -inf everywhere."
        )
    return got.to("cpu", torch.float64)


def _call_reshaping(fn: Callable[..., object], *args: object, name: str) -> object:
    """Call the student's function; a ``view`` of a transposed tensor gets its own explanation."""
    try:
        return call_student(fn, *args, name=name)
    except CheckFailed as err:
        if "view size is not compatible" in str(err) or "contiguous" in str(err):
            raise CheckFailed(
                f"{name}: after a transpose the numbers are no longer stored in order, so .view() "
                "cannot regroup them: use .reshape(...) (or .contiguous().view(...))."
            ) from None
        raise


def _judge(
    got: torch.Tensor,
    want: torch.Tensor,
    *,
    wrong_shape: str,
    mistakes: tuple[tuple[torch.Tensor, str], ...],
    wrong_values: Callable[[torch.Tensor, torch.Tensor], str],
) -> None:
    """Raise ``wrong_shape`` unless ``got`` has ``want``'s shape; then the message of the first
    typical mistake, ``(its values, message)``, that ``got`` equals; then ``wrong_values(got,
    want)`` unless ``got`` is ``want``."""
    if tuple(got.shape) != tuple(want.shape):
        raise CheckFailed(wrong_shape)
    for wrong, message in mistakes:
        if torch.allclose(got, wrong.double()):
            raise CheckFailed(message)
    if not torch.allclose(got, want.double()):
        raise CheckFailed(wrong_values(got, want))


def check_split_heads(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """Check a student's ``split_heads(x, n_heads)``: shape and values, for 3 and 2 heads.

    Example:
        >>> check_split_heads(reference_split_heads)
        ✅ split_heads is correct ((batch, time, dim) to (batch, heads, time, d), for 3 and 2 heads)
    """
    name = "split_heads"
    gen = torch.Generator().manual_seed(9)
    for batch, time, dim, heads in (
        (2, 5, 12, 3),
        (3, 4, 12, 2),
    ):  # two head counts: n_heads must be used
        x = torch.randn(batch, time, dim, generator=gen)
        d = dim // heads
        want = reference_split_heads(x, heads)
        got = _tensor_answer(_call_reshaping(fn, x.clone(), heads, name=name), name, "heads")
        if tuple(got.shape) == (batch, time, heads, d):
            raise CheckFailed(
                f"{name} returned shape {tuple(got.shape)} (batch, time, heads, d): the heads must come "
                "before time, (batch, heads, time, d), so that each head is a stack of (time, d) "
                "matrices for the attention products. Add .transpose(1, 2)."
            )
        if got.dim() == 4 and got.shape[1] != heads and got.shape[1] * got.shape[3] == dim:
            raise CheckFailed(
                f"{name}(x, {heads}) made {got.shape[1]} heads: use the argument n_heads (here "
                f"{heads}), not a fixed number, and d = dim // n_heads."
            )
        _judge(
            got,
            want,
            wrong_shape=f"{name}(x, {heads}) for x of shape {tuple(x.shape)} returned shape "
            f"{tuple(got.shape)}, expected {tuple(want.shape)}: "
            "(batch, heads, time, dim // heads).",
            mistakes=(
                (
                    x.view(batch, heads, time, d),
                    f"{name} reshapes x straight to (batch, heads, time, d): that cuts the TIME "
                    "axis into pieces, so a 'head' holds other positions. View it as (batch, time, "
                    "heads, d) first (each position's features cut into heads), then "
                    ".transpose(1, 2).",
                ),
                (
                    x.view(batch, time, d, heads).permute(0, 3, 1, 2),
                    f"{name} gives head i every {heads}-th feature (i, i + {heads}, ...): head i "
                    "should take the consecutive features i·d to (i+1)·d − 1, as "
                    "nn.MultiheadAttention does. Use x.view(batch, time, heads, d).",
                ),
            ),
            wrong_values=lambda got, want: (
                f"{name} has the right shape but head 1, position 1 holds "
                f"{got[0, 0, 0].tolist()[:4]}, expected the first {want.shape[-1]} features of "
                f"position 1: {want[0, 0, 0].tolist()[:4]}."
            ),
        )
    passed(name, "(batch, time, dim) to (batch, heads, time, d), for 3 and 2 heads")


def check_merge_heads(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check a student's ``merge_heads(x)``: shape and values, for 3 and 2 heads (it must undo ``split_heads``).

    Example:
        >>> check_merge_heads(reference_merge_heads)
        ✅ merge_heads is correct ((batch, heads, time, d) to (batch, time, heads · d), for 3 and 2 heads)
    """
    name = "merge_heads"
    gen = torch.Generator().manual_seed(10)
    for batch, heads, time, d in ((2, 3, 5, 4), (3, 2, 4, 6)):
        x = torch.randn(batch, heads, time, d, generator=gen)
        want = reference_merge_heads(x)
        got = _tensor_answer(_call_reshaping(fn, x.clone(), name=name), name, "merged heads")
        if tuple(got.shape) == (batch, time, heads, d):
            raise CheckFailed(
                f"{name} returned shape {tuple(got.shape)}: also join the last two dimensions, "
                f"(batch, time, heads · d) = {tuple(want.shape)}, with .reshape(batch, time, heads * d)."
            )
        _judge(
            got,
            want,
            wrong_shape=f"{name} for heads of shape {tuple(x.shape)} (batch, heads, time, d) "
            f"returned shape {tuple(got.shape)}, expected {tuple(want.shape)} "
            "(batch, time, heads · d).",
            mistakes=(
                (
                    x.reshape(batch, time, heads * d),
                    f"{name} merges the heads in the wrong order: reshaping (batch, heads, time, "
                    "d) straight to (batch, time, heads · d) mixes positions. Move time before "
                    "the heads first, .transpose(1, 2), then .reshape.",
                ),
                (
                    x.permute(0, 2, 3, 1).reshape(batch, time, heads * d),
                    f"{name} interleaves the heads (feature 0 of every head, then feature 1, ...): "
                    "put head 1's d features first, then head 2's: "
                    ".transpose(1, 2).reshape(batch, time, heads * d).",
                ),
            ),
            wrong_values=lambda got, want: (
                f"{name} has the right shape but wrong values: position 1 should be head 1's "
                f"features then head 2's ..., starting {want[0, 0, :3].tolist()}, got "
                f"{got[0, 0, :3].tolist()}."
            ),
        )
    passed(name, "(batch, heads, time, d) to (batch, time, heads · d), for 3 and 2 heads")


# ---------------------------------------------------------------- the forward pass of a pre-norm block


def _layer_norm(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, dim: int = -1, unbiased: bool = False
) -> torch.Tensor:
    mean, var = x.mean(dim=dim, keepdim=True), x.var(dim=dim, unbiased=unbiased, keepdim=True)
    return (x - mean) / torch.sqrt(var + _EPS) * weight + bias


def _block(
    x: torch.Tensor,
    p: dict[str, torch.Tensor],
    n_heads: int,
    *,
    scale: str = "head",
    mask: str = "future",
    merge: str = "right",
    split: str = "right",
    norm_dim: int = -1,
    unbiased: bool = False,
    affine: bool = True,
    post_norm: bool = False,
    residual: tuple[bool, bool] = (True, True),
    activation: str = "gelu",
    softmax_dim: int = -1,
) -> torch.Tensor:
    """The pre-norm block of notebook 09, with one switch per typical mistake (defaults: all right)."""
    batch, time, dim = x.shape
    d = dim // n_heads

    def norm(t: torch.Tensor, which: str) -> torch.Tensor:
        w, b = (
            (p[f"{which}.weight"], p[f"{which}.bias"])
            if affine
            else (torch.ones(dim), torch.zeros(dim))
        )
        return _layer_norm(t, w, b, norm_dim, unbiased)

    def heads(t: torch.Tensor) -> torch.Tensor:
        if split == "time":
            return t.reshape(batch, n_heads, time, d)
        return reference_split_heads(t, n_heads)

    def attention(h: torch.Tensor) -> torch.Tensor:
        q, k, v = (
            heads(t) for t in (h @ p["attn.qkv.weight"].T + p["attn.qkv.bias"]).chunk(3, dim=-1)
        )
        scores = (
            q
            @ k.transpose(-2, -1)
            / {"head": math.sqrt(d), "model": math.sqrt(dim), "none": 1.0}[scale]
        )
        hidden = {
            "future": torch.ones(time, time, dtype=torch.bool).triu(1),
            "past": torch.ones(time, time, dtype=torch.bool).tril(-1),
            "none": torch.zeros(time, time, dtype=torch.bool),
        }[mask]
        out = torch.softmax(scores.masked_fill(hidden, float("-inf")), dim=softmax_dim) @ v
        merged = out.reshape(batch, time, dim) if merge == "wrong" else reference_merge_heads(out)
        return merged @ p["attn.out.weight"].T + p["attn.out.bias"]

    def mlp(h: torch.Tensor) -> torch.Tensor:
        act = {
            "gelu": F.gelu,
            "relu": F.relu,
            "tanh-gelu": lambda t: F.gelu(t, approximate="tanh"),
        }[activation]
        return (
            act(h @ p["mlp.0.weight"].T + p["mlp.0.bias"]) @ p["mlp.2.weight"].T + p["mlp.2.bias"]
        )

    if post_norm:
        x = norm(x + attention(x), "norm1")
        return norm(x + mlp(x), "norm2")
    x = (x if residual[0] else 0) + attention(norm(x, "norm1"))
    return (x if residual[1] else 0) + mlp(norm(x, "norm2"))


def reference_block_forward(
    x: torch.Tensor, p: dict[str, torch.Tensor], n_heads: int
) -> torch.Tensor:
    """The forward pass of notebook 09's pre-norm, causal Transformer block, from its weights ``p`` (by name).

    ``x + attention(layer_norm(x))``, then ``x + mlp(layer_norm(x))``; ``p`` as ``dict(block.state_dict())``
    gives it (names in ``BLOCK_WEIGHTS``).

    Example:
        >>> p = _case_weights(torch.Generator().manual_seed(0), dim=8)
        >>> reference_block_forward(torch.randn(2, 5, 8), p, 2).shape
        torch.Size([2, 5, 8])
    """
    return _block(x, p, n_heads)


#: Each typical mistake: the switches of ``_block`` that make it, and what the check says.
_MISTAKES = (
    (
        dict(scale="model"),
        "the scores are divided by √dim, the width of the whole model: divide by √d, the size of "
        "ONE head's queries (d = dim // n_heads), since each head's scores are products of d numbers.",
    ),
    (
        dict(scale="none"),
        "the scores are not scaled: divide q @ kᵀ by √d (d = dim // n_heads) before the softmax.",
    ),
    (
        dict(mask="past"),
        "the mask is on the wrong side: it hides the past and shows the future. Position t may see "
        "0..t: hide the keys ABOVE the diagonal, torch.ones(T, T, dtype=torch.bool).triu(1).",
    ),
    (
        dict(mask="none"),
        "there is no causal mask: each position can see later ones. Fill the scores above the "
        "diagonal (.triu(1)) with float('-inf') before the softmax.",
    ),
    (
        dict(merge="wrong"),
        "the heads are merged in the wrong order: (batch, heads, time, d) reshaped straight to "
        "(batch, time, dim) mixes positions. Use merge_heads: .transpose(1, 2), then .reshape.",
    ),
    (
        dict(split="time"),
        "the heads are split from the wrong axis: reshaping (batch, time, dim) straight to "
        "(batch, heads, time, d) cuts time, not features. Use split_heads (view, then transpose).",
    ),
    (
        dict(norm_dim=1),
        "layer norm is taken over the wrong dimension (time, dim=1): each position's vector is "
        "normalised over its own features, mean and variance over the LAST dimension (dim=-1).",
    ),
    (
        dict(norm_dim=0),
        "layer norm is taken over the batch (dim=0): normalise each position over its features, "
        "mean and variance over the last dimension (dim=-1).",
    ),
    (
        dict(unbiased=True),
        "layer norm uses the unbiased variance (divided by n − 1, torch's default for .var()): "
        "layer norm divides by n, x.var(dim=-1, unbiased=False, keepdim=True).",
    ),
    (
        dict(affine=False),
        "layer norm lacks its learned scale and shift: multiply by p['norm1.weight'] and add "
        "p['norm1.bias'] (norm2 likewise).",
    ),
    (
        dict(post_norm=True),
        "this is the post-norm block of the 2017 paper, norm(x + f(x)): our Block is pre-norm, "
        "x + f(norm(x)), the layer norm BEFORE attention and before the MLP.",
    ),
    (
        dict(residual=(False, True)),
        "the attention part has no residual connection: x = x + attention(norm1(x)), not "
        "x = attention(norm1(x)).",
    ),
    (
        dict(residual=(True, False)),
        "the MLP part has no residual connection: return x + mlp(norm2(x)).",
    ),
    (
        dict(residual=(False, False)),
        "neither part has a residual connection: add each part's output to its input, "
        "x + attention(norm1(x)), then x + mlp(norm2(x)).",
    ),
    (
        dict(activation="relu"),
        "the MLP uses ReLU: our Block uses GELU between its two linear layers, F.gelu.",
    ),
    (
        dict(activation="tanh-gelu"),
        "the MLP uses the tanh approximation of GELU: nn.GELU() computes the exact one, "
        "F.gelu(h) without approximate='tanh'.",
    ),
    (
        dict(softmax_dim=-2),
        "the softmax runs over the queries (dim=-2): each query's weights over the keys must sum "
        "to 1, softmax(..., dim=-1).",
    ),
)


def _case_weights(gen: torch.Generator, dim: int = 12) -> dict[str, torch.Tensor]:
    """A block's weights, drawn so that every mistake above changes the output clearly."""

    def rand(*shape: int, scale: float) -> torch.Tensor:
        return torch.randn(*shape, generator=gen) * scale

    return {
        "norm1.weight": 1 + rand(dim, scale=0.3),
        "norm1.bias": rand(dim, scale=0.3),
        "norm2.weight": 1 + rand(dim, scale=0.3),
        "norm2.bias": rand(dim, scale=0.3),
        "attn.qkv.weight": rand(3 * dim, dim, scale=0.6),
        "attn.qkv.bias": rand(3 * dim, scale=0.2),
        "attn.out.weight": rand(dim, dim, scale=dim**-0.5),
        "attn.out.bias": rand(dim, scale=0.2),
        "mlp.0.weight": rand(4 * dim, dim, scale=dim**-0.5),
        "mlp.0.bias": rand(4 * dim, scale=0.2),
        "mlp.2.weight": rand(dim, 4 * dim, scale=(4 * dim) ** -0.5),
        "mlp.2.bias": rand(dim, scale=0.2),
    }


def _block_case() -> tuple[torch.Tensor, dict[str, torch.Tensor], int]:
    gen = torch.Generator().manual_seed(12)
    dim, n_heads = 12, 3  # √dim ≠ √d, and a head count that is not the default 4
    x = torch.randn(2, 6, dim, generator=gen) * 1.5 + 0.5
    return x, _case_weights(gen, dim), n_heads


def check_block_forward(fn: Callable[[torch.Tensor, dict, int], torch.Tensor]) -> None:
    """Check a student's ``block_forward(x, p, n_heads)``: notebook 09's pre-norm causal block from its weights.

    Example:
        >>> check_block_forward(reference_block_forward)
        ✅ block_forward is correct (a batch of 2 sequences of 6 positions, 12 features, 3 heads, causal, pre-norm)
    """
    name = "block_forward"
    rule_on_how(
        fn,
        name,
        f"{name} uses PyTorch's own attention ({{use}}); the exercise asks you to write the block "
        "yourself with tensor operations (the check compares with PyTorch's result).",
        *_READY,
    )
    x, p, n_heads = _block_case()
    want = reference_block_forward(x, p, n_heads)
    try:
        got = call_student(fn, x.clone(), {k: v.clone() for k, v in p.items()}, n_heads, name=name)
    except CheckFailed as err:
        if "shapes cannot be multiplied" in str(err) or "size of tensor a" in str(err):
            raise CheckFailed(
                f"{err}. A linear layer's weight W has shape (outputs, inputs): compute x @ W.T + b."
            ) from None
        if "KeyError" in str(err):
            raise CheckFailed(f"{err}. The weights are named {', '.join(BLOCK_WEIGHTS)}.") from None
        raise
    got = _tensor_answer(got, name, "block's output")
    if tuple(got.shape) != tuple(want.shape):
        raise CheckFailed(
            f"{name} returned shape {tuple(got.shape)}, expected {tuple(want.shape)}: a block keeps "
            "the shape of its input (batch, time, dim)."
        )

    def close(a: torch.Tensor, b: torch.Tensor) -> bool:
        return torch.allclose(a, b.double(), atol=_TOLERANCE, rtol=_TOLERANCE)

    if close(got, want):
        passed(
            name,
            f"a batch of 2 sequences of 6 positions, {x.shape[2]} features, {n_heads} heads, causal, pre-norm",
        )
        return
    for switches, message in _MISTAKES:
        if close(got, _block(x, p, n_heads, **switches)):
            raise CheckFailed(f"{name}: {message}")
    if close(got[:, :1], want[:, :1]):
        raise CheckFailed(
            f"{name}: the first position is right, later ones are not: look at the attention (the "
            "mask, the split and merge of heads, the scaling) rather than the MLP or layer norm."
        )
    raise CheckFailed(
        f"{name}: the output differs from the block's (first value {got[0, 0, 0].item():.4f}, expected "
        f"{want[0, 0, 0].item():.4f}). In order: h = layer_norm(x) with norm1; q, k, v from "
        "h @ W_qkv.T + b split into heads; softmax(q kᵀ / √d + causal mask) @ v; merge the heads; "
        "x = x + that @ W_out.T + b; then x + mlp(layer_norm(x) with norm2), the MLP being "
        "linear, GELU, linear."
    )
