"""The checks and the homework grader of notebook 02 accept right answers and reject wrong ones."""

import inspect
import re
import textwrap

import numpy as np
import pytest
import torch
from both_ways import both
from torch import nn
from torch.utils.data import DataLoader, Dataset

from course_utils.checks import CheckFailed
from course_utils.exercises.nb02_linear_regression import (
    HOMEWORK_FEATURES,
    check_dataset,
    check_homework,
    check_mse_gradients,
    check_rmse,
    check_standardize,
    check_training_loop,
    grade_homework,
    make_homework_data,
)


def stub(*args, **kwargs):
    raise NotImplementedError()


# ---------------------------------------------------------------- rmse


def test_rmse_accepts_tensor_and_float(capsys):
    check_rmse(lambda y_hat, y: ((y_hat - y) ** 2).mean().sqrt())
    check_rmse(lambda y_hat, y: float(torch.sqrt(torch.mean((y_hat - y) ** 2))))
    check_rmse(lambda y_hat, y: nn.functional.mse_loss(y_hat, y).sqrt())
    check_rmse(lambda y_hat, y: ((y_hat - y).numpy() ** 2).mean() ** 0.5)
    assert capsys.readouterr().out.count("✅ rmse is correct") == 4


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (lambda y_hat, y: ((y_hat - y) ** 2).mean(), "which is the MSE"),
        (lambda y_hat, y: (y_hat - y).abs().mean(), "which is the MAE"),
        (lambda y_hat, y: ((y_hat - y) ** 2).sum().sqrt(), r"\.mean\(\), not \.sum\(\)"),
        (lambda y_hat, y: (y_hat - y) ** 2, "single number"),
        (lambda y_hat, y: (y_hat - y).mean(), "is 0.25, expected 1.5"),
        (
            lambda y_hat, y: ((y_hat - y) ** 2).mean(0, keepdim=True).sqrt(),
            r"tensor of shape \(1,\).*0-dimensional",
        ),
        (lambda y_hat, y: float("nan"), "is nan"),
    ],
)
def test_rmse_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_rmse(answer)


# ---------------------------------------------------------------- gradients


def right_gradients(X, y, w, b):
    e = X @ w + b - y
    return 2 * X.T @ e / len(y), 2 * e.mean()


def einsum_gradients(X, y, w, b):
    e = torch.einsum("nd,d->n", X, w) + b - y
    return torch.einsum("nd,n->d", X, e) * 2 / X.shape[0], (2 * e).sum() / X.shape[0]


@pytest.mark.parametrize("answer", [right_gradients, einsum_gradients])
def test_mse_gradients_accepts_the_derivation_written_differently(answer, capsys):
    check_mse_gradients(answer)
    assert "✅ mse_gradients is correct" in capsys.readouterr().out


def autograd_gradients(X, y, w, b):
    w, b = w.clone().requires_grad_(), b.clone().requires_grad_()
    ((X @ w + b - y) ** 2).mean().backward()
    return w.grad, b.grad


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (
            lambda X, y, w, b: tuple(g / 2 for g in right_gradients(X, y, w, b)),
            "half the right value",
        ),
        (lambda X, y, w, b: tuple(g * len(y) for g in right_gradients(X, y, w, b)), "don't sum"),
        (lambda X, y, w, b: tuple(-g for g in right_gradients(X, y, w, b)), "wrong sign"),
        (lambda X, y, w, b: right_gradients(X, y, w, b)[0], "should return two things"),
        (
            lambda X, y, w, b: (2 * X.T @ (X @ w - y) / len(y), 2 * (X @ w - y).mean()),
            "wrong values",
        ),
        (
            lambda X, y, w, b: (
                right_gradients(X, y, w, b)[0][None],
                right_gradients(X, y, w, b)[1],
            ),
            "shape",
        ),
        (autograd_gradients, "used autograd"),
        (
            lambda X, y, w, b: torch.autograd.grad(
                ((X @ w.requires_grad_() + b.requires_grad_() - y) ** 2).mean(), (w, b)
            ),
            "used autograd",
        ),
    ],
)
def test_mse_gradients_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_mse_gradients(answer)


