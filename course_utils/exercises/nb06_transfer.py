"""Checks for the exercises of notebook 06 (transfer learning)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from course_utils.checks import CheckFailed, call_student, calls_in, passed, runs_elsewhere, source_of

__all__ = ["check_frozen_features", "reference_frozen_features"]

_NO_GRAPH = ("no_grad", "inference_mode", "detach", "set_grad_enabled")


def reference_frozen_features(network: nn.Module, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """A frozen network's outputs in batches: eval mode, no graph for gradients.

    Example:
        >>> reference_frozen_features(nn.Flatten(), torch.ones(5, 1, 2, 2), batch_size=2).shape
        torch.Size([5, 4])
    """
    network.eval()
    with torch.no_grad():
        return torch.cat([network(batch) for batch in images.split(batch_size)])


def _network() -> nn.Module:
    """A small network with BatchNorm (stored statistics far from any batch's) and dropout, left in train mode."""
    gen = torch.Generator().manual_seed(6)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten())
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
        net[1].running_mean.copy_(torch.randn(4, generator=gen) * 3)
        net[1].running_var.copy_(torch.rand(4, generator=gen) * 4 + 0.5)
    return net.train()


def check_frozen_features(fn: Callable[..., torch.Tensor]) -> None:
    """Check a student's ``frozen_features(network, images, batch_size=32)``.

    Example:
        >>> check_frozen_features(reference_frozen_features)
        ✅ frozen_features is correct (eval mode, stored BatchNorm statistics kept, no graph, every image once)
    """
    images = torch.randn(10, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    network = _network()
    stored = {k: v.clone() for k, v in network.state_dict().items()}
    expected = reference_frozen_features(copy.deepcopy(network), images, 4)
    out = call_student(fn, network, images.clone(), batch_size=4, name="frozen_features")
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(f"frozen_features returned a {type(out).__name__}: return one tensor, the outputs of all "
                          "batches joined with torch.cat.")
    if out.shape[0] != len(images):
        raise CheckFailed(f"frozen_features gave {out.shape[0]} rows for {len(images)} images with batch_size=4: "
                          "every image once, the last (smaller) batch included (images.split(batch_size) does that).")
    if tuple(out.shape) != tuple(expected.shape):
        raise CheckFailed(f"frozen_features returned shape {tuple(out.shape)}, expected {tuple(expected.shape)}: "
                          "join the batches' outputs along the first dimension (torch.cat(outputs)).")
    changed = [k for k, v in network.state_dict().items() if not torch.equal(v, stored[k])]
    if changed:
        raise CheckFailed(f"computing features changed the network's {', '.join(changed)}: a network in train mode "
                          "updates BatchNorm's stored statistics. Call network.eval() first.")
    if not torch.allclose(out.float(), expected, atol=1e-4):
        raise CheckFailed("the features are not the frozen network's: call network.eval() first, so that BatchNorm "
                          "uses its stored statistics (not each batch's) and dropout is off.")
    graded = runs_elsewhere(fn)  # graded: the result comes back as plain data, so the code says how it was computed
    built_graph = (not any(name in _NO_GRAPH for name, _ in calls_in(source_of(fn)))) if graded else (
        out.requires_grad or out.grad_fn is not None)
    if built_graph:
        raise CheckFailed("the features carry a graph for gradients (they require grad): compute them inside "
                          "`with torch.no_grad():`, which saves memory and time for a frozen network.")
    passed("frozen_features", "eval mode, stored BatchNorm statistics kept, no graph, every image once")
