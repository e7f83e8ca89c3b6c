"""The text of notebook 08 and the batches it trains on; one picture of attention weights.

``load_python_docs`` gives real English text with no download: the *Python Language Reference*
topics that ship inside every Python installation (``pydoc_data.topics``, the text behind
``help("topics")``), about half a million characters, under the PSF License. It lower-cases the
text and keeps a small alphabet (``ALPHABET``); every other character becomes ``UNKNOWN``.

``memory_batch`` builds the long-range memory task (a capital letter hidden in real text; name
it after the last character), ``next_char_batch`` the pairs of a character-level language model,
and ``plot_attention`` draws attention weights as a heat map with a colour key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

__all__ = [
    "ALPHABET",
    "KEYS",
    "SYMBOLS",
    "UNKNOWN",
    "TextData",
    "decode",
    "encode",
    "load_python_docs",
    "memory_batch",
    "next_char_batch",
    "plot_attention",
]

#: What stands for every character outside the alphabet (digits, capitals, rare symbols).
UNKNOWN = "·"
#: The characters the models read and write: newline, space, a little punctuation, a to z, UNKNOWN.
ALPHABET = "\n \"'(),-.:=_*abcdefghijklmnopqrstuvwxyz" + UNKNOWN
#: The memory task's keys: capital letters, which the lower-cased text never contains.
KEYS = "ABCDEFGH"
#: Every symbol a model of notebook 08 can read: the alphabet, then the keys (id len(ALPHABET) + k).
SYMBOLS = ALPHABET + KEYS

SOURCE = (
    "The Python Language Reference: the documentation topics that ship with Python itself "
    "(module pydoc_data.topics, the text of help('topics'))"
)
LICENCE = "PSF License Agreement (Python Software Foundation License Version 2)"
URL = "https://docs.python.org/3/license.html"


@dataclass
class TextData:
    """What ``load_python_docs`` returns: the cleaned text and its ids, split into train, validation and test."""

    text: (
        str  #: the whole cleaned text (lower case, characters outside ALPHABET replaced by UNKNOWN)
    )
    train_ids: torch.Tensor  #: the first part, as ids into ALPHABET (int64)
    val_ids: torch.Tensor  #: the part before the test part: for choosing settings, never trained on
    test_ids: (
        torch.Tensor
    )  #: the last part, held out: never trained on, never used to choose anything
    source: str
    licence: str
    url: str


def encode(text: str) -> torch.Tensor:
    """The ids of ``text``'s characters in ``ALPHABET`` (int64); any other character becomes ``UNKNOWN``.

    Capitals become ``UNKNOWN`` too: the key letters are put in by ``memory_batch`` only.

    Example:
        >>> encode("if x:")
        tensor([21, 18,  1, 36,  9])
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    index = {c: i for i, c in enumerate(ALPHABET)}
    unknown = index[UNKNOWN]
    return torch.tensor([index.get(c, unknown) for c in text], dtype=torch.long)


def decode(ids: torch.Tensor | Sequence[int]) -> str:
    """The text of ids into ``SYMBOLS`` (the inverse of ``encode``; keys come out as capitals).

    Example:
        >>> decode(encode("if x:"))
        'if x:'
        >>> decode([len(ALPHABET), len(ALPHABET) + 1])
        'AB'
    """
    if isinstance(ids, torch.Tensor):
        if ids.dim() != 1:
            raise ValueError(
                f"ids must be one sequence (1-D), got shape {tuple(ids.shape)}: decode one row at a time"
            )
        ids = ids.tolist()
    out = []
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(SYMBOLS):
            raise ValueError(
                f"{i!r} is no symbol id: ids go from 0 to {len(SYMBOLS) - 1} (see SYMBOLS)"
            )
        out.append(SYMBOLS[i])
    return "".join(out)


def load_python_docs(test_fraction: float = 0.1, val_fraction: float = 0.1) -> TextData:
    """The Python Language Reference's topics, cleaned and encoded, in three consecutive parts.

    The last ``test_fraction`` of the text is the test part, the ``val_fraction`` before it the
    validation part, the rest the training part. The topics are joined in alphabetical order of
    their names, so the split is the same on every run; the text (and its length) changes a little
    between Python releases.

    Example:
        >>> data = load_python_docs()
        >>> len(data.text) > 300_000, data.train_ids.dtype, set(data.text) <= set(ALPHABET)
        (True, torch.int64, True)
        >>> round(len(data.val_ids) / len(data.text), 2), round(len(data.test_ids) / len(data.text), 2)
        (0.1, 0.1)
    """
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name} must be a number between 0 and 1 (e.g. 0.1), got {value!r}")
    if test_fraction + val_fraction >= 0.9:
        raise ValueError(
            f"test_fraction + val_fraction is {test_fraction + val_fraction:g}: leave at least "
            "a tenth of the text to train on (e.g. 0.1 each)"
        )
    try:
        from pydoc_data.topics import topics
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            "this Python has no pydoc_data (the text of help('topics')), which some slimmed-down installs leave "
            "out: use a full Python (python.org, conda, or Debian's libpython3-stdlib)"
        ) from err
    raw = "\n".join(topics[name] for name in sorted(topics)).lower()
    allowed = set(ALPHABET)
    text = "".join(c if c in allowed else UNKNOWN for c in raw)
    ids = encode(text)
    val_start, test_start = (
        int(len(ids) * (1 - test_fraction - val_fraction)),
        int(len(ids) * (1 - test_fraction)),
    )
    return TextData(
        text, ids[:val_start], ids[val_start:test_start], ids[test_start:], SOURCE, LICENCE, URL
    )


