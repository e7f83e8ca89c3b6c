"""Notebook 02's homework: house prices from ``make_homework_data(seed)`` (each student their own
seed, so their own true weights); ``grade_homework`` scores a submission as the teacher does,
``check_homework`` prints that score in the notebook."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

from course_utils.checks import (
    CheckFailed,
    advise,
    call_student,
    runs_elsewhere,
)
from course_utils.code_reading import read_answer

__all__ = [
    "HOMEWORK_FEATURES",
    "HomeworkData",
    "HomeworkItem",
    "check_homework",
    "grade_homework",
    "make_homework_data",
]


HOMEWORK_FEATURES: tuple[str, ...] = ("area_m2", "rooms", "distance_km", "age_years")
_BASE_WEIGHT = (3.0, 12.0, -4.0, -1.0)  # price in thousands per unit of each feature
_BASE_BIAS = 50.0
_NOISE = 10.0
#: How close each recovered weight must be to the truth, relative to its size.
HOMEWORK_RTOL = 0.05


class HomeworkData(NamedTuple):
    """The homework's data set: training and test split, and the feature names."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    feature_names: tuple[str, ...]


def _homework_truth(seed: int) -> tuple[torch.Tensor, float]:
    gen = torch.Generator().manual_seed(seed + 10_000)
    factor = 1 + 0.4 * (torch.rand(len(_BASE_WEIGHT), generator=gen) - 0.5)
    return torch.tensor(_BASE_WEIGHT) * factor, _BASE_BIAS


