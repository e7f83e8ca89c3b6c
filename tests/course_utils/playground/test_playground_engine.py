"""The playground's NumPy engine: the web version's rules, checked against PyTorch."""

import numpy as np
import pytest
import torch

from course_utils.playground.engine import Network, Trainer, loss_and_gradient, loss_for

TORCH_LOSSES = {
    "tf": lambda z, y: (0.5 * (torch.tanh(z[:, 0]) - (2 * y - 1)) ** 2).mean(),
    "bce": lambda z, y: torch.nn.functional.binary_cross_entropy_with_logits(z[:, 0], y),
    "ce": lambda z, y: torch.nn.functional.cross_entropy(z, y.long()),
    "mse": lambda z, y: (0.5 * (z[:, 0] - y) ** 2).mean(),
}
TORCH_ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "linear": lambda z: z,
}


@pytest.mark.parametrize("loss", list(TORCH_LOSSES))
@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS))
def test_backpropagation_equals_autograd(loss, activation):
    rng = np.random.default_rng(0)
    n_out = 3 if loss == "ce" else 1
    net = Network.initial(3, [5, 4], n_out, activation, torch.Generator().manual_seed(1))
    F = rng.normal(size=(7, 3))
    y = (
        rng.integers(0, n_out if loss == "ce" else 2, size=7).astype(float)
        if loss != "mse"
        else rng.normal(size=7)
    )
    value, grad_w, grad_b = net.gradients(F, y, loss)
    params = [
        torch.tensor(p, requires_grad=True) for pair in zip(net.weights, net.biases) for p in pair
    ]
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
    F, y = np.array([[0.0, 0.0]]), np.array([0.5])  # zero input: the weights' gradient is 0
    net.sgd_step(F, y, "mse", learning_rate=0.1, regularization="L2", regularization_rate=0.5)
    np.testing.assert_allclose(
        net.weights[0], [[0.5 - 0.1 * 0.5 * 0.5, -0.002 + 0.1 * 0.5 * 0.002]]
    )
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


def test_loss_gradient_of_the_web_versions_square_loss():
    value, grad = loss_and_gradient("tf", np.array([[0.3], [-0.2]]), np.array([1.0, 0.0]))
    out = np.tanh([0.3, -0.2])
    assert value == pytest.approx(np.mean(0.5 * (out - [1, -1]) ** 2))
    np.testing.assert_allclose(grad[:, 0], (out - [1, -1]) * (1 - out**2) / 2)


def test_the_first_network_is_the_web_versions():
    net = Network.initial(2, [4, 2], 1, "tanh", torch.Generator().manual_seed(0))
    assert sum(w.size + b.size for w, b in zip(net.weights, net.biases)) == 25
    assert (
        all((b == 0.1).all() for b in net.biases)
        and max(np.abs(w).max() for w in net.weights) <= 0.5
    )
    again = Network.initial(2, [4, 2], 1, "tanh", torch.Generator().manual_seed(0))
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, again.weights))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_to_torch_computes_what_the_engine_computes(activation):
    net = Network.initial(3, [5, 4], 2, activation, torch.Generator().manual_seed(2))
    net.sgd_step(
        np.eye(3), np.array([0.0, 1.0, 1.0]), "ce", learning_rate=0.5
    )  # not the first weights only
    F = np.random.default_rng(0).normal(size=(9, 3))
    with torch.no_grad():
        z = net.to_torch()(torch.from_numpy(F)).numpy()
    np.testing.assert_allclose(z, net.logits(F), atol=1e-12)


def test_the_loss_follows_the_number_of_classes():
    assert [loss_for(2, "tf"), loss_for(2, "bce"), loss_for(3, "bce"), loss_for(0, "bce")] == [
        "tf",
        "bce",
        "ce",
        "mse",
    ]
