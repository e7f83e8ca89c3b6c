"""The checks and the homework grader of notebook 02 accept right answers and reject wrong ones."""

import pytest
import torch
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
    grade_homework,
    make_homework_data,
)


def stub(*args, **kwargs):
    raise NotImplementedError()


# ---------------------------------------------------------------- rmse

def test_rmse_accepts_tensor_and_float(capsys):
    check_rmse(lambda y_hat, y: ((y_hat - y) ** 2).mean().sqrt())
    check_rmse(lambda y_hat, y: float(torch.sqrt(torch.mean((y_hat - y) ** 2))))
    assert capsys.readouterr().out.count("✅ rmse is correct") == 2


@pytest.mark.parametrize("answer, pattern", [
    (stub, "not written yet"),
    (lambda y_hat, y: ((y_hat - y) ** 2).mean(), "which is the MSE"),
    (lambda y_hat, y: (y_hat - y).abs().mean(), "which is the MAE"),
    (lambda y_hat, y: ((y_hat - y) ** 2).sum().sqrt(), r"\.mean\(\), not \.sum\(\)"),
    (lambda y_hat, y: (y_hat - y) ** 2, "single number"),
    (lambda y_hat, y: (y_hat - y).mean(), "is 0.25, expected 1.5"),
])
def test_rmse_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_rmse(answer)


# ---------------------------------------------------------------- gradients

def right_gradients(X, y, w, b):
    e = X @ w + b - y
    return 2 * X.T @ e / len(y), 2 * e.mean()


def test_mse_gradients_accepts_the_derivation(capsys):
    check_mse_gradients(right_gradients)
    assert "✅ mse_gradients is correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer, pattern", [
    (stub, "not written yet"),
    (lambda X, y, w, b: tuple(g / 2 for g in right_gradients(X, y, w, b)), "half the right value"),
    (lambda X, y, w, b: tuple(g * len(y) for g in right_gradients(X, y, w, b)), "don't sum"),
    (lambda X, y, w, b: tuple(-g for g in right_gradients(X, y, w, b)), "wrong sign"),
    (lambda X, y, w, b: right_gradients(X, y, w, b)[0], "should return two things"),
    (lambda X, y, w, b: (2 * X.T @ (X @ w - y) / len(y), 2 * (X @ w - y).mean()), "wrong values"),
    (lambda X, y, w, b: (right_gradients(X, y, w, b)[0][None], right_gradients(X, y, w, b)[1]), "shape"),
])
def test_mse_gradients_rejects_wrong_answers(answer, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_mse_gradients(answer)


# ---------------------------------------------------------------- standardize

def right_standardize(X_train, X_test):
    mean, std = X_train.mean(0), X_train.std(0)
    return (X_train - mean) / std, (X_test - mean) / std


def test_standardize_accepts_training_statistics(capsys):
    check_standardize(right_standardize)
    assert "✅ standardize is correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer, pattern", [
    (stub, "not written yet"),
    (lambda tr, te: ((tr - tr.mean(0)) / tr.std(0), (te - te.mean(0)) / te.std(0)), "its own mean and std"),
    (lambda tr, te: ((tr - tr.mean()) / tr.std(), (te - tr.mean()) / tr.std()), "per column"),
    (lambda tr, te: (tr - tr.mean(0), te - tr.mean(0)), "wrong values"),
    (lambda tr, te: right_standardize(tr, te)[0], "two tensors"),
])
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


@pytest.mark.parametrize("cls, pattern", [
    (StubLen, "not written yet"),
    (OnlyX, "should be a pair"),
    (Swapped, r"shape \(\) but should have shape \(2,\)"),
    (WrongLen, "len\\(dataset\\) is 14"),
    (NotADataset, "inherit from torch.utils.data.Dataset"),
])
def test_dataset_rejects_wrong_classes(cls, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        check_dataset(cls)


# ---------------------------------------------------------------- homework

def test_homework_data_is_seeded_and_differs_between_students():
    a, b, c = make_homework_data(1), make_homework_data(1), make_homework_data(2)
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_train, c.y_train)
    assert a.X_train.shape == (800, 4) and a.X_test.shape == (200, 4) and a.feature_names == HOMEWORK_FEATURES


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_homework_data_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="student number"):
        make_homework_data(seed)


def sgd_solution(X_train, y_train, seed):
    torch.manual_seed(seed)
    mean, std = X_train.mean(0), X_train.std(0)
    loader = DataLoader(Pairs((X_train - mean) / std, y_train[:, None]), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model = nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=6, gamma=0.3)
    for _ in range(18):
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    w_std, b_std = model.weight.detach().squeeze(0), model.bias.detach().squeeze(0)
    return w_std / std, b_std - (w_std * mean / std).sum()


def test_homework_gives_full_marks_to_mini_batch_sgd(capsys):
    check_homework(sgd_solution, seed=7)
    out = capsys.readouterr().out
    assert "automatic points: 6/6" in out and "❌" not in out


def test_homework_stub_is_not_written_yet():
    with pytest.raises(CheckFailed, match="not written yet"):
        check_homework(stub, seed=7)


def test_homework_weights_in_standardised_units_lose_points(capsys):
    def forgot_to_convert(X, y, seed):
        mean, std = X.mean(0), X.std(0)
        A = torch.cat([(X - mean) / std, torch.ones(len(X), 1)], dim=1)
        sol = torch.linalg.lstsq(A, y[:, None]).solution.squeeze(1)
        return sol[:-1], sol[-1]
    with pytest.raises(CheckFailed, match="convert back: w = w_std / std"):
        check_homework(forgot_to_convert, seed=7)
    assert "automatic points: 2/6" in capsys.readouterr().out


def test_homework_unseeded_training_loses_the_repeatability_point():
    def unseeded(X, y, seed):
        w, b = sgd_solution(X, y, seed)
        fresh = torch.Generator()
        fresh.seed()                                  # a non-deterministic seed, as if unseeded
        return w + 1e-3 * torch.randn(4, generator=fresh), b
    items = {i.what: i.earned for i in grade_homework(unseeded, seed=7)}
    assert items["same seed, same weights"] == 0


@pytest.mark.parametrize("answer, pattern", [
    (lambda X, y, seed: torch.zeros(5), "should return \\(weight, bias\\)"),
    (lambda X, y, seed: (torch.zeros(1, 4), 0.0), "got weight \\(1, 4\\).*squeeze"),
    (lambda X, y, seed: (torch.zeros(4, dtype=torch.float64), 0.0), "float32"),
])
def test_homework_wrong_form_gets_zero(answer, pattern):
    items = grade_homework(answer, seed=7)
    assert [i.earned for i in items] == [0]
    assert pytest.importorskip("re").search(pattern, items[0].message)


def test_homework_underfitted_model_fails_rmse_and_weights():
    items = {i.what: i for i in grade_homework(lambda X, y, seed: (torch.zeros(4), y.mean().item()), seed=7)}
    assert items["test RMSE within 10% of the closed form"].earned == 0
    assert "standardise the features" in items["test RMSE within 10% of the closed form"].message
    assert items["weights within 5% of the truth"].earned == 0