# ---------------------------------------------------------------- standardize


def right_standardize(X_train, X_test):
    mean, std = X_train.mean(0), X_train.std(0)
    return (X_train - mean) / std, (X_test - mean) / std


def population_standardize(X_train, X_test):
    mean, std = X_train.mean(0), X_train.std(0, unbiased=False)  # NumPy's default, divides by n
    return (X_train - mean) / std, (X_test - mean) / std


def numpy_standardize(X_train, X_test):
    a, b = X_train.numpy(), X_test.numpy()
    mean, std = a.mean(0), a.std(0)
    return torch.from_numpy((a - mean) / std), torch.from_numpy((b - mean) / std)


@pytest.mark.parametrize("answer", [right_standardize, population_standardize, numpy_standardize])
def test_standardize_accepts_sample_and_population_std(answer, capsys):
    check_standardize(answer)
    assert "✅ standardize is correct" in capsys.readouterr().out


def in_place(X_train, X_test):
    mean, std = X_train.mean(0), X_train.std(0)
    X_train -= mean
    X_test -= mean
    return X_train / std, X_test / std


def mixed_std(X_train, X_test):
    mean = X_train.mean(0)
    return (X_train - mean) / X_train.std(0), (X_test - mean) / X_train.std(0, unbiased=False)


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (
            lambda tr, te: ((tr - tr.mean(0)) / tr.std(0), (te - te.mean(0)) / te.std(0)),
            "its own mean and std",
        ),
        (lambda tr, te: ((tr - tr.mean()) / tr.std(), (te - tr.mean()) / tr.std()), "per column"),
        (lambda tr, te: (tr - tr.mean(0), te - tr.mean(0)), "only subtracted the mean"),
        (
            lambda tr, te: ((tr - tr.mean(0)) / tr.var(0), (te - tr.mean(0)) / tr.var(0)),
            "divided by the variance",
        ),
        (
            lambda tr, te: ((tr - tr.min(0).values) / (tr.max(0).values - tr.min(0).values), te),
            "min-max scaling",
        ),
        (lambda tr, te: right_standardize(tr, te)[0], "two tensors"),
        (in_place, "changed its input matrices in place"),
        (mixed_std, "different statistics for X_train and X_test"),
        (
            lambda tr, te: (right_standardize(tr, te)[0] * 2, right_standardize(tr, te)[1] * 2),
            "wrong values",
        ),
    ],
)
def test_standardize_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_standardize(answer)


# ---------------------------------------------------------------- dataset


