"""course_utils.mlp: the networks, the training loop and the accuracy of notebook 04."""

import pytest
import torch
from torch import nn

from course_utils.device import model_device
from course_utils.mlp import accuracy, count_parameters, mlp, train
from course_utils.spiral import feature_map, make_spiral
from course_utils.splits import split_by_percent


def data():
    X, y_pm = make_spiral(200, noise=0)
    return split_by_percent(
        X, (y_pm > 0).float(), 50, 25, generator=torch.Generator().manual_seed(0)
    )


def test_mlp_shapes_and_parameters():
    assert count_parameters(mlp(2, [])) == 3
    assert count_parameters(mlp(7, [8])) == (7 + 1) * 8 + 9
    model = mlp(2, [16, 16], dropout=0.2)
    assert sum(isinstance(m, nn.Dropout) for m in model) == 2
    assert model(torch.zeros(5, 2)).shape == (5, 1)


@pytest.mark.parametrize(
    "args, match", [((0, [4]), "n_in"), ((2, [4, 0]), "hidden"), ((2, [4.5]), "hidden")]
)
def test_mlp_rejects_bad_shapes(args, match):
    with pytest.raises(ValueError, match=match):
        mlp(*args)


def test_train_lowers_the_loss_and_is_repeatable():
    X_tr, y_tr, X_val, y_val, _, _ = data()
    runs = []
    for _ in range(2):
        _ = torch.manual_seed(0)
        model = mlp(2, [16, 16])
        runs.append(train(model, X_tr, y_tr, X_val, y_val, epochs=60, lr=0.03, batch_size=25))
    assert runs[0] == runs[1]
    assert len(runs[0]["train"]) == len(runs[0]["validation"]) == 60
    assert runs[0]["train"][-1] < 0.5 * runs[0]["train"][0]
    assert accuracy(model, X_tr, y_tr) > 0.8


def test_options_change_the_run_as_pytorch_would():
    X_tr, y_tr, X_val, y_val, _, _ = data()
    final = {}
    for name, options in {
        "plain": {},
        "l2": {"weight_decay": 0.5},
        "l1": {"l1": 0.05},
        "momentum": {"optimizer": "sgd", "momentum": 0.9, "lr": 0.3},
        "sgd": {"optimizer": "sgd", "lr": 0.3},
    }.items():
        _ = torch.manual_seed(0)
        model = mlp(2, [16])
        train(model, X_tr, y_tr, X_val, y_val, epochs=40, **{"lr": 0.03, **options})
        final[name] = sum(
            p.detach().abs().sum().item() for n, p in model.named_parameters() if "weight" in n
        )
    assert final["l2"] < final["plain"] and final["l1"] < final["plain"]
    assert final["momentum"] != final["sgd"]


def test_features_are_applied_and_the_model_is_not_moved():
    X_tr, y_tr, X_val, y_val, _, _ = data()
    phi = feature_map(["x1", "x2", "x1*x2"])
    model = mlp(3, [])
    train(model, X_tr, y_tr, X_val, y_val, features=phi, epochs=2)
    assert model_device(model).type == "cpu" and 0 <= accuracy(model, X_val, y_val, phi) <= 1


@pytest.mark.parametrize(
    "options, match",
    [
        ({"optimizer": "rmsprop"}, "optimizer must be"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": 0}, "lr > 0"),
        ({"momentum": 0.9}, "optimizer='sgd'"),
    ],
)
def test_train_rejects_bad_options(options, match):
    X_tr, y_tr, X_val, y_val, _, _ = data()
    with pytest.raises(ValueError, match=match):
        train(mlp(2, []), X_tr, y_tr, X_val, y_val, **options)


def test_mismatched_points_and_labels_are_explained():
    with pytest.raises(ValueError, match=r"shape \(N, d\).*\(N,\)"):
        accuracy(mlp(2, []), torch.zeros(4, 2), torch.zeros(3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_training_on_cuda_brings_the_points_to_the_model():
    X_tr, y_tr, X_val, y_val, _, _ = data()
    model = mlp(2, [8]).to("cuda")
    history = train(model, X_tr, y_tr, X_val, y_val, epochs=3)
    assert len(history["train"]) == 3 and 0 <= accuracy(model, X_val, y_val) <= 1
