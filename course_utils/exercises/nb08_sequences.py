"""Checks for the exercises of notebook 08 (sequences: a recurrent network, the LSTM, attention)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from course_utils.checks import CheckFailed, call_student, passed, rule_on_how

__all__ = [
    "check_causal_attention_weights",
    "check_lstm_step",
    "reference_causal_attention_weights",
    "reference_lstm_step",
]


#: PyTorch's own LSTM and attention, however reached: the exercises ask for the computation itself.
_READY_LSTM = ("torch.*LSTM*", "torch.*lstm*")
_READY_ATTENTION = ("torch.*attention*", "torch.*Attention*", "torch.*Transformer*")


def _refuse_ready_made(
    fn: Callable[..., object], name: str, ready: tuple[str, ...], what: str
) -> None:
    """Stop an answer whose code uses PyTorch's ready-made version (read from its code, the same way when grading)."""
    rule_on_how(
        fn,
        name,
        f"{name} uses PyTorch's own version ({{use}}); the exercise asks you to write {what} "
        "yourself, with tensor operations (the check compares your result with PyTorch's).",
        *ready,
    )


def reference_lstm_step(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    W_ih: torch.Tensor,
    W_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step with PyTorch's gate order (i, f, g, o): the new ``(h, c)``.

    Example:
        >>> cell = torch.nn.LSTMCell(3, 2)
        >>> x, h, c = torch.randn(4, 3), torch.randn(4, 2), torch.randn(4, 2)
        >>> mine = reference_lstm_step(x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        >>> all(torch.allclose(a, b, atol=1e-6) for a, b in zip(mine, cell(x, (h, c))))
        True
    """
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


#: The (batch, inputs, hidden) of the check's cases: two, so that a size typed into the step shows.
_LSTM_SIZES = ((3, 5, 4), (2, 3, 6))


def _lstm_case(batch: int = 3, inputs: int = 5, hidden: int = 4) -> tuple[torch.Tensor, ...]:
    """x, h, c and the weights of an LSTM step of these sizes, seeded, wider than PyTorch's own start."""
    gen = torch.Generator().manual_seed(8 + hidden)
    bound = 1 / math.sqrt(hidden)

    def uniform(*shape: int) -> torch.Tensor:
        return (
            (torch.rand(*shape, generator=gen) * 2 - 1) * bound * 3
        )  # wider than PyTorch's default: gates differ

    x, h, c = (torch.randn(batch, size, generator=gen) for size in (inputs, hidden, hidden))
    return (
        x,
        h,
        c,
        uniform(4 * hidden, inputs),
        uniform(4 * hidden, hidden),
        uniform(4 * hidden),
        uniform(4 * hidden),
    )


def _variants(case: tuple[torch.Tensor, ...]) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Typical wrong LSTM steps on a ``_lstm_case``, each with the message it deserves:
    {message: (h, c)}."""
    x, h, c, W_ih, W_hh, b_ih, b_hh = case
    z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = z.chunk(4, dim=1)
    s, t = torch.sigmoid, torch.tanh
    wrong = {}
    for order, message in (
        (("i", "f", "o", "g"), "the gates in the order i, f, o, g"),
        (("f", "i", "g", "o"), "the forget and input gates swapped"),
        (("i", "g", "f", "o"), "the gates in the order i, g, f, o"),
    ):
        parts = dict(zip(order, (i, f, g, o)))
        c2 = s(parts["f"]) * c + s(parts["i"]) * t(parts["g"])
        wrong[
            f"you used {message}: PyTorch stacks them as i, f, g, o (input, forget, candidate, output), "
            "so split z.chunk(4, dim=1) into i, f, g, o in that order."
        ] = (s(parts["o"]) * t(c2), c2)
    c_new = s(f) * c + s(i) * t(g)
    wrong["the new h should be o · tanh(c_new): you left out the tanh of the cell."] = (
        s(o) * c_new,
        c_new,
    )
    wrong["the new h uses the OLD cell: compute c first, then h = o · tanh(c_new)."] = (
        s(o) * t(c),
        c_new,
    )
    c_sig = s(f) * c + s(i) * s(g)
    wrong["the candidate g is squashed with tanh (values from -1 to 1), not with sigmoid."] = (
        s(o) * t(c_sig),
        c_sig,
    )
    c_raw = s(f) * c + s(i) * g
    wrong["the candidate g needs a tanh: c = f · c + i · tanh(g)."] = (s(o) * t(c_raw), c_raw)
    c_noi = s(f) * c + t(g)
    wrong[
        "the candidate is added without the input gate: c = f · c + i · g, with i = sigmoid(...)."
    ] = (s(o) * t(c_noi), c_noi)
    c_h = s(f) * h + s(i) * t(g)
    wrong["the forget gate multiplies the previous CELL c, not the previous hidden state h."] = (
        s(o) * t(c_h),
        c_h,
    )
    return wrong


def check_lstm_step(fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Check a student's ``lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh)`` against ``nn.LSTMCell``.

    Example:
        >>> check_lstm_step(reference_lstm_step)
        ✅ lstm_step is correct (equal to nn.LSTMCell on a batch of 3, for h and c)
    """
    name = "lstm_step"
    _refuse_ready_made(fn, name, _READY_LSTM, "the step")
    for number, sizes in enumerate(_LSTM_SIZES):
        batch, inputs, hidden = sizes
        other = (
            f"{name} is right for the first case but not for a batch of {batch}, {inputs} inputs and a state of "
            f"{hidden} (a size typed in? take every size from the arguments, and split z with z.chunk(4, dim=1)): "
        )
        try:
            problem = _lstm_problem(fn, _lstm_case(*sizes))
        except CheckFailed as err:
            raise CheckFailed(other + str(err) if number else str(err)) from None
        if problem:
            raise CheckFailed(other + problem if number else f"{name}: {problem}")
    passed(name, "equal to nn.LSTMCell on a batch of 3, for h and c")


def _lstm_problem(
    fn: Callable[..., tuple[torch.Tensor, torch.Tensor]], case: tuple[torch.Tensor, ...]
) -> str | None:
    """What is wrong with ``fn`` on one case, compared with ``nn.LSTMCell`` (None when nothing)."""
    name = "lstm_step"
    x, h, c, W_ih, W_hh, b_ih, b_hh = case
    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1])
    with torch.no_grad():
        for param, value in zip(
            (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), (W_ih, W_hh, b_ih, b_hh)
        ):
            param.copy_(value)
        want_h, want_c = cell(x, (h, c))
    got = call_student(fn, *(t.clone() for t in case), name=name)
    if isinstance(got, torch.Tensor) or not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(
            f"{name} should return a pair (h, c), the new hidden state and the new cell, got "
            f"{type(got).__name__}: end with `return h, c`."
        )
    got_h, got_c = got
    for value, what in ((got_h, "h"), (got_c, "c")):
        if not isinstance(value, torch.Tensor):
            raise CheckFailed(
                f"the {what} returned by {name} should be a tensor, got {type(value).__name__}."
            )
        if value.shape != want_h.shape:
            hint = (
                " It looks like all four parts stacked: split z into i, f, g, o with z.chunk(4, dim=1)."
                if value.shape[-1] == 4 * want_h.shape[-1]
                else ""
            )
            return (
                f"the {what} returned by {name} has shape {tuple(value.shape)}, expected "
                f"{tuple(want_h.shape)} (batch, hidden).{hint}"
            )
    got_h, got_c = got_h.detach(), got_c.detach()

    def close(a: torch.Tensor, b: torch.Tensor) -> bool:
        return a.shape == b.shape and torch.allclose(a, b, atol=1e-5, rtol=1e-4)

    if close(got_h, want_h) and close(got_c, want_c):
        return None
    if close(got_h, want_c) and close(got_c, want_h):
        return "it returned (c, h): return the hidden state first, `return h, c`."
    for message, (wrong_h, wrong_c) in _variants(case).items():
        if close(got_h, wrong_h) and close(got_c, wrong_c):
            return message
    if close(got_c, want_c):
        return "the cell c is right but h is not: h = sigmoid(o) · tanh(c) with the NEW c."
    return (
        f"the new cell c differs from nn.LSTMCell's (first entry {got_c[0, 0].item():.4f}, expected "
        f"{want_c[0, 0].item():.4f}). Compute z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, split it into i, f, g, o, "
        "then c = sigmoid(f) · c + sigmoid(i) · tanh(g) and h = sigmoid(o) · tanh(c)."
    )


