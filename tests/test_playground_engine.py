"""The playground's NumPy engine and data sets: the web version's rules, checked against PyTorch."""

import math

import numpy as np
import pytest
import torch

from course_utils.playground.data import DATASETS, check_own_data, make_split
from course_utils.playground.engine import Network, Trainer, loss_and_gradient
from course_utils.spiral import make_spiral


TORCH_LOSSES = {
    "tf": lambda z, y: (0.5 * (torch.tanh(z[:, 0]) - (2 * y - 1)) ** 2).mean(),
    "bce": lambda z, y: torch.nn.functional.binary_cross_entropy_with_logits(z[:, 0], y),
    "ce": lambda z, y: torch.nn.functional.cross_entropy(z, y.long()),
    "mse": lambda z, y: (0.5 * (z[:, 0] - y) ** 2).mean(),
}
TORCH_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda z: z}


@pytest.mark.parametrize("loss", list(TORCH_LOSSES))
@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS))
def test_backpropagation_equals_autograd(loss, activation):
    rng = np.random.default_rng(0)
    n_out = 3 if loss == "ce" else 1
    net = Network.initial(3, [5, 4], n_out, activation, torch.Generator().manual_seed(1))
    F = rng.normal(size=(7, 3))
    y = rng.integers(0, n_out if loss == "ce" else 2, size=7).astype(float) if loss != "mse" else rng.normal(size=7)
    value, grad_w, grad_b = net.gradients(F, y, loss)
    params = [torch.tensor(p, requires_grad=True) for pair in zip(net.weights, net.biases) for p in pair]
    h = torch.tensor(F)
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i < len(params) - 2:
            h = TORCH_ACTIVATIONS[activation](h)
    torch_loss = TORCH_LOSSES[loss](h, torch.tensor(y))
    torch_loss.backward()
    assert value == pytest.approx(torch_loss.item(), abs=1e-12)
    for ours, theirs in zip([g for pair in zip(grad_w, grad_b) for g in pair], params):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), atol=1e-12)


def test_regularisation_acts_after_the_gradient_step_on_the_old_weight():
    net = Network([np.array([[0.5, -0.002]])], [np.zeros(1)], "tanh")
    F, y = np.array([[0.0, 0.0]]), np.array([0.5])          # zero input: the weights' gradient is 0
    net.sgd_step(F, y, "mse", learning_rate=0.1, regularization="L2", regularization_rate=0.5)
    np.testing.assert_allclose(net.weights[0], [[0.5 - 0.1 * 0.5 * 0.5, -0.002 + 0.1 * 0.5 * 0.002]])
    net = Network([np.array([[0.5, -0.002]])], [np.zeros(1)], "tanh")
    net.sgd_step(F, y, "mse", learning_rate=0.1, regularization="L1", regularization_rate=0.05)
    # 0.5 moves by 0.005; -0.002 would cross zero: it becomes 0 and is frozen there ("dead").
    np.testing.assert_allclose(net.weights[0], [[0.495, 0.0]])
    assert net.dead[0].tolist() == [[False, True]]
    net.sgd_step(np.array([[1.0, 1.0]]), np.array([3.0]), "mse", learning_rate=0.1)
    assert net.weights[0][0, 1] == 0.0 and net.weights[0][0, 0] != 0.495


def test_batches_keep_one_order_and_carry_leftovers_into_the_next_epoch():
    trainer = Trainer(batch_size=30)
    first, second = trainer.epoch_batches(250), trainer.epoch_batches(250)
    assert [len(b) for b in first] == [30] * 8 and first[0].tolist() == list(range(30))
    assert len(second[0]) == 40 and second[0].tolist() == [*range(240, 250), *range(30)]
    assert sum(len(b) for b in first + second) + len(trainer.pending) == 500


def test_playground_spiral_is_the_notebooks_spiral():
    for noise in (0, 30):
        X, y = DATASETS["spiral"](500, noise / 100, torch.Generator().manual_seed(3))
        X2, y2 = make_spiral(500, noise, torch.Generator().manual_seed(3))
        assert torch.equal(X.float(), X2) and torch.equal(y.float(), y2)


def test_data_sets_follow_dataset_ts():
    g = torch.Generator().manual_seed(0)
    X, y = DATASETS["circle"](500, 0.0, g)
    r = X.norm(dim=1)
    assert r[:250].max() <= 2.5 and r[250:].min() >= 3.5 and r[250:].max() <= 5
    X, y = DATASETS["gauss"](4000, 0.5, g)                  # noise 50 %: variance 4
    assert X[:2000].var(0).tolist() == pytest.approx([4, 4], rel=0.1)
    assert X[:2000].mean(0).tolist() == pytest.approx([2, 2], abs=0.15)
    X, y = DATASETS["gauss"](4000, 0.0, g)                  # noise 0: variance 0.5
    assert X[2000:].var(0).tolist() == pytest.approx([0.5, 0.5], rel=0.1)
    X, y = DATASETS["reg-gauss"](1200, 0.0, g)
    near = (X - torch.tensor([0.0, 2.5], dtype=torch.float64)).norm(dim=1) < 0.3   # the -1 bump at (0, 2.5)
    assert (y[near] < -0.85).all() and X.abs().max() <= 6
    X, y = DATASETS["xor"](500, 0.5, g)                     # noisy labels: some disagree with the quadrant
    assert 0.05 < ((X[:, 0] * X[:, 1] >= 0) != (y > 0)).double().mean() < 0.5


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = make_split("circle", 10, 50, 0), make_split("circle", 10, 50, 0), make_split("circle", 10, 50, 1)
    assert np.array_equal(a.X_train, b.X_train) and not np.array_equal(a.X_train, c.X_train)
    assert make_split("reg-plane", 0, 50, 0).X_train.shape == (600, 2)


@pytest.mark.parametrize("X, y, words", [
    ([[0, 0]] * 5, [0, 1, 0, 1], "shape"),
    ([[0, 0], [1, 1], [2, 2], [3, math.nan]], [0, 1, 0, 1], "finite"),
    ([[0, 0], [1, 1], [2, 2], [3, 3]], [0, 2, 0, 2], "class numbers 0, 1"),
    ([[0, 0], [1, 1]], [0, 1], "at least 4"),
])
def test_bad_own_data_is_explained(X, y, words):
    with pytest.raises(ValueError, match=words):
        check_own_data(X, y)
    with pytest.raises(ValueError, match="unknown data set"):
        make_split("moons", 0, 50, 0)


def test_loss_gradient_of_the_web_versions_square_loss():
    value, grad = loss_and_gradient("tf", np.array([[0.3], [-0.2]]), np.array([1.0, 0.0]))
    out = np.tanh([0.3, -0.2])
    assert value == pytest.approx(np.mean(0.5 * (out - [1, -1]) ** 2))
    np.testing.assert_allclose(grad[:, 0], (out - [1, -1]) * (1 - out ** 2) / 2)
