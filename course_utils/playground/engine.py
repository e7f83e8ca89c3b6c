"""The playground's network and training, as TensorFlow Playground's ``src/nn.ts`` does them.

The web version trains a small MLP point by point in JavaScript (float64): it adds up each
point's gradient and, after every ``batch_size`` points of the training set (in a fixed order,
never reshuffled), moves each weight by ``learning_rate ×`` the mean gradient. Points left over
at the end of an epoch join the first batch of the next. L1/L2 act after the gradient step:
``w ← w − lr·rate·R′(w_before)``; an L1 step that carries a weight across zero sets it to 0 and
freezes it ("dead link"). Biases start at 0.1, weights at ``U(−0.5, 0.5)``.

This module does the same with NumPy, a batch at a time (float64). The forward and backward
passes are the textbook ones that ``loss.backward()`` computes; ``tests/course_utils/playground/test_playground_engine.py``
checks them against PyTorch's autograd, and "Export as PyTorch" trains the same network with
``torch.optim.SGD``.

Losses (what the network's last pre-activation ``z`` means):

- ``"tf"``: TF Playground's, output ``tanh(z)``, targets ±1, ``½(output − target)²``;
- ``"bce"``: ``z`` is a logit, ``BCEWithLogitsLoss`` on 0/1 targets;
- ``"ce"``: ``z`` holds one logit per class, softmax and cross-entropy (3+ classes);
- ``"mse"``: regression, linear output, ``½(z − target)²`` (TF Playground's regression).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

__all__ = [
    "Network",
    "Trainer",
    "activate",
    "activation_derivative",
    "loss_and_gradient",
    "loss_for",
    "output_picture",
    "readings",
]

ACTIVATION_NAMES = ("tanh", "relu", "sigmoid", "linear")
TORCH_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
}
LOSSES = ("tf", "bce", "ce", "mse")
REGULARIZATIONS = ("none", "L1", "L2")


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """A hidden layer's activation, as ``nn.ts`` ``Activations`` defines it.

    Example:
        >>> activate("relu", np.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "linear":
        return z
    raise ValueError(f"activation must be one of {list(ACTIVATION_NAMES)}, got {name!r}")


def activation_derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """d activation / d z, from the input ``z`` and the output ``a`` (ReLU: 0 at z ≤ 0, as on the web).

    Example:
        >>> activation_derivative("tanh", np.zeros(1), np.zeros(1)).tolist()
        [1.0]
    """
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (z > 0).astype(float)
    if name == "sigmoid":
        return a * (1.0 - a)
    return np.ones_like(z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss_and_gradient(loss: str, z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss over the batch and its gradient with respect to the output layer's ``z`` (B, K).

    ``y`` holds class indices (0/1 for "tf" and "bce", 0…K−1 for "ce") or regression targets.

    Example:
        >>> value, grad = loss_and_gradient("tf", np.array([[0.0]]), np.array([1.0]))
        >>> value, grad.tolist()
        (0.5, [[-1.0]])
    """
    n = len(y)
    if loss == "tf":
        out, target = np.tanh(z[:, 0]), 2 * y - 1
        return float(np.mean(0.5 * (out - target) ** 2)), ((out - target) * (1 - out * out) / n)[
            :, None
        ]
    if loss == "bce":
        zz = z[:, 0]
        value = np.mean(np.maximum(zz, 0) - zz * y + np.log1p(np.exp(-np.abs(zz))))
        return float(value), ((_sigmoid(zz) - y) / n)[:, None]
    if loss == "ce":
        p, idx = _softmax(z), y.astype(int)
        value = -np.mean(np.log(np.maximum(p[np.arange(n), idx], 1e-300)))
        p[np.arange(n), idx] -= 1
        return float(value), p / n
    if loss == "mse":
        diff = z[:, 0] - y
        return float(np.mean(0.5 * diff**2)), (diff / n)[:, None]
    raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")


def loss_for(n_classes: int, objective: str) -> str:
    """The loss to train with: the chosen ``objective`` for two classes, else the only one that fits.

    ``n_classes`` is 0 for regression.

    Example:
        >>> loss_for(2, "bce"), loss_for(3, "tf"), loss_for(0, "tf")
        ('bce', 'ce', 'mse')
    """
    return objective if n_classes == 2 else ("ce" if n_classes > 2 else "mse")


def readings(loss: str, z: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Everything the playground reports for one split: its losses and, for classes, the accuracy.

    Example:
        >>> readings("tf", np.array([[3.0], [-3.0]]), np.array([1.0, 1.0]))["accuracy"]
        0.5
    """
    if loss == "mse":
        return {"TF": loss_and_gradient("mse", z, y)[0]}
    if loss == "ce":
        return {
            "CE": loss_and_gradient("ce", z, y)[0],
            "accuracy": float(np.mean(z.argmax(1) == y)),
        }
    # Binary: the web version's reading (tanh of z) and PyTorch's (z as a logit), both always.
    return {
        "TF": loss_and_gradient("tf", z, y)[0],
        "BCE": loss_and_gradient("bce", z, y)[0],
        "accuracy": float(np.mean((z[:, 0] > 0) == (y > 0.5))),
    }


def output_picture(loss: str, z: np.ndarray) -> np.ndarray:
    """The output as the web version colours it, in [−1, 1]: ``tanh(z)`` for "tf",
    ``2·P(class 1) − 1`` for "bce", ``2·P(class) − 1`` per class for "ce", ``z`` for "mse".

    Example:
        >>> output_picture("bce", np.array([[0.0]])).tolist()
        [[0.0]]
    """
    if loss == "tf":
        return np.tanh(z)
    if loss == "bce":
        return np.tanh(0.5 * z)
    if loss == "ce":
        return 2 * _softmax(z) - 1
    return z


@dataclass
class Network:
    """An MLP as lists of weight matrices ``(n_out, n_in)`` (``nn.Linear``'s layout) and biases.

    Example:
        >>> net = Network.initial(2, [4, 2], 1, "tanh", torch.Generator().manual_seed(0))
        >>> [w.shape for w in net.weights], net.biases[0].tolist()
        ([(4, 2), (2, 4), (1, 2)], [0.1, 0.1, 0.1, 0.1])
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activation: str
    dead: list[np.ndarray] = field(default_factory=list)  # L1 froze these weights at 0

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATION_NAMES:
            raise ValueError(
                f"activation must be one of {list(ACTIVATION_NAMES)}, got {self.activation!r}"
            )
        if not self.dead:
            self.dead = [np.zeros(w.shape, dtype=bool) for w in self.weights]
        self.has_dead = any(d.any() for d in self.dead)

    @classmethod
    def initial(
        cls,
        n_inputs: int,
        hidden: list[int],
        n_outputs: int,
        activation: str,
        generator: torch.Generator,
    ) -> Network:
        """Weights ``U(−0.5, 0.5)`` drawn layer by layer, row by row (as ``torch.rand(n_out, n_in)``), biases 0.1."""
        sizes = [n_inputs, *hidden, n_outputs]
        weights = [
            (torch.rand(n_out, n_in, generator=generator, dtype=torch.float64) - 0.5).numpy()
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
        ]
        return cls(weights, [np.full(n_out, 0.1) for n_out in sizes[1:]], activation)

    @property
    def sizes(self) -> list[int]:
        """Neurons per layer, inputs first."""
        return [self.weights[0].shape[1], *(w.shape[0] for w in self.weights)]

    def forward(self, F: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations ``zs`` and outputs ``outs`` of every layer for inputs ``F`` (N, n_inputs).

        ``outs[0]`` is ``F``; the last layer is left as ``z`` (the loss applies its own output).
        """
        zs, outs = [], [F]
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = outs[-1] @ w.T + b
            zs.append(z)
            outs.append(z if i == len(self.weights) - 1 else activate(self.activation, z))
        return zs, outs

    def logits(self, F: np.ndarray) -> np.ndarray:
        """The last layer's ``z`` (N, n_outputs)."""
        return self.forward(F)[0][-1]

    def gradients(
        self, F: np.ndarray, y: np.ndarray, loss: str
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Mean batch loss and its gradients for every weight matrix and bias (backpropagation)."""
        zs, outs = self.forward(F)
        value, delta = loss_and_gradient(loss, zs[-1], y)
        grad_w, grad_b = [], []
        for i in range(len(self.weights) - 1, -1, -1):
            grad_w.append(delta.T @ outs[i])
            grad_b.append(delta.sum(0))
            if i:
                delta = (delta @ self.weights[i]) * activation_derivative(
                    self.activation, zs[i - 1], outs[i]
                )
        return value, grad_w[::-1], grad_b[::-1]

    def to_torch(self) -> nn.Sequential:
        """This network as a float64 PyTorch ``nn.Sequential`` with the same weights (its last layer gives ``z``).

        Example:
            >>> net = Network.initial(2, [3], 1, "relu", torch.Generator().manual_seed(0))
            >>> F = np.array([[1.0, -2.0]])
            >>> bool(np.allclose(net.to_torch()(torch.from_numpy(F)).detach().numpy(), net.logits(F)))
            True
        """
        layers: list[nn.Module] = []
        for i, w in enumerate(self.weights):
            layers.append(nn.Linear(w.shape[1], w.shape[0]))
            if i < len(self.weights) - 1:
                layers.append(TORCH_ACTIVATIONS[self.activation]())
        torch_net = nn.Sequential(*layers).double()
        with torch.no_grad():
            for linear, w, b in zip(torch_net[::2], self.weights, self.biases):
                linear.weight.copy_(torch.from_numpy(w))
                linear.bias.copy_(torch.from_numpy(b))
        return torch_net

    def sgd_step(
        self,
        F: np.ndarray,
        y: np.ndarray,
        loss: str,
        learning_rate: float,
        regularization: str = "none",
        regularization_rate: float = 0.0,
    ) -> float:
        """One update on a batch, with the web version's regularisation step; returns the batch loss."""
        value, grad_w, grad_b = self.gradients(F, y, loss)
        regularize = regularization != "none" and regularization_rate != 0
        for w, b, gw, gb, dead in zip(self.weights, self.biases, grad_w, grad_b, self.dead):
            b -= learning_rate * gb
            before = w.copy() if regularize else w
            if self.has_dead:
                gw[dead] = 0.0
            w -= learning_rate * gw
            if not regularize:
                continue
            derivative = np.sign(before) if regularization == "L1" else before
            new = w - learning_rate * regularization_rate * np.where(dead, 0.0, derivative)
            if regularization == "L1":
                crossed = (w * new < 0) & ~dead
                new[crossed] = 0.0
                dead |= crossed
                self.has_dead = self.has_dead or bool(crossed.any())
            w[...] = new
        return value


@dataclass
class Trainer:
    """Epochs over a fixed training order, batches of ``batch_size``, leftovers carried over.

    Example:
        >>> t = Trainer(batch_size=4)
        >>> [b.tolist() for b in t.epoch_batches(10)]
        [[0, 1, 2, 3], [4, 5, 6, 7]]
        >>> [b.tolist() for b in t.epoch_batches(10)]
        [[8, 9, 0, 1, 2, 3], [4, 5, 6, 7]]
    """

    batch_size: int
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    def epoch_batches(self, n: int) -> list[np.ndarray]:
        """The batches of one epoch over ``n`` training points (``oneStep`` in ``playground.ts``)."""
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        order = np.concatenate([self.pending, np.arange(n)])
        cut = len(self.pending) + (n // self.batch_size) * self.batch_size
        starts = [0, *range(len(self.pending) + self.batch_size, cut + 1, self.batch_size)]
        batches = [order[a:b] for a, b in zip(starts[:-1], starts[1:])]
        self.pending = order[cut:]
        return batches
