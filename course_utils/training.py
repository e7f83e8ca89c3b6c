"""A reusable training loop: the one students wrote in notebooks 02–04, with the extras.

``fit`` runs the five steps you know (forward, loss, zero_grad, backward, step) for a number
of epochs, evaluates on a validation loader after each, and returns a ``History``. Extras:
a progress bar (gone when training ends), an optional live loss/accuracy plot, early stopping,
and, when you ask for them on CUDA, mixed precision (autocast) and ``channels_last`` tensors.
It never moves the model: put it on the device yourself (``model.to(device)``), as in the
earlier notebooks.

GPU settings are off unless a measurement showed they make the course's models faster
(issue 20). Measured on an NVIDIA H200 (torch 2.11, CUDA 13), mixed precision and
``channels_last`` made every course model slower, so ``fit`` uses neither by default; pinned
memory and ``torch.backends.cudnn.benchmark`` have not been measured yet, so ``make_loader`` does
not pin memory unless asked and ``fit`` leaves cuDNN's setting alone (PyTorch's default: off).
``tests/bench/bench_gpu.py`` (``make bench BENCH=bench_gpu``, part of ``make gpu-check``)
measures each of them on the GPU at hand.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler

from course_utils.device import model_device

__all__ = [
    "EarlyStopping",
    "History",
    "LivePlot",
    "fit",
    "make_loader",
    "plot_history",
    "predict",
    "run_epoch",
]


@dataclass
class History:
    """Per-epoch metrics of one ``fit`` run."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  #: wall time of each epoch
    best_epoch: int | None = (
        None  #: 1-based epoch whose weights the model holds after early stopping
    )
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


@dataclass
class EarlyStopping:
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best`` the model gets back the weights of its best epoch at the end.

    Example:
        >>> stopper = EarlyStopping(patience=3)
    """

    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if self.patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {self.patience}")


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
    sampler: Sampler | None = None,
    num_workers: int = 0,
    pin_memory: bool = False,
) -> DataLoader:
    """A DataLoader for training on ``device``.

    ``pin_memory=True`` puts each batch in page-locked memory, which can speed up copies to a
    CUDA ``device``; it is off by default because no GPU measurement of the course's models has
    shown a gain yet (``tests/bench/bench_gpu.py`` measures it).

    Example:
        >>> loader = make_loader(torch.utils.data.TensorDataset(torch.zeros(8, 2)), 4)
        >>> len(loader), loader.pin_memory
        (2, False)
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if pin_memory and torch.device(device).type != "cuda":
        raise ValueError(
            f"pin_memory=True only speeds up copies to a CUDA GPU, and device is {device}: "
            "pass device=device (a CUDA device) or leave pin_memory off"
        )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        generator=generator,
        num_workers=num_workers,
        pin_memory=pin_memory,
        persistent_workers=num_workers > 0,
    )