class Pairs(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def test_dataset_accepts_a_right_class(capsys):
    check_dataset(Pairs)
    assert "✅ your Dataset is correct" in capsys.readouterr().out


class StubLen(Pairs):
    def __len__(self):
        raise NotImplementedError()


class OnlyX(Pairs):
    def __getitem__(self, i):
        return self.X[i]


class Swapped(Pairs):
    def __getitem__(self, i):
        return self.y[i], self.X[i]


class WrongLen(Pairs):
    def __len__(self):
        return self.X.numel()


class NotADataset:
    def __init__(self, X, y):
        pass


@pytest.mark.parametrize(
    "cls, pattern",
    [
        (StubLen, "not written yet"),
        (OnlyX, "should be a pair"),
        (Swapped, r"shape \(\) but should have shape \(2,\)"),
        (WrongLen, "len\\(dataset\\) is 14"),
        (NotADataset, "inherit from torch.utils.data.Dataset"),
    ],
)
def test_dataset_rejects_wrong_classes(cls, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_dataset(cls)


# ---------------------------------------------------------------- training loop


def loop(*steps, squeeze=False, record_every_step=True, device="cpu"):
    """The notebook's train_sgd with the four steps given as letters: f(orward), z(ero_grad), b(ackward), s(tep)."""

    def train_sgd(loader, epochs, lr, scheduler_gamma=None, seed=0):
        torch.manual_seed(seed)
        model = nn.Linear(1, 1).to(device)
        loss_fn = nn.MSELoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        scheduler = (
            torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=scheduler_gamma)
            if scheduler_gamma
            else None
        )
        history = []
        for _ in range(epochs):
            for i, (xb, yb) in enumerate(loader):
                xb, yb = xb.to(device), yb.to(device)
                loss = loss_fn(model(xb).squeeze(1) if squeeze else model(xb), yb)
                for step in steps:
                    {"z": optimizer.zero_grad, "b": loss.backward, "s": optimizer.step}[step]()
                if record_every_step or i == 0:
                    history.append((model.weight.item(), model.bias.item(), loss.item()))
            if scheduler:
                scheduler.step()
        return model, history

    return train_sgd


@pytest.mark.parametrize(
    "answer",
    [loop("z", "b", "s"), loop("b", "s", "z")],
    ids=["zero-backward-step", "backward-step-zero"],
)
def test_training_loop_accepts_the_four_steps(answer, capsys):
    check_training_loop(answer)
    assert "✅ train_sgd is correct" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize(
    "answer, pattern",
    [
        (stub, "not written yet"),
        (loop("b", "s"), r"piled up.*zero_grad\(\) before loss.backward\(\)"),
        (loop("z", "b"), r"never changed: call optimizer.step\(\) after loss.backward\(\)"),
        (loop("b", "z", "s"), "never changed"),
        (loop("z", "s", "b"), "never changed"),
        (loop("s", "z", "b"), r"previous batch: call loss.backward\(\) before optimizer.step\(\)"),
        (loop("z", "b", "s", squeeze=True), r"different shapes.*no .squeeze\(\)"),
        (loop("z", "b", "s", record_every_step=False), "made 3 steps, expected 12"),
        (
            lambda loader, epochs, lr, scheduler_gamma=None, seed=0: loop("z", "b", "s")(
                loader, epochs, lr
            )[1],
            r"should return \(model, history\)",
        ),
        (
            lambda loader, epochs, lr, scheduler_gamma=None, seed=0: loop("z", "b", "s")(
                loader, epochs, 2 * lr
            ),
            "after step 1 it has w = ",
        ),
    ],
)
def test_training_loop_names_each_typical_mistake(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_training_loop(answer)


# ---------------------------------------------------------------- homework


def test_homework_data_is_seeded_and_differs_between_students():
    a, b, c = make_homework_data(1), make_homework_data(1), make_homework_data(2)
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_train, c.y_train)
    assert (
        a.X_train.shape == (800, 4)
        and a.X_test.shape == (200, 4)
        and a.feature_names == HOMEWORK_FEATURES
    )


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_homework_data_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="student number"):
        make_homework_data(seed)


def sgd_solution(
    X_train,
    y_train,
    seed,
    *,
    dataset=Pairs,
    batch_size=64,
    shuffle=True,
    epochs=18,
    lr=0.05,
    optimizer=torch.optim.SGD,
    standardise=True,
    convert_back=True,
):
    """The homework done right; each keyword turns one of its rules off, for the wrong answers."""
    torch.manual_seed(seed)
    mean, std = (
        (X_train.mean(0), X_train.std(0)) if standardise else (torch.zeros(4), torch.ones(4))
    )
    loader = DataLoader(
        dataset((X_train - mean) / std, y_train[:, None]),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed),
    )
    model = nn.Linear(4, 1)
    opt = optimizer(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.3)
    for _ in range(epochs):
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        scheduler.step()
    w_std, b_std = model.weight.detach().squeeze(0), model.bias.detach().squeeze(0)
    if not convert_back:
        return w_std, b_std
    return w_std / std, b_std - (w_std * mean / std).sum()


def points(answer, seed=7):
    return {item.what: item.earned for item in grade_homework(answer, seed=seed)}


def test_homework_gives_full_marks_to_mini_batch_sgd(capsys):
    check_homework(sgd_solution, seed=7)
    out = capsys.readouterr().out
    assert "automatic points: 7/7" in out and "❌" not in out


def momentum_and_batches_of_16(X, y, seed):
    return sgd_solution(
        X,
        y,
        seed,
        batch_size=16,
        epochs=9,
        lr=0.01,
        optimizer=lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    )


def test_homework_accepts_sgd_written_differently():
    assert sum(points(momentum_and_batches_of_16).values()) == 7


