"""Small fully connected networks for 2-D points: build, train and score them (notebook 04).

The training loop is the five steps of notebook 03 (forward, loss, zero_grad, backward, step)
over shuffled mini-batches, with the options notebook 04 varies: optimizer, learning rate,
batch size, weight decay (L2), an L1 penalty and a feature map. It records the loss on the
training and the validation points after every epoch. Nothing here moves the model: put it on
a device yourself; the points follow the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from course_utils.device import model_device

__all__ = ["OPTIMIZERS", "accuracy", "count_parameters", "mlp", "train"]

FeatureMap = Callable[[torch.Tensor], torch.Tensor]
#: The optimizers ``train`` knows, by name: SGD (with ``momentum``, if given) and Adam.
OPTIMIZERS = ("sgd", "adam")


def mlp(
    n_in: int, hidden: Sequence[int], activation: type[nn.Module] = nn.Tanh, dropout: float = 0.0
) -> nn.Sequential:
    """``n_in -> hidden[0] -> ... -> 1`` logit, ``activation`` (then dropout, if any) after each hidden layer.

    An empty ``hidden`` gives a linear model (logistic regression on the inputs).

    Example:
        >>> mlp(2, [4, 2])
        Sequential(
          (0): Linear(in_features=2, out_features=4, bias=True)
          (1): Tanh()
          (2): Linear(in_features=4, out_features=2, bias=True)
          (3): Tanh()
          (4): Linear(in_features=2, out_features=1, bias=True)
        )
    """
    if isinstance(n_in, bool) or not isinstance(n_in, int) or n_in < 1:
        raise ValueError(f"n_in is the number of inputs per point, a positive int; got {n_in!r}")
    hidden = list(hidden)
    if any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden):
        raise ValueError(
            f"hidden lists the neurons per hidden layer, positive ints such as [16, 16]; got {hidden!r}"
        )
    if not 0 <= dropout < 1:
        raise ValueError(
            f"dropout is the share of neurons switched off while training, 0 <= dropout < 1; got {dropout!r}"
        )
    layers: list[nn.Module] = []
    sizes = [n_in, *hidden]
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), activation()] + ([nn.Dropout(dropout)] if dropout else [])
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 1))


def count_parameters(model: nn.Module) -> int:
    """Number of weights and biases of ``model``.

    Example:
        >>> count_parameters(mlp(2, [16, 16]))
        337
    """
    return sum(p.numel() for p in model.parameters())


def _check_points(X: torch.Tensor, y: torch.Tensor, name: str) -> None:
    if (
        not isinstance(X, torch.Tensor)
        or not isinstance(y, torch.Tensor)
        or X.dim() != 2
        or y.shape != X.shape[:1]
    ):
        got = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (X, y)]
        raise ValueError(
            f"{name}: expected points X of shape (N, d) and 0/1 labels y of shape (N,), got {got[0]} "
            f"and {got[1]}"
        )


def _logits(model: nn.Module, F: torch.Tensor) -> torch.Tensor:
    return model(F).reshape(-1)


def train(
    model: nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_val: torch.Tensor,
    y_val: torch.Tensor,
    *,
    features: FeatureMap | None = None,
    epochs: int = 300,
    lr: float = 0.03,
    batch_size: int | None = None,
    optimizer: str = "adam",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    l1: float = 0.0,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train ``model`` on ``features(X_train)`` with ``BCEWithLogitsLoss``; return the loss per epoch.

    ``batch_size=None`` is the full batch (one step per epoch). ``momentum`` (SGD only) is
    PyTorch's ``SGD(momentum=...)``. ``weight_decay`` is the L2
    strength (the optimizer adds ``weight_decay · w`` to every gradient); ``l1`` adds
    ``l1 · Σ|w|`` over the weight matrices to the loss. ``seed`` fixes the batch order.
    Returns ``{"train": [...], "validation": [...]}``, measured in eval mode after each epoch.

    Example:
        >>> X = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, 0.5], [-0.5, -1.0]])
        >>> y = torch.tensor([1.0, 0.0, 1.0, 0.0])
        >>> _ = torch.manual_seed(0)
        >>> history = train(mlp(2, []), X, y, X, y, epochs=50, lr=0.1)
        >>> history["train"][-1] < history["train"][0]
        True
    """
    _check_points(X_train, y_train, "train: the training points")
    _check_points(X_val, y_val, "train: the validation points")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be a positive int, or None for the full batch; got {batch_size!r}"
        )
    if lr <= 0 or weight_decay < 0 or l1 < 0:
        raise ValueError(
            f"need lr > 0, weight_decay >= 0 and l1 >= 0; got {lr!r}, {weight_decay!r}, {l1!r}"
        )
    if not 0 <= momentum < 1 or (momentum and optimizer != "sgd"):
        raise ValueError(
            f"momentum (0 <= momentum < 1) is an option of optimizer='sgd'; got {momentum!r} with "
            f"optimizer={optimizer!r}"
        )
    phi = features or (lambda X: X)
    device = model_device(model)
    F_tr, t_tr = phi(X_train).to(device), y_train.float().to(device)
    F_val, t_val = phi(X_val).to(device), y_val.float().to(device)
    params = list(model.parameters())
    opt = (
        torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
        if optimizer == "sgd"
        else torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    )
    weights = [p for name, p in model.named_parameters() if "weight" in name]
    loss_fn = nn.BCEWithLogitsLoss()
    order = torch.Generator().manual_seed(seed)
    n = len(t_tr)
    history: dict[str, list[float]] = {"train": [], "validation": []}
    for _ in range(epochs):
        model.train()
        batches = (
            torch.randperm(n, generator=order).split(batch_size) if batch_size else [slice(None)]
        )
        for batch in batches:
            loss = loss_fn(_logits(model, F_tr[batch]), t_tr[batch])  # 1. forward, 2. loss
            if l1:
                loss = loss + l1 * sum(w.abs().sum() for w in weights)
            opt.zero_grad()  # 3. clear old gradients
            loss.backward()  # 4. backward
            opt.step()  # 5. update
        model.eval()
        with torch.no_grad():
            history["train"].append(loss_fn(_logits(model, F_tr), t_tr).item())
            history["validation"].append(loss_fn(_logits(model, F_val), t_val).item())
    return history


def accuracy(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, features: FeatureMap | None = None
) -> float:
    """Share of points whose logit sign matches the 0/1 label (the model in eval mode).

    Example:
        >>> first_coordinate = lambda X: X[:, :1]          # the logit is x1 itself
        >>> X = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [2.0, 5.0], [-3.0, 1.0]])
        >>> accuracy(nn.Identity(), X, torch.tensor([1.0, 0.0, 0.0, 0.0]), features=first_coordinate)
        0.75
    """
    _check_points(X, y, "accuracy")
    device = model_device(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = _logits(model, (features or (lambda X: X))(X).to(device))
    finally:
        model.train(was_training)
    return ((logits > 0).float().cpu() == (y.cpu() > 0.5).float()).float().mean().item()