def _autocast(device: torch.device, enabled: bool):
    if not enabled:
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def _to(batch: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    if channels_last and batch.dim() == 4:
        return batch.to(device, non_blocking=True, memory_format=torch.channels_last)
    return batch.to(device, non_blocking=True)


def run_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: Callable,
    device: torch.device,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    amp: bool = False,
    channels_last: bool = False,
    scaler: torch.amp.GradScaler | None = None,
) -> tuple[float, float]:
    """One pass over ``loader``: trains if an optimizer is given, else only evaluates.

    Returns the mean loss and the accuracy. Losses are summed on the device and read once at
    the end, so the loop does not wait for the GPU after every batch.

    Example:
        >>> loss, acc = run_epoch(model, val_loader, nn.CrossEntropyLoss(), device)  # doctest: +SKIP
    """
    training = optimizer is not None
    model.train(training)
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    seen = 0
    with torch.set_grad_enabled(training):
        for X, y in loader:
            X, y = _to(X, device, channels_last), y.to(device, non_blocking=True)
            with _autocast(device, amp):
                y_hat = model(X)  # 1. forward pass
                loss = loss_fn(y_hat, y)  # 2. loss
            if training:
                optimizer.zero_grad(set_to_none=True)  # 3. zero the gradients
                if scaler is not None:
                    scaler.scale(loss).backward()  # 4. backward pass
                    scaler.step(optimizer)  # 5. optimizer step
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
            total_loss += loss.detach().float() * len(y)
            correct += (y_hat.argmax(1) == y).sum()
            seen += len(y)
    if seen == 0:
        raise ValueError("the loader gave no batches: is the dataset empty?")
    return total_loss.item() / seen, correct.item() / seen


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    val_loader: DataLoader | None = None,
    *,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    early_stopping: EarlyStopping | None = None,
    scheduler: object | None = None,
    amp: bool = False,
    channels_last: bool = False,
    progress: bool = True,
    live_plot: bool = False,
) -> History:
    """Train ``model`` for up to ``epochs`` epochs on the device it lives on; return a History.

    ``early_stopping`` needs a ``val_loader``. ``live_plot`` redraws loss and accuracy after each
    epoch in a notebook. ``progress`` shows a bar over the epochs while training runs.

    Two GPU options, off by default because they were measured slower for the course's models
    on an NVIDIA H200 (torch 2.11, CUDA 13; issue 20); ``tests/bench/bench_gpu.py`` measures them
    on your GPU:

    - ``amp=True`` (CUDA only): mixed precision, autocast to bfloat16 (float16 with a gradient
      scaler on GPUs without bfloat16). Measured: the course CNN at 64 px, batch 32, 7,654
      images/s without and 5,700 with; EfficientNet-Lite0 at 128 px, batch 64, 2,525 and 2,104.
    - ``channels_last=True``: the model's and each image batch's memory layout becomes
      channels-last (in place, never the device). Measured with mixed precision only:
      EfficientNet-Lite0 at 128 px 2,301 images/s, still below plain float32 (2,525); alone it
      has not been measured on a GPU yet. On a CPU it pays: one epoch of notebook 05's CNN (48 px,
      1,330 images, batch 128, one thread of a 2-core CPU, torch 2.13) took a median 0.73 s
      instead of 1.14 s (7 epochs each), and 05 turns it on there.

    ``fit`` leaves ``torch.backends.cudnn.benchmark`` as it is (PyTorch's default: off).

    Example:
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
        >>> data = torch.utils.data.TensorDataset(torch.randn(16, 1, 2, 2), torch.randint(0, 2, (16,)))
        >>> history = fit(model, make_loader(data, 8), loss_fn=nn.CrossEntropyLoss(),
        ...               optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
        >>> history.epochs, len(history.train_loss)
        (2, 2)
    """
    from course_utils.progress import progress_bar

    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if early_stopping is not None and val_loader is None:
        raise ValueError("early stopping watches the validation loss: pass a val_loader too")
    device = model_device(model)
    cuda = device.type == "cuda"
    if amp and not cuda:
        raise ValueError(
            f"mixed precision (amp=True) is only used on CUDA here; the model is on {device}"
        )
    if channels_last:
        model.to(memory_format=torch.channels_last)
    scaler = torch.amp.GradScaler("cuda") if amp and not torch.cuda.is_bf16_supported() else None
    history, best_loss, best_state, waited = History(), float("inf"), None, 0
    plot = LivePlot() if live_plot else None
    bar = progress_bar(range(1, epochs + 1), desc="epochs", enabled=progress)
    try:
        for epoch in bar:
            start = time.perf_counter()
            loss, acc = run_epoch(
                model,
                train_loader,
                loss_fn,
                device,
                optimizer,
                amp=amp,
                channels_last=channels_last,
                scaler=scaler,
            )
            history.train_loss.append(loss)
            history.train_acc.append(acc)
            if val_loader is not None:
                val_loss, val_acc = run_epoch(
                    model, val_loader, loss_fn, device, amp=amp, channels_last=channels_last
                )
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
            if scheduler is not None:
                scheduler.step()
            history.seconds.append(time.perf_counter() - start)
            bar.set_postfix(
                {
                    k: f"{v[-1]:.3f}"
                    for k, v in (
                        ("loss", history.train_loss),
                        ("acc", history.train_acc),
                        ("val_loss", history.val_loss),
                        ("val_acc", history.val_acc),
                    )
                    if v
                }
            )
            if plot is not None:
                plot.update(history)
            if early_stopping is not None:
                if history.val_loss[-1] < best_loss - early_stopping.min_delta:
                    best_loss, waited, history.best_epoch = history.val_loss[-1], 0, epoch
                    if early_stopping.restore_best:
                        best_state = copy.deepcopy(model.state_dict())
                else:
                    waited += 1
                    if waited >= early_stopping.patience:
                        history.stopped_early = True
                        break
    finally:
        bar.close()
        if plot is not None:
            plot.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def predict(
    model: nn.Module, loader: DataLoader
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Labels, predicted classes and class probabilities for every example of ``loader`` (on the CPU).

    Example:
        >>> y_true, y_pred, probs = predict(model, val_loader)  # doctest: +SKIP
    """
    device = model_device(model)
    model.eval()
    ys, probs = [], []
    for X, y in loader:
        probs.append(torch.softmax(model(X.to(device)).float(), dim=1).cpu())
        ys.append(y)
    probs_all = torch.cat(probs)
    return torch.cat(ys), probs_all.argmax(1), probs_all


def plot_history(history: History, axes=None, title: str = ""):
    """Loss and accuracy per epoch, train and validation side by side. Returns the two axes.

    Example:
        >>> plot_history(history, title="baseline")  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import COLORS

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4))
    epochs = range(1, history.epochs + 1)
    for ax, (name, train, val) in zip(
        axes,
        (
            ("loss", history.train_loss, history.val_loss),
            ("accuracy", history.train_acc, history.val_acc),
        ),
    ):
        ax.clear()
        ax.plot(epochs, train, color=COLORS["blue"], label="train")
        if val:
            ax.plot(epochs, val, color=COLORS["vermillion"], label="validation")
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color=COLORS["black"], linestyle=":", label="best epoch")
        ax.set(xlabel="epoch", ylabel=name, title=f"{title} {name}".strip())
        ax.legend()
    return axes


class LivePlot:
    """Redraws ``plot_history`` in place after each epoch (in Jupyter; silent elsewhere)."""

    def __init__(self) -> None:
        import matplotlib.pyplot as plt

        self.fig, self.axes = plt.subplots(1, 2, figsize=(12, 4))
        plt.close(self.fig)  # shown through the display handle below, not a second time
        try:
            from IPython.display import display

            self.handle = display(self.fig, display_id=True)
        except ImportError:
            self.handle = None

    def update(self, history: History) -> None:
        plot_history(history, self.axes)
        self.fig.tight_layout()
        if self.handle is not None:
            self.handle.update(self.fig)

    def close(self) -> None:
        import matplotlib.pyplot as plt

        plt.close(self.fig)