def test_homework_stub_is_not_written_yet():
    with pytest.raises(CheckFailed, match="not written yet"):
        check_homework(stub, seed=7)


def closed_form(X, y, seed):
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1)
    sol = torch.linalg.lstsq(A, y[:, None]).solution.squeeze(1)
    return sol[:-1], sol[-1]


def normal_equations(X, y, seed):
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1).double()
    sol = torch.linalg.solve(A.T @ A, A.T @ y[:, None].double()).squeeze(1).float()
    return sol[:-1], sol[-1]


def numpy_closed_form(X, y, seed):
    A = np.c_[X.numpy(), np.ones(len(X))]
    sol = torch.from_numpy(np.linalg.lstsq(A, y.numpy(), rcond=None)[0]).float()
    return sol[:-1], sol[-1]


def sgd_then_closed_form(X, y, seed):
    sgd_solution(X, y, seed, epochs=1)
    return closed_form(X, y, seed)


HW_HEAD = """import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
MY_SEED = 7
""" + inspect.getsource(Pairs)
HW_FIT = """def fit_linear_regression(X_train, y_train, seed):
    torch.manual_seed(seed)
    mean, std = X_train.mean(0), X_train.std(0)
    loader = DataLoader(Pairs((X_train - mean) / std, y_train[:, None]), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(EPOCHS):
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    w_std, b_std = model.weight.detach().squeeze(0), model.bias.detach().squeeze(0)
    return w_std / std, b_std - (w_std * mean / std).sum()
"""
HOMEWORK_CHECK = (
    "from course_utils.exercises.nb02_linear_regression import check_homework\n"
    "check_homework(fit_linear_regression, seed=MY_SEED)"
)


def homework(fit, epochs=2):
    return [HW_HEAD, fit.replace("EPOCHS", str(epochs))]


def test_homework_sgd_passes_both_ways():
    state, printed = both(HOMEWORK_CHECK, homework(HW_FIT, epochs=18))
    assert state == "pass" and "automatic points: 7/7" in printed and "💡" not in printed


@pytest.mark.parametrize(
    "fit, pattern",
    [
        (
            HW_FIT.replace(
                "    return w_std / std",
                "    A = torch.cat([X_train, torch.ones(len(X_train), 1)], 1)\n"
                "    sol = torch.linalg.lstsq(A, y_train[:, None]).solution.squeeze(1)\n    return w_std / std",
            ),
            r"its code calls lstsq, a closed form \(torch.linalg.lstsq on line \d+ of fit_linear_regression\)",
        ),
        (
            HW_FIT.replace(
                "    return w_std / std", "    solve = np.linalg.lstsq\n    return w_std / std"
            ),
            r"calls lstsq, a closed form \(np.linalg.lstsq \(numpy.linalg.lstsq\) on line",
        ),
        (
            HW_FIT.replace("Pairs(", "TensorDataset("),
            r"torch's TensorDataset \(TensorDataset \(torch.utils.data",
        ),
        (
            HW_FIT.replace("shuffle=True", "shuffle=False"),
            "its DataLoader does not shuffle: pass shuffle=True",
        ),
        (
            HW_FIT.replace("batch_size=64", "batch_size=800"),
            "batch size is 800: use mini-batches of at most 64",
        ),
        (
            HW_FIT.replace(
                "torch.optim.SGD(model.parameters(), lr=0.05)",
                "torch.optim.Adam(model.parameters(), lr=0.1)",
            ),
            "its code makes Adam: the homework asks for torch.optim.SGD",
        ),
        (
            HW_FIT.replace(
                "    for _ in range(EPOCHS):",
                "    if False:\n        loader = DataLoader(Pairs(X_train, y_train))\n"
                "    for _ in range(EPOCHS):",
            ).replace(
                "loader = DataLoader(Pairs((X_train - mean) / std, "
                "y_train[:, None]), batch_size=64, shuffle=True,\n"
                "                        generator=torch.Generator()"
                ".manual_seed(seed))",
                "loader = [(X_train, y_train[:, None])]",
            ),
            "its code makes no DataLoader",
        ),
    ],
)
def test_homework_method_rules_are_read_from_the_code_both_ways(fit, pattern):
    state, message = both(HOMEWORK_CHECK, homework(fit))
    assert state == "fail" and re.search(
        r"mini-batch SGD as the task asks: [^-]*" + pattern, message
    ), message