def _check_ids(ids: torch.Tensor, length: int) -> None:
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1 or ids.dtype != torch.long:
        raise TypeError("ids must be a 1-D int64 tensor of character ids, e.g. data.train_ids")
    if len(ids) <= length:
        raise ValueError(
            f"ids has {len(ids)} characters, too few for windows of {length}: use a shorter length"
        )


def _check_count(name: str, value: object, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def memory_batch(
    ids: torch.Tensor,
    n: int,
    length: int,
    n_keys: int = 4,
    *,
    generator: torch.Generator,
    distance: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` windows of ``length`` characters of real text, each with one key letter hidden in it.

    The key (one of the first ``n_keys`` letters of ``KEYS``, drawn at random) replaces the
    character ``distance`` places before the end: distance 0 is the last character. Returns
    ``(x, key, distance)``: ids of shape ``(n, length)``, the key's class (0 to n_keys - 1) and its
    distance, both of shape ``(n,)``. Distances are drawn uniformly from 0 to length - 1 unless given.
    Everything is drawn from ``generator`` (on the CPU), so a batch is repeatable.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> x, key, distance = memory_batch(encode("abcdefghij" * 3), 2, 8, generator=g, distance=torch.tensor([0, 7]))
        >>> decode(x[0])[-1] == KEYS[key[0]], decode(x[1])[0] == KEYS[key[1]], tuple(x.shape)
        (True, True, (2, 8))
    """
    _check_count("n", n)
    _check_count("length", length)
    _check_ids(ids, length)
    if not 1 <= n_keys <= len(KEYS) or isinstance(n_keys, bool) or not isinstance(n_keys, int):
        raise ValueError(f"n_keys must be an int from 1 to {len(KEYS)}, got {n_keys!r}")
    starts = torch.randint(0, len(ids) - length, (n,), generator=generator)
    x = ids[starts[:, None] + torch.arange(length)]
    key = torch.randint(0, n_keys, (n,), generator=generator)
    if distance is None:
        distance = torch.randint(0, length, (n,), generator=generator)
    elif distance.shape != (n,) or distance.min() < 0 or distance.max() >= length:
        raise ValueError(f"distance must have shape ({n},) with values from 0 to {length - 1}")
    x[torch.arange(n), length - 1 - distance] = len(ALPHABET) + key
    return x, key, distance


def next_char_batch(
    ids: torch.Tensor, n: int, length: int, *, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random windows of text and, for each position, the character that comes next.

    Returns ``(x, y)`` of shape ``(n, length)``: ``y`` is ``x`` shifted by one character.

    Example:
        >>> x, y = next_char_batch(encode("hello world"), 1, 4, generator=torch.Generator().manual_seed(0))
        >>> decode(x[0][1:]) == decode(y[0][:-1])
        True
    """
    _check_count("n", n)
    _check_count("length", length)
    _check_ids(ids, length)
    starts = torch.randint(0, len(ids) - length, (n,), generator=generator)
    window = ids[starts[:, None] + torch.arange(length + 1)]
    return window[:, :-1], window[:, 1:]


def plot_attention(
    weights: torch.Tensor,
    *,
    marks: Sequence[int] | None = None,
    ax=None,
    title: str = "",
    xlabel: str = "position in the window",
    ylabel: str = "example",
):
    """Attention weights (rows: queries or examples, columns: positions) as a heat map with a colour key.

    ``marks`` puts a ring on one column per row (e.g. where the key letter was). Returns the axes.

    Example:
        >>> ax = plot_attention(torch.softmax(torch.randn(3, 10), dim=1), marks=[0, 4, 9])
        >>> ax.get_xlabel()
        'position in the window'
    """
    import matplotlib.pyplot as plt

    if not isinstance(weights, torch.Tensor) or weights.dim() != 2:
        raise ValueError(
            "weights must be a 2-D tensor (rows × positions); for one example's weights use "
            "w.unsqueeze(0), for a batch of matrices pick one: w[0]"
        )
    w = weights.detach().float().cpu().numpy()
    if marks is not None and len(marks) != len(w):
        raise ValueError(f"marks needs one position per row: {len(w)} rows, {len(marks)} marks")
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.45 * len(w) + 1.8))
    image = ax.imshow(
        w,
        aspect="auto",
        cmap="viridis",
        vmin=0,
        vmax=max(float(w.max()), 1e-6),
        interpolation="nearest",
    )
    if marks is not None:
        ax.scatter(
            list(marks),
            range(len(w)),
            s=160,
            facecolors="none",
            edgecolors="#D55E00",
            linewidths=2.2,
            label="the key letter",
        )
        ax.legend(
            loc="lower right", bbox_to_anchor=(1, 1), fontsize=11, frameon=False, borderaxespad=0.2
        )
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, yticks=range(len(w)))
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label="attention weight", pad=0.01)
    return ax
