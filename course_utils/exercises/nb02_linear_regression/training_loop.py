"""Notebook 02's training-loop exercises: a ``Dataset`` of one's own and mini-batch SGD written
out (``train_sgd``); each with its reference solution and its check."""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from course_utils.checks import (
    CheckFailed,
    call_student,
    check_tensor,
    passed,
)

__all__ = [
    "check_dataset",
    "check_training_loop",
    "reference_RegressionData",
    "reference_train_sgd",
]


class reference_RegressionData(
    Dataset
):  # named reference_<answer>, as every reference solution of the course
    """Exercise 7.1: the pairs (x_i, y_i) of a feature matrix X, shape (n, d), and targets y, shape (n, 1).

    Example:
        >>> data = reference_RegressionData(torch.zeros(5, 2), torch.ones(5, 1))
        >>> len(data), [tuple(t.shape) for t in data[4]]
        (5, [(2,), (1,)])
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        self.X, self.y = X, y

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X[i], self.y[i]


def check_dataset(cls: type) -> None:
    """Check a ``Dataset`` class ``cls(X, y)``: its length and its (x_i, y_i) pairs.

    Example:
        >>> class Pairs(Dataset):
        ...     def __init__(self, X, y): self.X, self.y = X, y
        ...     def __len__(self): return len(self.X)
        ...     def __getitem__(self, i): return self.X[i], self.y[i]
        >>> check_dataset(Pairs)
        ✅ your Dataset is correct (len 7, item 3 is (X[3], y[3]))
    """
    X, y = torch.arange(14.0).reshape(7, 2), torch.arange(7.0) * 10
    ds = call_student(
        cls, X.clone(), y.clone(), name=f"{getattr(cls, '__name__', 'your class')}(X, y)"
    )
    if not isinstance(ds, Dataset):
        raise CheckFailed(
            "your class should inherit from torch.utils.data.Dataset: `class MyData(Dataset):`."
        )
    n = call_student(len, ds, name="len(dataset)")
    if n != 7:
        raise CheckFailed(
            f"len(dataset) is {n} but the data has 7 examples: return len(self.X) in __len__."
        )
    item = call_student(ds.__getitem__, 3, name="dataset[3]")
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise CheckFailed("dataset[3] should be a pair (x, y): `return self.X[i], self.y[i]`.")
    check_tensor(item[0], X[3], name="dataset[3][0] (the features of example 3)", quiet=True)
    check_tensor(item[1], y[3], name="dataset[3][1] (the target of example 3)", quiet=True)
    passed("your Dataset", "len 7, item 3 is (X[3], y[3])")


def reference_train_sgd(
    loader: DataLoader,
    epochs: int,
    lr: float,
    scheduler_gamma: float | None = None,
    seed: int = 0,
    *,
    mistake: str | None = None,
) -> tuple[nn.Module, list[tuple[float, float, float]]]:
    """Exercise 7.2: mini-batch SGD on ``nn.Linear(1, 1)`` seeded by ``seed`` (the learning rate times
    ``scheduler_gamma`` every 5 epochs, if given); returns the model and (w, b, loss) after each step. It
    trains where the loader's batches are (the CPU). ``mistake`` makes one typical mistake instead:
    ``"no zero_grad"``, ``"step first"``, ``"squeezed"`` (the check's ``_LOOP_MISTAKES``).

    Example:
        >>> model, history = reference_train_sgd(_loader(64, 16, seed=0), epochs=3, lr=0.05)
        >>> len(history), history[-1][2] < history[0][2]
        (12, True)
    """
    torch.manual_seed(seed)
    model = nn.Linear(1, 1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = (
        torch.optim.lr_scheduler.StepLR(optimizer, 5, gamma=scheduler_gamma)
        if scheduler_gamma
        else None
    )
    history = []
    for _ in range(epochs):
        for xb, yb in loader:
            loss = loss_fn(model(xb).squeeze(1) if mistake == "squeezed" else model(xb), yb)
            if mistake == "no zero_grad":
                loss.backward()
                optimizer.step()
            elif mistake == "step first":
                optimizer.step()
                optimizer.zero_grad()
                loss.backward()
            else:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            history.append((model.weight.item(), model.bias.item(), loss.item()))
        if scheduler:
            scheduler.step()
    return model, history


def _same_history(got: list, want: list) -> bool:
    return len(got) == len(want) and all(
        math.isclose(g, w, rel_tol=1e-3, abs_tol=1e-4)
        for gs, ws in zip(got, want)
        for g, w in zip(gs, ws)
    )


_LOOP_MISTAKES = {
    "no zero_grad": "the gradients piled up from batch to batch: PyTorch adds every backward() to .grad, so call "
    "optimizer.zero_grad() before loss.backward() in every step",
    "step first": "every step used the gradient of the previous batch: call loss.backward() before "
    "optimizer.step()",
    "squeezed": "the prediction and the target have different shapes, so the loss broadcast them into a "
    "(batch, batch) table: model(xb) and yb both have shape (batch, 1), compare them as they are "
    "(no .squeeze())",
}


def check_training_loop(fn: Callable[..., tuple[nn.Module, list]]) -> None:
    """Check ``fn(loader, epochs, lr, scheduler_gamma=None, seed=0) -> (model, history)``: the four steps.

    ``fn`` is the notebook's ``train_sgd``: it must take each batch through the forward pass and
    the loss, ``optimizer.zero_grad()``, ``loss.backward()`` and ``optimizer.step()``, and record
    ``(w, b, loss)`` after every step. It is run on a small data set in a fixed order and
    compared, step by step, with the same loop written right and with each typical mistake.

    Example:
        >>> def train_sgd(loader, epochs, lr, scheduler_gamma=None, seed=0):
        ...     torch.manual_seed(seed)
        ...     model, loss_fn = nn.Linear(1, 1), nn.MSELoss()
        ...     optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        ...     history = []
        ...     for epoch in range(epochs):
        ...         for xb, yb in loader:
        ...             loss = loss_fn(model(xb), yb)
        ...             optimizer.zero_grad()
        ...             loss.backward()
        ...             optimizer.step()
        ...             history.append((model.weight.item(), model.bias.item(), loss.item()))
        ...     return model, history
        >>> check_training_loop(train_sgd)
        ✅ train_sgd is correct (the same 12 steps as the reference loop, and the loss falls)
    """
    for n, batch_size, epochs, lr, seed in _LOOP_RUNS:
        _check_loop_run(fn, n, batch_size, epochs, lr, seed)
    steps = _LOOP_RUNS[0][2] * _LOOP_RUNS[0][0] // _LOOP_RUNS[0][1]
    passed("train_sgd", f"the same {steps} steps as the reference loop, and the loss falls")


#: The check's runs of train_sgd, (examples, batch size, epochs, lr, seed): the second has a smaller last batch,
#: and every number differs, so that a number typed into the loop shows.
_LOOP_RUNS = ((64, 16, 3, 0.05, 0), (60, 24, 2, 0.02, 1))


def _loader(n: int, batch_size: int, seed: int) -> DataLoader:
    """The check's data for one run of train_sgd: y = 3x + 2 + noise, in a fixed order."""
    gen = torch.Generator().manual_seed(seed)
    x = 4 * torch.rand(n, 1, generator=gen)
    y = 3 * x + 2 + 0.5 * torch.randn(n, 1, generator=gen)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size)