def test_homework_advice_never_changes_the_verdict_and_shows_in_the_notebook_only(capsys):
    cells = homework(
        HW_FIT.replace("X_train.mean(0), X_train.std(0)", "torch.zeros(4), torch.ones(4)").replace(
            "lr=0.05", "lr=1e-6"
        )
    )
    state, message = both(HOMEWORK_CHECK, cells)
    assert (
        state == "fail"
        and "mini-batch SGD as the task asks:" not in message
        and "not standardised" not in message
    )
    namespace = {}
    exec("\n".join(cells), namespace)  # noqa: S102 - the test's own answer
    with pytest.raises(CheckFailed):
        check_homework(namespace["fit_linear_regression"], seed=7)
    assert "💡 the features nn.Linear trained on are not standardised" in capsys.readouterr().out


def test_homework_closed_form_scores_two_of_seven(capsys):
    with pytest.raises(
        CheckFailed, match=r"lstsq, a closed form \(torch.linalg.lstsq on line 3 of closed_form\)"
    ):
        check_homework(closed_form, seed=7)
    assert "automatic points: 2/7" in capsys.readouterr().out


def test_homework_weights_in_standardised_units_lose_points(capsys):
    with pytest.raises(CheckFailed, match="convert back: w = w_std / std"):
        check_homework(lambda X, y, seed: sgd_solution(X, y, seed, convert_back=False), seed=7)
    assert "automatic points: 3/7" in capsys.readouterr().out


def test_homework_unseeded_training_loses_the_repeatability_point():
    def unseeded(X, y, seed):
        w, b = sgd_solution(X, y, seed)
        fresh = torch.Generator()
        fresh.seed()  # a non-deterministic seed, as if unseeded
        return w + 1e-3 * torch.randn(4, generator=fresh), b

    assert points(unseeded)["same seed, same weights"] == 0


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (lambda X, y, seed: torch.zeros(5), "should return \\(weight, bias\\)"),
        (lambda X, y, seed: (torch.zeros(1, 4), 0.0), "got weight \\(1, 4\\).*squeeze"),
        (lambda X, y, seed: (torch.zeros(4, dtype=torch.float64), 0.0), "float32"),
    ],
)
def test_homework_wrong_form_gets_zero(answer, pattern):
    items = grade_homework(answer, seed=7)
    assert [i.earned for i in items] == [0]
    assert pytest.importorskip("re").search(pattern, items[0].message)


def test_homework_underfitted_model_fails_rmse_and_weights():
    items = {
        i.what: i
        for i in grade_homework(
            lambda X, y, seed: sgd_solution(X, y, seed, epochs=1, lr=1e-3), seed=7
        )
    }
    assert items["mini-batch SGD as the task asks"].earned == 1
    assert items["test RMSE within 10% of the closed form"].earned == 0
    assert "tune the learning rate" in items["test RMSE within 10% of the closed form"].message
    assert items["weights within 5% of the truth"].earned == 0


# ---------------------------------------------------------------- both ways: in the notebook and in the grader

HEAD = "import torch\nfrom torch import nn\ndevice = torch.device('cpu')\n"
LOOP_CHECK = "from course_utils.exercises.nb02_linear_regression import check_training_loop\ncheck_training_loop(train_sgd)"
TRAIN_SGD = """def train_sgd(loader, epochs, lr, scheduler_gamma=None, seed=0):
    torch.manual_seed(seed)
    model = nn.Linear(1, 1).to(device)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((model.weight.item(), model.bias.item(), loss.item()))
    return model, history"""
STEPS = """            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
"""


def with_steps(steps):
    return TRAIN_SGD.replace(STEPS, textwrap.indent(textwrap.dedent(steps), " " * 12))


