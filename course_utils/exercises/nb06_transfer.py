"""Checks for the exercises of notebook 06 (transfer learning)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from course_utils.checks import CheckFailed, call_student, passed
from course_utils.probes import FixedDropout

__all__ = ["BatchSizeColumn", "check_frozen_features", "reference_frozen_features"]


def reference_frozen_features(
    network: nn.Module, images: torch.Tensor, batch_size: int = 32
) -> torch.Tensor:
    """A frozen network's outputs in batches: eval mode, no graph for gradients.

    Example:
        >>> reference_frozen_features(nn.Flatten(), torch.ones(5, 1, 2, 2), batch_size=2).shape
        torch.Size([5, 4])
    """
    network.eval()
    with torch.no_grad():
        return torch.cat([network(batch) for batch in images.split(batch_size)])


class BatchSizeColumn(nn.Module):
    """Adds a last column holding the size of the batch each row came in: the check network's way of
    telling how an answer batched its images (in the notebook and in the grader alike).

    Example:
        >>> BatchSizeColumn()(torch.zeros(3, 2))[:, -1].tolist()
        [3.0, 3.0, 3.0]
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [x, torch.full((len(x), 1), float(len(x)), dtype=x.dtype, device=x.device)], dim=1
        )


def _network() -> nn.Module:
    """A small network with BatchNorm (stored statistics far from any batch's) and dropout (with masks fixed, so
    that training mode gives known values), left in train mode; its last column is the batch size."""
    gen = torch.Generator().manual_seed(6)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        FixedDropout(0.5),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        BatchSizeColumn(),
    )
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
        net[1].running_mean.copy_(torch.randn(4, generator=gen) * 3)
        net[1].running_var.copy_(torch.rand(4, generator=gen) * 4 + 0.5)
    return net.train()


#: The check's (images, batch size) cases: the second ends with a batch of one image.
_CASES = ((10, 4), (7, 3))


def check_frozen_features(fn: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``frozen_features(network, images, batch_size=32)``.

    Checked on behaviour, with a check network that has BatchNorm and dropout and that adds to
    each row the size of its batch: the values (eval mode), no graph, and the batches used.

    Example:
        >>> check_frozen_features(reference_frozen_features)
        ✅ frozen_features is correct (eval mode, stored BatchNorm statistics kept, no graph, every image once)
    """
    for n, batch_size in _CASES:
        _check_case(fn, n, batch_size)
    passed(
        "frozen_features", "eval mode, stored BatchNorm statistics kept, no graph, every image once"
    )


def _check_case(fn: Callable[..., torch.Tensor], n: int, batch_size: int) -> None:
    images = torch.randn(n, 3, 8, 8, generator=torch.Generator().manual_seed(n))
    network = _network()
    expected = reference_frozen_features(copy.deepcopy(network), images, batch_size)
    out = call_student(
        fn, copy.deepcopy(network), images.clone(), batch_size=batch_size, name="frozen_features"
    )
    call = f"frozen_features(network, {n} images, batch_size={batch_size})"
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(
            f"frozen_features returned a {type(out).__name__}: return one tensor, the outputs of all "
            "batches joined with torch.cat."
        )
    if out.dim() == 0 or out.shape[0] != n:
        raise CheckFailed(
            f"{call} gave {len(out) if out.dim() else 0} rows for {n} images: every image once, the last (smaller) "
            "batch included (images.split(batch_size) does that)."
        )
    if tuple(out.shape) != tuple(expected.shape):
        raise CheckFailed(
            f"frozen_features returned shape {tuple(out.shape)}, expected {tuple(expected.shape)}: "
            "join the batches' outputs along the first dimension (torch.cat(outputs))."
        )
    sizes = out.detach()[:, -1].round().long().tolist()
    wanted = expected[:, -1].long().tolist()
    if sizes != wanted:
        how = (
            "all at once"
            if set(sizes) == {n}
            else "one image at a time"
            if set(sizes) == {1}
            else f"in batches of {max(sizes)}"
        )
        raise CheckFailed(
            f"{call} ran the network on its images {how}: use the argument batch_size for the batches "
            "(images.split(batch_size)), so that large image sets fit in memory."
        )
    with torch.no_grad():
        trained = torch.cat([copy.deepcopy(network).train()(b) for b in images.split(batch_size)])
    if torch.allclose(out.detach().float(), trained, atol=1e-4):
        raise CheckFailed(
            "the features are the network's in training mode: call network.eval() first, so that "
            "BatchNorm uses (and keeps) its stored statistics instead of each batch's, and dropout is "
            "off."
        )
    if not torch.allclose(out.detach().float(), expected, atol=1e-4):
        raise CheckFailed(
            "the features are not the frozen network's outputs: call network.eval(), then the network "
            "on each batch under torch.no_grad(), and torch.cat the outputs."
        )
    if out.requires_grad:
        raise CheckFailed(
            "the features carry a graph for gradients (they require grad): compute them inside "
            "`with torch.no_grad():`, which saves memory and time for a frozen network."
        )