@functools.lru_cache(maxsize=32)
def _reference(
    n: int,
    batch_size: int,
    epochs: int,
    lr: float,
    seed: int,
    mistake: str | None = None,
    init_seed: int | None = None,
) -> tuple:
    """The history of the reference loop (or of one mistake; or with the weights of another seed) on the check's
    data of ``seed`` (computed once per session)."""
    # Seeded like train_sgd, without touching the caller's RNG; the "squeezed" mistake broadcasts, and MSELoss warns.
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, history = reference_train_sgd(
            _loader(n, batch_size, seed),
            epochs,
            lr,
            seed=seed if init_seed is None else init_seed,
            mistake=mistake,
        )
    return tuple(history)


def _check_loop_run(
    fn: Callable[..., tuple[nn.Module, list]],
    n: int,
    batch_size: int,
    epochs: int,
    lr: float,
    seed: int,
) -> None:
    loader = _loader(n, batch_size, seed)
    call = f"train_sgd(loader, epochs={epochs}, lr={lr}, seed={seed})"
    result = call_student(fn, loader, epochs=epochs, lr=lr, seed=seed, name="train_sgd")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(
            f"train_sgd should return (model, history); it returned {type(result).__name__}."
        )
    _, history = result
    steps = epochs * len(loader)
    if not isinstance(history, (list, tuple)) or not all(
        isinstance(h, (list, tuple)) and len(h) == 3 and all(isinstance(v, numbers.Real) for v in h)
        for h in history
    ):
        raise CheckFailed(
            "train_sgd's history should be a list of (w, b, loss) numbers, one per step: keep the "
            "history.append((model.weight.item(), model.bias.item(), loss.item())) line."
        )
    if len(history) != steps:
        raise CheckFailed(
            f"{call} made {len(history)} steps, expected {steps} ({epochs} epochs of {len(loader)} "
            "batches): one step per batch, inside `for xb, yb in loader:`, for `epochs` epochs."
        )
    if any(not math.isfinite(v) for h in history for v in h):
        raise CheckFailed(
            "the weights or the loss became inf or nan: each batch needs loss = loss_fn(model(xb), "
            "yb), optimizer.zero_grad(), loss.backward(), optimizer.step(), in this order."
        )
    with torch.random.fork_rng(
        devices=[]
    ):  # the seeded start of train_sgd, without touching the caller's RNG
        torch.manual_seed(seed)
        w0, b0 = (p.item() for p in nn.Linear(1, 1).parameters())
    if all(
        math.isclose(h[0], w0, abs_tol=1e-7) and math.isclose(h[1], b0, abs_tol=1e-7)
        for h in history
    ):
        raise CheckFailed(
            "the weights never changed: call optimizer.step() after loss.backward() (and "
            "optimizer.zero_grad() before loss.backward(), not between backward and step)."
        )
    want = _reference(n, batch_size, epochs, lr, seed)
    if _same_history(history, want):
        return
    for mistake, message in _LOOP_MISTAKES.items():
        if _same_history(history, _reference(n, batch_size, epochs, lr, seed, mistake)):
            raise CheckFailed(message + ".")
    for other_lr, other_seed, what in (
        (_LOOP_RUNS[0][3], seed, "learning rate"),
        (lr, _LOOP_RUNS[0][4], "seed"),
    ):
        if (other_lr, other_seed) != (lr, seed) and _same_history(
            history, _reference(n, batch_size, epochs, other_lr, seed, init_seed=other_seed)
        ):
            raise CheckFailed(
                f"{call} trained with another {what}: use the arguments lr and seed "
                "(torch.optim.SGD(model.parameters(), lr=lr), torch.manual_seed(seed)), not numbers."
            )
    step = next(i for i, (g, w) in enumerate(zip(history, want)) if not _same_history([g], [w]))
    raise CheckFailed(
        f"{call} trains, but after step {step + 1} it has w = {history[step][0]:.4f}, "
        f"b = {history[step][1]:.4f} where the reference loop has w = {want[step][0]:.4f}, "
        f"b = {want[step][1]:.4f}: each batch needs exactly loss = loss_fn(model(xb), yb), "
        "optimizer.zero_grad(), loss.backward(), optimizer.step()."
    )