def make_homework_data(seed: int, n_train: int = 800, n_test: int = 200) -> HomeworkData:
    """House prices (thousands) from four features on very different scales, for one seed.

    Use your own seed (e.g. your student number). The true weights depend on it and are
    not returned: recovering them is the homework.

    Example:
        >>> data = make_homework_data(seed=123)
        >>> data.X_train.shape, data.y_test.shape, data.feature_names[0]
        (torch.Size([800, 4]), torch.Size([200]), 'area_m2')
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(
            f"seed must be a non-negative int (e.g. your student number), got {seed!r}"
        )
    if n_train < 10 or n_test < 1:
        raise ValueError(f"need n_train >= 10 and n_test >= 1, got {n_train} and {n_test}")
    gen = torch.Generator().manual_seed(seed)
    n = n_train + n_test
    u = torch.rand(n, 4, generator=gen)
    X = torch.stack(
        [
            50 + 200 * u[:, 0],  # area 50-250 m²
            torch.floor(1 + 6 * u[:, 1]),  # 1-6 rooms
            30 * u[:, 2],  # 0-30 km to the centre
            100 * u[:, 3],
        ],
        dim=1,
    )  # 0-100 years old
    weight, bias = _homework_truth(seed)
    y = X @ weight + bias + _NOISE * torch.randn(n, generator=gen)
    return HomeworkData(X[:n_train], y[:n_train], X[n_train:], y[n_train:], HOMEWORK_FEATURES)


#: Points ``grade_homework`` awards; the teacher reads the rest.
HOMEWORK_AUTOMATIC_POINTS = 7
#: The largest mini-batch the homework allows.
HOMEWORK_MAX_BATCH = 64
#: Closed forms the homework forbids: solving the least-squares problem instead of training.
_CLOSED_FORMS = (
    "torch.linalg.lstsq",
    "torch.linalg.solve*",
    "torch.linalg.inv*",
    "torch.linalg.pinv",
    "torch.inverse",
    "torch.pinverse",
    "*.inverse",
    "*.pinverse",
    "torch.lstsq",
    "torch.cholesky_solve",
    "numpy.linalg.*",
    "scipy.linalg.*",
    "sklearn.linear_model.*",
)
_OTHER_OPTIMIZERS = (
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "ASGD",
    "Rprop",
    "LBFGS",
    "SparseAdam",
)


def _rules_broken(fit: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> list[str]:
    """The homework's rules on method that ``fit``'s code (and the notebook code it uses) breaks, read the
    same way in the notebook and in the grader. What only a run can tell (how many steps, standardised
    inputs, a batch size held in a variable) is not decided here (see ``_observe``)."""
    reading = read_answer(fit, "fit_linear_regression")
    if reading.problem:
        return [reading.problem]
    broken = [
        f"its code calls {use.names[-1].rpartition('.')[2]}, a closed form ({use}): the homework asks you to "
        "train with mini-batch SGD"
        for use in reading.uses(*_CLOSED_FORMS)[:1]
    ]
    loaders = [call.keywords for call in reading.calls("torch.utils.data*DataLoader")]
    if not loaders:
        broken.append(
            "its code makes no DataLoader: wrap your Dataset in DataLoader(dataset, batch_size=..., "
            "shuffle=True)"
        )
    else:
        if all(k.get("shuffle", False) in (False, None, 0) and "sampler" not in k for k in loaders):
            broken.append("its DataLoader does not shuffle: pass shuffle=True")
        sizes = [k.get("batch_size", 1) for k in loaders]
        if all(isinstance(n, int) and n > HOMEWORK_MAX_BATCH for n in sizes):
            broken.append(
                f"its DataLoader's batch size is {', '.join(map(str, sizes))}: use mini-batches of at most "
                f"{HOMEWORK_MAX_BATCH}"
            )
    torchs = reading.uses("torch.utils.data*TensorDataset", live=True)
    if torchs:
        broken.append(
            f"it used torch's TensorDataset ({torchs[0]}): write your own Dataset class (__len__ and "
            "__getitem__), as in section 7.1"
        )
    elif not reading.classes("torch.utils.data*Dataset"):
        broken.append(
            "it uses no Dataset class of your own: write one (a subclass of Dataset with __len__ and "
            "__getitem__), as in section 7.1"
        )
    others = sorted(
        {use.names[-1].rpartition(".")[2] for use in reading.uses("torch.optim.*", live=True)}
        & set(_OTHER_OPTIMIZERS)
    )
    if others:
        broken.append(f"its code makes {', '.join(others)}: the homework asks for torch.optim.SGD")
    elif not reading.calls("torch.optim*SGD"):
        broken.append(
            "its code makes no torch.optim.SGD: train nn.Linear with optimizer.step() on every batch"
        )
    if not reading.uses("torch.nn*Linear", live=True):
        broken.append("its code makes no nn.Linear: use model = nn.Linear(4, 1)")
    return broken


def _observe(
    fit: Callable[..., tuple[torch.Tensor, torch.Tensor]], data: HomeworkData, seed: int
) -> tuple[object, list[str]]:
    """Call ``fit``; in the notebook, also watch its run for what the code cannot tell (its optimizer steps,
    the inputs its nn.Linear trains on), as advice: the grader sees nothing of a run in its sandbox."""
    if runs_elsewhere(fit):
        return call_student(
            fit, data.X_train.clone(), data.y_train.clone(), seed=seed, name="fit_linear_regression"
        ), []
    steps: list[int] = []
    batches: list[torch.Tensor] = []

    def record_input(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        if (
            isinstance(module, nn.Linear)
            and torch.is_grad_enabled()
            and inputs
            and isinstance(inputs[0], torch.Tensor)
        ):
            batches.append(inputs[0].detach().reshape(-1, inputs[0].shape[-1]).cpu())

    step_hook = register_optimizer_step_post_hook(lambda optimizer, args, kwargs: steps.append(1))
    input_hook = nn.modules.module.register_module_forward_pre_hook(record_input)
    try:
        answer = call_student(
            fit, data.X_train.clone(), data.y_train.clone(), seed=seed, name="fit_linear_regression"
        )
    finally:
        step_hook.remove()
        input_hook.remove()
    advice = []
    if len(steps) < len(data.X_train) // HOMEWORK_MAX_BATCH:
        advice.append(
            f"it made {len(steps)} optimizer steps, fewer than one epoch of mini-batches "
            f"({len(data.X_train) // HOMEWORK_MAX_BATCH}): call optimizer.step() on every batch"
        )
    if batches:
        seen = torch.cat(batches)[: len(data.X_train)]
        mean, std = seen.mean(0), seen.std(0)
        if seen.shape[1] == data.X_train.shape[1] and (
            (mean.abs() > 0.1).any() or ((std - 1).abs() > 0.1).any()
        ):
            advice.append(
                "the features nn.Linear trained on are not standardised (column means "
                f"{[round(v, 2) for v in mean.tolist()]}, stds {[round(v, 2) for v in std.tolist()]}): "
                "standardise them with the training mean and std first"
            )
    return answer, advice


class HomeworkItem(NamedTuple):
    """One graded item: what was checked, points earned and possible, and why."""

    what: str
    earned: int
    possible: int
    message: str


def grade_homework(
    fit: Callable[..., tuple[torch.Tensor, torch.Tensor]],
    seed: int,
    advice: list[str] | None = None,
) -> list[HomeworkItem]:
    """Grade ``fit(X_train, y_train, seed=...) -> (weight, bias)`` on the homework data.

    Seven points are checked here: the answer's form (1); the method the task prescribes (1),
    read from its code (``course_utils.code_reading``, the same in the notebook and in the
    grader): your own ``Dataset`` in a shuffled ``DataLoader`` with batches of at most
    ``HOMEWORK_MAX_BATCH``, ``nn.Linear`` stepped by ``torch.optim.SGD``, no closed form (``lstsq``,
    ``solve``, ``inv``, ``pinv``, NumPy's, SciPy's, scikit-learn's); test RMSE no worse than 10 % above
    the closed-form solution's (2) and each weight within ``HOMEWORK_RTOL`` of the truth (2), both
    earned only by weights that come from that method; the same seed giving the same weights, up to
    float rounding (1). The remaining point is read by the teacher. What only the run can tell
    (standardised inputs, a step on every batch) goes into ``advice``, in the notebook only.

    Example:
        >>> def closed_form(X, y, seed):
        ...     A = torch.cat([X, torch.ones(len(X), 1)], dim=1)
        ...     sol = torch.linalg.lstsq(A, y[:, None]).solution.squeeze(1)
        ...     return sol[:-1], sol[-1]
        >>> [item.earned for item in grade_homework(closed_form, seed=1)]
        [1, 0, 0, 0, 1]
    """
    data = make_homework_data(seed)
    weight_true, bias_true = _homework_truth(seed)
    answer, observed = _observe(fit, data, seed)
    if advice is not None:
        advice += observed
    broken = _rules_broken(fit)
    items: list[HomeworkItem] = []
    form = "return (weight, bias): weight a float32 tensor of shape (4,), bias a single number"
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return [
            HomeworkItem(
                "answer's form",
                0,
                1,
                f"fit_linear_regression should {form}; it returned {type(answer).__name__}.",
            )
        ]
    weight, bias = answer
    if isinstance(bias, torch.Tensor) and bias.numel() == 1:
        bias = bias.detach().reshape(())
    if not (
        isinstance(weight, torch.Tensor)
        and weight.shape == (4,)
        and weight.dtype == torch.float32
        and isinstance(bias, (int, float, torch.Tensor))
    ):
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        return [
            HomeworkItem(
                "answer's form",
                0,
                1,
                f"{form}; got weight {shape}. If you trained nn.Linear, "
                "return model.weight.detach().squeeze(0) and model.bias.detach().squeeze(0).",
            )
        ]
    weight = weight.detach().cpu()
    bias = torch.as_tensor(bias, dtype=torch.float32).cpu()
    items.append(HomeworkItem("answer's form", 1, 1, "weight (4,) float32 and a bias"))
    items.append(
        HomeworkItem(
            "mini-batch SGD as the task asks",
            0 if broken else 1,
            1,
            "; ".join(broken)
            if broken
            else "your Dataset, a shuffled DataLoader (batches <= "
            f"{HOMEWORK_MAX_BATCH}), nn.Linear and SGD",
        )
    )
    unearned = (
        " (not earned: these points need weights trained as the task asks, see the item above)"
    )

    def rmse(w: torch.Tensor, b: torch.Tensor) -> float:
        return ((data.X_test @ w + b - data.y_test) ** 2).mean().sqrt().item()

    A = torch.cat([data.X_train, torch.ones(len(data.X_train), 1)], dim=1).double()
    ref = torch.linalg.lstsq(A, data.y_train[:, None].double()).solution.squeeze(1).float()
    best, got = rmse(ref[:-1], ref[-1]), rmse(weight, bias)
    ok = got <= 1.10 * best and not broken
    items.append(
        HomeworkItem(
            "test RMSE within 10% of the closed form",
            2 * ok,
            2,
            f"test RMSE {got:.2f} vs closed form {best:.2f}"
            + (
                unearned
                if broken
                else ""
                if ok
                else ": train longer, tune the learning rate, and standardise the features "
                "with the training mean and std"
            ),
        )
    )
    off = (weight - weight_true).abs() / weight_true.abs()
    ok = bool((off <= HOMEWORK_RTOL).all()) and not broken
    worst = int(off.argmax())
    items.append(
        HomeworkItem(
            f"weights within {HOMEWORK_RTOL:.0%} of the truth",
            2 * ok,
            2,
            f"worst: {HOMEWORK_FEATURES[worst]} off by {off[worst].item():.1%}"
            + (
                unearned
                if broken
                else ""
                if ok
                else "; if you trained on standardised features, convert back: "
                "w = w_std / std, b = b_std - (w_std * mean / std).sum()"
            ),
        )
    )
    again = call_student(
        fit, data.X_train.clone(), data.y_train.clone(), seed=seed, name="fit_linear_regression"
    )
    same = (
        isinstance(again, (tuple, list))
        and isinstance(again[0], torch.Tensor)
        and again[0].shape == weight.shape
        and torch.allclose(again[0].detach().cpu(), weight, rtol=1e-4, atol=1e-4)
    )
    items.append(
        HomeworkItem(
            "same seed, same weights",
            1 * same,
            1,
            "repeatable"
            if same
            else "two runs with the same seed gave different weights: seed torch and pass "
            "generator=torch.Generator().manual_seed(seed) to the DataLoader",
        )
    )
    return items


def check_homework(fit: Callable[..., tuple[torch.Tensor, torch.Tensor]], seed: int) -> None:
    """Print the automatic part of the homework grade; raise ``CheckFailed`` if a point is lost.

    Example:
        >>> from torch.utils.data import DataLoader, Dataset
        >>> class Pairs(Dataset):
        ...     def __init__(self, X, y): self.X, self.y = X, y
        ...     def __len__(self): return len(self.X)
        ...     def __getitem__(self, i): return self.X[i], self.y[i]
        >>> def fit(X, y, seed):
        ...     torch.manual_seed(seed)
        ...     mean, std = X.mean(0), X.std(0)
        ...     loader = DataLoader(Pairs((X - mean) / std, y[:, None]), batch_size=32, shuffle=True,
        ...                         generator=torch.Generator().manual_seed(seed))
        ...     model, loss_fn = nn.Linear(4, 1), nn.MSELoss()
        ...     optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        ...     scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=8, gamma=0.3)
        ...     for epoch in range(24):
        ...         for xb, yb in loader:
        ...             optimizer.zero_grad()
        ...             loss_fn(model(xb), yb).backward()
        ...             optimizer.step()
        ...         scheduler.step()
        ...     w, b = model.weight.detach().squeeze(0), model.bias.detach().squeeze(0)
        ...     return w / std, b - (w * mean / std).sum()
        >>> check_homework(fit, seed=1)
        ✅ answer's form: 1/1
        ✅ mini-batch SGD as the task asks: 1/1
        ✅ test RMSE within 10% of the closed form: 2/2
        ✅ weights within 5% of the truth: 2/2
        ✅ same seed, same weights: 1/1
        automatic points: 7/7 (the teacher reads the rest)
    """
    advice: list[str] = []
    items = grade_homework(fit, seed, advice)
    for text in advice:
        advise(fit, text)
    for item in items:
        mark = "✅" if item.earned == item.possible else "❌"
        print(f"{mark} {item.what}: {item.earned}/{item.possible}")
    earned = sum(i.earned for i in items)
    print(f"automatic points: {earned}/{HOMEWORK_AUTOMATIC_POINTS} (the teacher reads the rest)")
    lost = [f"{i.what}: {i.message}" for i in items if i.earned < i.possible]
    if lost:
        raise CheckFailed("not full marks yet:\n- " + "\n- ".join(lost))
