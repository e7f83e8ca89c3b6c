"""The picture of notebook 09: what several attention heads look at in one piece of text.

``plot_heads`` draws one heat map per head, the characters of the text along both axes (rows: the
position that looks, columns: the positions it looks at), so that a student can read which
character each query attends to. The models, their training and the measurements stay in the
notebook, where students read them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["plot_heads", "show_char"]

#: How characters that would be invisible as tick labels are drawn.
_VISIBLE = {" ": "␣", "\n": "⏎"}


def show_char(c: str) -> str:
    """A character as a tick label: a space becomes ``␣`` and a newline ``⏎``.

    Example:
        >>> [show_char(c) for c in "a b\\n"]
        ['a', '␣', 'b', '⏎']
    """
    if not isinstance(c, str) or len(c) != 1:
        raise ValueError(f"show_char takes one character, got {c!r}")
    return _VISIBLE.get(c, c)


def plot_heads(weights: torch.Tensor, text: str, titles: Sequence[str], *, axes=None):
    """Heat maps of attention weights, one per head, with the characters of ``text`` on both axes.

    ``weights`` has shape ``(heads, time, time)`` (row: the query's position, column: the key's),
    ``text`` has ``time`` characters and ``titles`` one title per head. Returns the axes.

    Example:
        >>> w = torch.softmax(torch.randn(2, 5, 5), dim=-1)
        >>> axes = plot_heads(w, "a cat", ["head 1", "head 2"])
        >>> [ax.get_title() for ax in axes], axes[0].get_xticklabels()[1].get_text()
        (['head 1', 'head 2'], '␣')
    """
    import matplotlib.pyplot as plt

    if (
        not isinstance(weights, torch.Tensor)
        or weights.dim() != 3
        or weights.shape[1] != weights.shape[2]
    ):
        shape = (
            tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights).__name__
        )
        raise ValueError(
            f"weights must have shape (heads, time, time), got {shape}: for a model's "
            "weights of shape (batch, heads, time, time) pick one example, w[0]"
        )
    if not isinstance(text, str) or len(text) != weights.shape[1]:
        raise ValueError(
            f"text must have one character per position: {weights.shape[1]} positions, "
            f"got {len(text) if isinstance(text, str) else type(text).__name__} characters"
        )
    if isinstance(titles, str) or len(titles) != len(weights):
        raise ValueError(f"titles needs one title per head: {len(weights)} heads, got {titles!r}")
    if axes is None:
        side = 0.13 * len(text) + 1.5
        _, axes = plt.subplots(
            1, len(weights), figsize=(side * len(weights), side + 0.4), squeeze=False
        )
        axes = axes[0]
    labels = [show_char(c) for c in text]
    for ax, w, title in zip(axes, weights.detach().float().cpu(), titles):
        image = ax.imshow(w.numpy(), cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks(range(len(text)), labels, fontsize=8, fontfamily="monospace")
        ax.set_yticks(range(len(text)), labels, fontsize=8, fontfamily="monospace")
        ax.tick_params(length=0)
        ax.set(title=title, xlabel="looks at", ylabel="position that looks")
        ax.grid(False)
    axes[0].figure.colorbar(image, ax=list(axes), label="attention weight", shrink=0.8, pad=0.02)
    return axes