@pytest.mark.parametrize(
    "answer",
    [
        TRAIN_SGD,
        with_steps(
            "loss = loss_fn(yb, model(xb))\nloss.backward()\noptimizer.step()\nmodel.zero_grad()\n"
        ),
        with_steps(
            "loss = ((model(xb) - yb) ** 2).mean()\nloss.backward()\nwith torch.no_grad():\n"
            "    for p in model.parameters():\n        p -= lr * p.grad\n        p.grad = None\n"
        ),
    ],
)
def test_training_loop_accepts_the_four_steps_both_ways(answer):
    assert both(LOOP_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (
            with_steps("loss = loss_fn(model(xb), yb)\nloss.backward()\noptimizer.step()\n"),
            r"piled up",
        ),
        (
            with_steps(
                "loss = loss_fn(model(xb), yb)\noptimizer.step()\noptimizer.zero_grad()\nloss.backward()\n"
            ),
            r"previous batch: call loss.backward\(\) before optimizer.step\(\)",
        ),
        (
            TRAIN_SGD.replace("lr=lr)", "lr=0.05)"),
            r"train_sgd\(loader, epochs=2, lr=0.02, seed=1\) trained with another "
            "learning rate",
        ),
        (
            TRAIN_SGD.replace("torch.manual_seed(seed)", "torch.manual_seed(0)"),
            "trained with another seed",
        ),
        (
            TRAIN_SGD.replace("range(epochs)", "range(3)"),
            r"seed=1\) made 9 steps, expected 6 \(2 epochs of 3 batches\)",
        ),
        (
            with_steps(
                "loss = loss_fn(model(xb).detach(), yb)\noptimizer.zero_grad()\nloss.backward()\noptimizer.step()\n"
            ),
            r"train_sgd raised RuntimeError: .* Likely cause: backward\(\) was called on a tensor without a graph",
        ),
        (
            with_steps(
                "loss = loss_fn(model(xb), yb)\nloss.backward()\nfor p in model.parameters():\n    p -= lr * p.grad\n"
            ),
            r"train_sgd raised RuntimeError: .* Likely cause: a tensor that requires grad was changed in place",
        ),
    ],
)
def test_training_loop_names_each_typical_mistake_both_ways(answer, pattern):
    state, message = both(LOOP_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(pattern, message), message


GRADIENTS_CHECK = (
    "from course_utils.exercises.nb02_linear_regression import check_mse_gradients\n"
    "check_mse_gradients(mse_gradients)"
)


@pytest.mark.parametrize(
    "answer",
    [
        "def mse_gradients(X, y, w, b):\n    e = X @ w + b - y\n    return 2 * X.T @ e / len(y), 2 * e.mean()",
        "def mse_gradients(X, y, w, b):\n    e = torch.einsum('nd,d->n', X, w) + b - y\n"
        "    return torch.einsum('nd,n->d', X, e) * 2 / X.shape[0], (2 * e).sum() / X.shape[0]",
    ],
)
def test_hand_derived_gradients_pass_both_ways(answer):
    assert both(GRADIENTS_CHECK, [HEAD, answer])[0] == "pass"


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (
            "def mse_gradients(X, y, w, b):\n    w, b = w.clone().requires_grad_(), b.clone().requires_grad_()\n"
            "    ((X @ w + b - y) ** 2).mean().backward()\n    return w.grad, b.grad",
            r"used autograd \(\(\(X @ w \+ b - y\) \*\* 2\).mean\(\).backward on line 3 of mse_gradients\)",
        ),
        (
            "from torch.autograd import grad as slope\n"
            "def mse_gradients(X, y, w, b):\n    w, b = w.clone().requires_grad_(), b.clone().requires_grad_()\n"
            "    return slope(((X @ w + b - y) ** 2).mean(), (w, b))",
            r"used autograd \(slope \(torch.autograd.grad\) on line 3",
        ),
        (
            "def mse_gradients(X, y, w, b):\n    return torch.func.grad(lambda w, b: ((X @ w + b - y) ** 2).mean(), "
            "argnums=(0, 1))(w, b)",
            r"used autograd \(torch.func.grad on line 2",
        ),
    ],
)
def test_autograd_is_found_in_the_code_both_ways(answer, pattern):
    state, message = both(GRADIENTS_CHECK, [HEAD, answer])
    assert state == "fail" and re.search(pattern, message), message
