"""Decision-boundary helpers: any feature map, no device moves, clear errors on bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from course_utils.decision import (
    grid_proba,
    plot_decision_boundary,  # noqa: E402
    plot_loss_curves,
    predict_proba,
)
from course_utils.device import model_device  # noqa: E402
from course_utils.spiral import feature_map  # noqa: E402


def test_one_logit_and_two_logits_give_probabilities():
    X = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    one = nn.Linear(2, 1)
    with torch.no_grad():
        one.weight.copy_(torch.tensor([[2.0, 0.0]]))
        one.bias.zero_()
    assert predict_proba(one, X).tolist() == pytest.approx(
        [torch.sigmoid(torch.tensor(2.0)).item(), torch.sigmoid(torch.tensor(-2.0)).item()]
    )
    two = nn.Linear(2, 2)
    p = predict_proba(two, X)
    assert p.shape == (2,) and ((0 <= p) & (p <= 1)).all()


def test_feature_map_is_applied_before_the_model():
    phi = feature_map(["x1", "x2", "x1^2"])
    xx, yy, p = grid_proba(nn.Linear(3, 1), phi, resolution=7)
    assert xx.shape == yy.shape == p.shape == (7, 7)


def test_wrong_number_of_outputs_is_rejected():
    with pytest.raises(ValueError, match="3 outputs per point"):
        predict_proba(nn.Linear(2, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="one logit per point"):
        predict_proba(nn.Flatten(0), torch.zeros(4, 2))


def test_wrong_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        predict_proba(nn.Linear(2, 1), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="y must have shape"):
        plot_decision_boundary(nn.Linear(2, 1), torch.zeros(4, 2), torch.zeros(3))
    with pytest.raises(TypeError, match="nn.Module"):
        model_device(lambda x: x)
    with pytest.raises(ValueError, match="non-empty"):
        plot_loss_curves({"train": []})


class Spy(nn.Module):
    """A model that records where its inputs arrive and refuses to be moved."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.seen = []

    def forward(self, x):
        self.seen.append(x.device)
        return self.linear(x)

    def to(self, *args, **kwargs):
        raise AssertionError("the helper moved the model")

    cpu = cuda = to


def test_model_is_not_moved_inputs_come_to_it_and_mode_is_restored():
    model = Spy().train()
    predict_proba(model, torch.zeros(3, 2))
    plot_decision_boundary(model, torch.zeros(3, 2), torch.zeros(3), resolution=5)
    assert model.seen and all(d == model_device(model) for d in model.seen)
    assert model.training
    plt.close("all")


def test_plots_return_axes_with_titles():
    X = torch.randn(20, 2)
    y = (X[:, 0] > 0).float()
    ax = plot_decision_boundary(nn.Linear(2, 1), X, y, X, y, title="t", resolution=10)
    assert ax.get_title() == "t"
    ax = plot_loss_curves({"train": [1.0, 0.5], "test": [1.1, 0.8]})
    assert len(ax.get_lines()) == 2
    plt.close("all")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_model_is_evaluated_on_the_gpu():
    model = nn.Linear(2, 1).cuda()
    assert predict_proba(model, torch.zeros(3, 2)).device.type == "cpu"
    assert next(model.parameters()).is_cuda


def test_boundary_has_a_colour_key_and_loss_curves_whole_epoch_ticks():
    X = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    fig, ax = plt.subplots()
    plot_decision_boundary(nn.Linear(2, 1), X, torch.tensor([1.0, 0.0]), ax=ax, resolution=5)
    keys = [a for a in fig.axes if a is not ax]
    assert len(keys) == 1 and keys[0].get_ylabel() == "P(class 1)"
    fig, ax = plt.subplots()
    plot_decision_boundary(
        nn.Linear(2, 1), X, torch.tensor([1.0, 0.0]), ax=ax, resolution=5, colorbar=False
    )
    assert fig.axes == [ax]
    ax = plot_loss_curves({"train": [1.0, 0.8, 0.7]})
    assert all(float(t).is_integer() for t in ax.get_xticks())
    plt.close("all")
