"""The course training loop: history, early stopping, no device moves, clear errors."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from course_utils import training as tr


def toy_data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 1, 4, 4, generator=g) * 0.3 + (2 * y - 1).float().view(-1, 1, 1, 1)
    return TensorDataset(X, y)


def toy_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))


def loaders():
    g = torch.Generator().manual_seed(0)
    return tr.make_loader(toy_data(), 16, shuffle=True, generator=g), tr.make_loader(
        toy_data(32, 1), 32
    )


def test_fit_learns_and_returns_a_history():
    model = toy_model()
    train, val = loaders()
    history = tr.fit(
        model,
        train,
        val,
        loss_fn=nn.CrossEntropyLoss(),
        epochs=5,
        progress=False,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
    )
    assert history.epochs == 5 and len(history.val_acc) == len(history.seconds) == 5
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_acc[-1] >= 0.9 and not history.stopped_early and history.best_epoch is None
    y_true, y_pred, probs = tr.predict(model, val)
    assert y_true.shape == y_pred.shape == (32,) and probs.shape == (32, 2)
    assert torch.allclose(probs.sum(1), torch.ones(32))


def test_early_stopping_stops_and_restores_the_best_weights():
    model = toy_model()
    train, _ = loaders()
    flipped = toy_data(32, 1)
    flipped.tensors = (
        flipped.tensors[0],
        1 - flipped.tensors[1],
    )  # validation gets worse as training learns
    val = tr.make_loader(flipped, 32)
    history = tr.fit(
        model,
        train,
        val,
        loss_fn=nn.CrossEntropyLoss(),
        epochs=50,
        progress=False,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
        early_stopping=tr.EarlyStopping(patience=2),
    )
    assert history.stopped_early and history.epochs < 50
    best = history.best_epoch
    assert history.val_loss[best - 1] == min(history.val_loss)
    val_loss, _ = tr.run_epoch(model, val, nn.CrossEntropyLoss(), torch.device("cpu"))
    assert val_loss == pytest.approx(history.val_loss[best - 1], rel=1e-5)


def test_fit_without_validation_and_with_a_scheduler():
    model = toy_model()
    train, _ = loaders()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    history = tr.fit(
        model,
        train,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=opt,
        scheduler=sched,
        epochs=2,
        progress=False,
    )
    assert history.val_loss == [] and opt.param_groups[0]["lr"] == pytest.approx(0.025)


def test_fit_never_moves_the_model_and_validates_its_arguments():
    model = toy_model()
    train, val = loaders()
    opt = torch.optim.Adam(model.parameters())
    kwargs = dict(loss_fn=nn.CrossEntropyLoss(), optimizer=opt, progress=False)
    tr.fit(model, train, val, epochs=1, **kwargs)
    assert next(model.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="val_loader"):
        tr.fit(model, train, epochs=1, early_stopping=tr.EarlyStopping(), **kwargs)
    with pytest.raises(ValueError, match="at least 1"):
        tr.fit(model, train, val, epochs=0, **kwargs)
    with pytest.raises(ValueError, match="only used on CUDA"):
        tr.fit(model, train, val, epochs=1, amp=True, **kwargs)
    with pytest.raises(ValueError, match="patience"):
        tr.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="empty"):
        tr.run_epoch(
            model,
            tr.make_loader(TensorDataset(torch.zeros(0, 1, 4, 4), torch.zeros(0)), 4),
            nn.CrossEntropyLoss(),
            torch.device("cpu"),
        )


def test_make_loader_pins_memory_only_when_asked_for_cuda():
    ds = toy_data(8)
    assert not tr.make_loader(ds, 4).pin_memory
    assert not tr.make_loader(ds, 4, device="cuda").pin_memory, (
        "not measured faster: off by default (issue 20)"
    )
    assert tr.make_loader(ds, 4, device="cuda", pin_memory=True).pin_memory
    with pytest.raises(ValueError, match="only speeds up copies to a CUDA GPU"):
        tr.make_loader(ds, 4, pin_memory=True)
    with pytest.raises(ValueError, match="batch_size"):
        tr.make_loader(ds, 0)


def test_gpu_options_are_off_by_default():
    """Mixed precision and channels_last were measured slower for every course model on a GPU."""
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(tr.fit).parameters.items()}
    assert defaults["amp"] is False and defaults["channels_last"] is False
    assert inspect.signature(tr.make_loader).parameters["pin_memory"].default is False
    model = toy_model()
    before = torch.backends.cudnn.benchmark
    tr.fit(
        model,
        loaders()[0],
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=1,
        progress=False,
    )
    assert torch.backends.cudnn.benchmark == before, "fit leaves cuDNN's benchmark setting alone"
    assert model[0].weight.is_contiguous()


needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (make gpu-check)"
)


@needs_cuda
def test_fit_on_cuda_by_default_uses_plain_float32_and_keeps_the_layout():
    model = toy_model().to("cuda")
    train, val = loaders()
    history = tr.fit(
        model,
        train,
        val,
        loss_fn=nn.CrossEntropyLoss(),
        epochs=5,
        progress=False,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
    )
    assert next(model.parameters()).device.type == "cuda" and model[0].weight.is_contiguous()
    assert history.train_loss[-1] < history.train_loss[0] and history.val_acc[-1] >= 0.9


@needs_cuda
@pytest.mark.parametrize("amp, channels_last", [(True, False), (False, True), (True, True)])
def test_fit_on_cuda_with_the_gpu_options(amp, channels_last):
    model = toy_model().to("cuda")
    ds = toy_data()
    train = tr.make_loader(
        ds,
        16,
        shuffle=True,
        device="cuda",
        pin_memory=True,
        generator=torch.Generator().manual_seed(0),
    )
    history = tr.fit(
        model,
        train,
        tr.make_loader(toy_data(32, 1), 32),
        loss_fn=nn.CrossEntropyLoss(),
        epochs=5,
        progress=False,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
        amp=amp,
        channels_last=channels_last,
    )
    assert history.train_loss[-1] < history.train_loss[0]
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last) == channels_last
    y_true, _, probs = tr.predict(model, tr.make_loader(toy_data(32, 1), 32))
    assert probs.device.type == "cpu" and probs.dtype == torch.float32 and len(y_true) == 32


def test_plots_draw_the_curves():
    history = tr.History(
        train_loss=[1.0, 0.5],
        train_acc=[0.5, 0.8],
        val_loss=[1.1, 0.9],
        val_acc=[0.4, 0.7],
        best_epoch=2,
    )
    axes = tr.plot_history(history, title="toy")
    assert axes[0].get_title() == "toy loss" and len(axes[1].lines) == 3
    live = tr.LivePlot()
    live.update(history)
    live.close()