def reference_causal_attention_weights(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """softmax(q kᵀ / √d) with the weights on later positions set to 0: shape (batch, time, time).

    Example:
        >>> w = reference_causal_attention_weights(torch.randn(1, 3, 4), torch.randn(1, 3, 4))
        >>> w[0, 0].tolist()[1:], torch.allclose(w.sum(-1), torch.ones(1, 3))
        ([0.0, 0.0], True)
    """
    T = q.shape[1]
    scores = q @ k.transpose(1, 2) / math.sqrt(k.shape[-1])
    future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)


def check_causal_attention_weights(
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """Check a student's ``causal_attention_weights(q, k)``: shape, no look at the future, rows, values.

    The expected weights are also those ``F.scaled_dot_product_attention(q, k, v, is_causal=True)`` uses.

    Example:
        >>> check_causal_attention_weights(reference_causal_attention_weights)
        ✅ causal_attention_weights is correct (2 sequences of 6 positions: no weight on the future, rows sum to 1)
    """
    name = "causal_attention_weights"
    _refuse_ready_made(fn, name, _READY_ATTENTION, "the weights")
    for number, (batch, T, d) in enumerate(_ATTENTION_SIZES):
        other = (
            f"{name} is right for 6 positions of 4 dimensions but not for {T} positions of {d} (a size typed in? "
            "take T and d from q's shape): "
        )
        try:
            problem = _attention_problem(fn, batch, T, d)
        except CheckFailed as err:
            raise CheckFailed(other + str(err) if number else str(err)) from None
        if problem:
            raise CheckFailed(other + f"it {problem}" if number else f"{name} {problem}")
    passed(name, "2 sequences of 6 positions: no weight on the future, rows sum to 1")


#: The (batch, time, d) of the check's cases: two, so that a length or a √d typed in shows.
_ATTENTION_SIZES = ((2, 6, 4), (3, 5, 9))


def _attention_problem(
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], batch: int, T: int, d: int
) -> str | None:
    """What is wrong with the weights ``fn`` gives for one case (None when nothing)."""
    gen = torch.Generator().manual_seed(8 + d)
    q, k = torch.randn(batch, T, d, generator=gen) * 2, torch.randn(batch, T, d, generator=gen) * 2
    expected = reference_causal_attention_weights(q, k).double()
    got = call_student(fn, q.clone(), k.clone(), name="causal_attention_weights")
    if not isinstance(got, torch.Tensor):
        return f"should return a tensor of weights, got {type(got).__name__}."
    if got.shape != expected.shape:
        return (
            f"returned shape {tuple(got.shape)}, expected {tuple(expected.shape)} (batch, time, time): one weight "
            "for each pair (query position, key position). Use q @ k.transpose(1, 2)."
        )
    got = got.detach().double()
    if torch.isnan(got).any():
        return (
            "returned nan: a whole row was set to -inf. Mask only the positions AFTER the query (.triu(1), above "
            "the diagonal), so every row keeps at least itself."
        )
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    past = torch.ones(T, T, dtype=torch.bool).tril(-1)
    if got[:, past].abs().max() < 1e-6 and got[:, future].abs().max() > 1e-6:
        return (
            "masks the wrong side: position t must see positions 0..t (the past, below the diagonal) and give 0 to "
            "later ones (above it): mask with .triu(1), not .tril(-1)."
        )
    if got[:, future].abs().max() > 1e-6:
        unmasked = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1).double()
        if torch.allclose(got, unmasked, atol=1e-5):
            return (
                "gives weight to later positions: mask the scores of the future (.triu(1)) with float('-inf') before "
                "the softmax."
            )
        return (
            f"puts weight on later positions (up to {got[:, future].max().item():.3f}): a masked weight must be "
            "exactly 0. Setting a score to 0 is not enough (exp(0) = 1): set it to float('-inf') before the softmax."
        )
    rows, cols = got.sum(dim=-1), got.sum(dim=-2)
    if not torch.allclose(rows, torch.ones_like(rows), atol=1e-5):
        if torch.allclose(cols, torch.ones_like(cols), atol=1e-5):
            return (
                "gives weights whose COLUMNS sum to 1, not the rows. Each query (row) spreads its weights over the "
                "keys: softmax over the last dimension, dim=-1."
            )
        return (
            f"gives rows that do not sum to 1 (first row: {rows[0, 0].item():.3f}). Apply the mask to the scores "
            "BEFORE the softmax, not to the weights after it."
        )
    scales = (
        (math.sqrt(d), "forgot to scale: divide the scores q·k by √d before the softmax"),
        (
            math.sqrt(d) / 2,
            "divides the scores by 2 = √4, a number typed in: divide by √d, d = q.shape[-1]",
        ),
        (1 / math.sqrt(d), "divides the scores by d: divide by its square root, √d"),
    )
    for factor, why in scales:  # the weights of scores q·k / s are those of (q · √d / s)·k / √d
        if abs(factor - 1) > 1e-9 and torch.allclose(
            got, reference_causal_attention_weights(q * factor, k).double(), atol=1e-5
        ):
            return f"{why} (d = {d} here)."
    if not torch.allclose(got, expected, atol=1e-5):
        return (
            f"has the right mask but wrong weights (first query, second row: {[round(v, 4) for v in got[0, 1, :2].tolist()]} "
            f"vs {[round(v, 4) for v in expected[0, 1, :2].tolist()]}). Scores are q @ k.transpose(1, 2) / sqrt(d), "
            "d = q.shape[-1]."
        )
    return None
