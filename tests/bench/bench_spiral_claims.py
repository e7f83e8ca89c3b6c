"""Every checked claim of notebook 04 (ten seeds), measured beyond the notebook's seed (03's: bench_nb03_claims).

A notebook shows one run (seed 0) and guards it with a checked line; this benchmark says whether
the claim holds beyond that seed. It runs the notebooks' own code: the definitions (04's
``SpiralNet``, ``run``, ``unroll``, ``train_early_stopping``) are executed from the notebook files
(so a change there is measured here), only the experiment loops are repeated with other seeds.
Each row gives the mean over the seeds and, in its note, the value per seed and on how many seeds
the claim holds. In 04, seed ``s`` draws the spiral's split, the initial weights and the batch
order (sections 4-6), and the XOR points, their split, the flipped labels, the start and the
dropout masks (sections 7-9); seed 0 is the notebook's own run. The teacher's guide
(guide/04_spiral_classification.md) quotes these rows.
Run alone: ``python tests/bench/run_benchmarks.py bench_spiral_claims`` (about 5 minutes of CPU).
"""

from __future__ import annotations

import statistics

import torch
from notebook_code import notebook_namespace

SEEDS = range(5)


def row(
    metric: str,
    values: list[float],
    holds: list[bool] | None = None,
    unit: str = "",
    fmt: str = ".3f",
    seeds: range = SEEDS,
) -> dict:
    note = f"seeds {seeds[0]}-{seeds[-1]}: " + ", ".join(f"{v:{fmt}}" for v in values)
    if holds is not None:
        note += f"; holds on {sum(holds)}/{len(holds)} seeds"
    return {
        "benchmark": "spiral claims",
        "metric": metric,
        "value": statistics.mean(values),
        "unit": unit,
        "note": note,
    }


# ---------------------------------------------------------------- notebook 04
SEEDS_04 = range(10)


def namespace_04() -> dict:
    """The notebook's own SpiralNet, run, unroll, train_early_stopping (and its imports and split)."""
    return notebook_namespace(
        "04_spiral_classification.ipynb",
        "X, y_pm = make_spiral(500, noise=0)",
        "split_by_percent(X, y, 50, 25",
        "class SpiralNet(",
        "loss_fn = nn.BCEWithLogitsLoss()",
        "def run(",
        "def train_early_stopping(",
    )


def spiral_04(seed: int, ns: dict) -> tuple:
    """Sections 4-6: the noise-free spiral, split 50/25/25 % by the seed's generator."""
    return ns["split_by_percent"](
        ns["X"], ns["y"], 50, 25, generator=torch.Generator().manual_seed(seed)
    )


def xor_04(seed: int, ns: dict) -> tuple:
    """Sections 7-9: XOR, 1,000 points split 20/40/40 %, a quarter of the training labels flipped (seed 0 = the notebook)."""
    from course_utils.playground.data import xor

    g = torch.Generator().manual_seed(seed)
    X, y_pm = xor(1000, 0.0, g)
    Xa, ya, Xv, yv, Xt, yt = ns["split_by_percent"](
        X.float(), (y_pm > 0).float(), 20, 40, generator=g
    )
    wrong = torch.randperm(len(ya), generator=g)[: len(ya) // 4]
    ya_noisy = ya.clone()
    ya_noisy[wrong] = 1 - ya_noisy[wrong]
    return Xa, ya_noisy, Xv, yv, Xt, yt, wrong


class Tally:
    """Per-seed values and claims (true or not on each seed), in the order they were first seen."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}
        self.holds: dict[str, list[bool]] = {}

    def add(self, key: str, value: float) -> None:
        self.values.setdefault(key, []).append(value)

    def claim(self, key: str, value: bool) -> None:
        self.holds.setdefault(key, []).append(bool(value))


def claims_04_spiral(ns: dict) -> tuple[dict[str, list[float]], list[tuple[str, list[bool]]]]:
    """The checked lines of sections 4-6, per seed (seed 0 is the notebook's run)."""
    run, unroll, all7 = ns["run"], ns["unroll"], ns["feature_map"](list(ns["FEATURES"]))
    tally = Tally()
    add, claim = tally.add, tally.claim

    for seed in SEEDS_04:
        X_tr, y_tr, X_v, y_v, _, _ = spiral_04(seed, ns)
        data = (X_tr, y_tr, X_v, y_v)
        acc = {
            name: run(hidden, features, data=data, seed=seed)[2]
            for name, hidden, features in [
                ("linear, x1 and x2", [], None),
                ("linear, 7 features", [], all7),
                ("linear, unrolled angle", [], unroll),
                ("8 neurons, x1 and x2", [8], None),
                ("8 neurons, 7 features", [8], all7),
            ]
        }
        for name, value in acc.items():
            add(f"4 {name}: validation accuracy", value)
        claim(
            "4 linear below 0.7 on x1, x2 and on the 7 features",
            max(acc["linear, x1 and x2"], acc["linear, 7 features"]) < 0.7,
        )
        off_centre = X_v.norm(dim=1) > 0  # both arms start at r = 0
        unrolled = run([], unroll, data=(X_tr, y_tr, X_v[off_centre], y_v[off_centre]), seed=seed)[
            2
        ]
        claim(
            "4 linear on the unrolled angle right on every validation point off the centre",
            unrolled == 1,
        )
        claim(
            "4 8 neurons below 0.9 on x1, x2 and at least 0.9 on the 7 features",
            acc["8 neurons, x1 and x2"] < 0.9 <= acc["8 neurons, 7 features"],
        )
        sizes = {str(h): run(h, data=data, seed=seed) for h in ([4, 2], [32], [8, 8], [16, 16])}
        for name, (_, history, value) in sizes.items():
            add(f"5 {name}: validation accuracy", value)
            add(f"5 {name}: final train loss", history["train"][-1])
            add(f"5 {name}: final validation loss", history["validation"][-1])
        small, (_, big, acc_big) = sizes["[4, 2]"][1], sizes["[16, 16]"]
        claim(
            "5 [4, 2] under-fits: both losses above 0.4",
            min(small["train"][-1], small["validation"][-1]) > 0.4,
        )
        claim(
            "5 [16, 16]: train loss below 0.05 and validation accuracy at least 0.9",
            big["train"][-1] < 0.05 and acc_big >= 0.9,
        )
        claim(
            "5 (not claimed) [32] above [8, 8] on validation", sizes["[32]"][2] > sizes["[8, 8]"][2]
        )
        batch50 = run([16, 16], data=data, seed=seed, batch_size=50, epochs=60)[1]["train"][-1]
        sgd = run([16, 16], data=data, seed=seed, optimizer="sgd", lr=3.0)[1]["train"][-1]
        momentum = run([16, 16], data=data, seed=seed, optimizer="sgd", momentum=0.9, lr=0.3)[1][
            "train"
        ][-1]
        add("6 batches of 50, 60 epochs: final train loss", batch50)
        add("6 full batch, 60 epochs: train loss", big["train"][59])
        add("6 SGD lr 3: final train loss", sgd)
        add("6 momentum 0.9 lr 0.3: final train loss", momentum)
        claim("6 per epoch: batches of 50 below the full batch", batch50 < big["train"][59])
        claim("6 per step: the full batch below batches of 50", big["train"][-1] < batch50)
        claim(
            "6 SGD above 0.2, momentum below SGD, Adam below momentum",
            sgd > 0.2 and momentum < sgd and big["train"][-1] < momentum,
        )
    return tally.values, list(tally.holds.items())


def claims_04_overfitting(ns: dict) -> tuple[dict[str, list[float]], list[tuple[str, list[bool]]]]:
    """The checked lines of sections 7-9 (XOR with wrong labels), per seed: seed s draws the data, the split,
    the flipped labels, the start and the dropout masks."""
    SpiralNet, train, accuracy = ns["SpiralNet"], ns["train"], ns["accuracy"]
    tally = Tally()
    add, claim = tally.add, tally.claim

    options = {
        "none": {},
        "L2 0.01": {"weight_decay": 0.01},
        "L2 0.1": {"weight_decay": 0.1},
        "L1 0.003": {"l1": 0.003},
        "dropout 0.5": {"dropout": 0.5},
    }
    for seed in SEEDS_04:
        Xa, ya_noisy, Xv, yv, Xt, yt, wrong = xor_04(seed, ns)
        models, histories = {}, {}
        for name, kw in options.items():
            kw = dict(kw)
            _ = torch.manual_seed(seed)
            models[name] = SpiralNet(2, [64, 64], kw.pop("dropout", 0.0))
            histories[name] = train(models[name], Xa, ya_noisy, Xv, yv, epochs=400, lr=0.02, **kw)
        _ = torch.manual_seed(seed)
        models["early stopping"], val_losses = ns["train_early_stopping"](
            SpiralNet(2, [64, 64]), Xa, ya_noisy, Xv, yv
        )
        val = {name: accuracy(m, Xv, yv) for name, m in models.items()}
        test = {name: accuracy(m, Xt, yt) for name, m in models.items()}
        learned = {name: accuracy(m, Xa[wrong], ya_noisy[wrong]) for name, m in models.items()}
        chosen = max(val, key=val.get)
        for name in models:
            add(f"7-9 {name}: wrong labels learned", learned[name])
            add(
                f"7-9 {name}: accuracy on its training labels", accuracy(models[name], Xa, ya_noisy)
            )
            add(f"7-9 {name}: validation accuracy", val[name])
            add(f"7-9 {name}: test accuracy", test[name])
        plain_val = histories["none"]["validation"]
        add("7 none: last / lowest validation loss", plain_val[-1] / min(plain_val))
        add("9 early stopping: best epoch", float(val_losses.index(min(val_losses)) + 1))
        add("9 chosen on validation: test accuracy", test[chosen])
        add("9 chosen on validation: test accuracy gain over none", test[chosen] - test["none"])
        add("9 early stopping: test accuracy gain over none", test["early stopping"] - test["none"])
        claim("7 none learns over 80 % of the wrong labels", learned["none"] > 0.8)
        claim(
            "7 none: last validation loss above 1.5 x its minimum",
            plain_val[-1] > 1.5 * min(plain_val),
        )
        for name in ("L2 0.01", "L1 0.003", "dropout 0.5"):
            add(f"8 {name}: validation accuracy gain over none", val[name] - val["none"])
            add(f"8 {name}: last validation loss", histories[name]["validation"][-1])
            claim(f"8 {name} learns under half of the wrong labels", learned[name] < 0.5)
            claim(
                f"8 {name}: validation accuracy 0.05+ above none", val[name] >= val["none"] + 0.05
            )
            claim(
                f"8 {name}: last validation loss below none's",
                histories[name]["validation"][-1] < plain_val[-1],
            )
        claim("8 L2 0.1 under-fits: validation accuracy below 0.6", val["L2 0.1"] < 0.6)
        add("7 none: last validation loss", plain_val[-1])
        claim(
            "9 early stopping: validation accuracy at least 0.85 and under half of the wrong labels learned",
            val["early stopping"] >= 0.85 and learned["early stopping"] < 0.5,
        )
        claim(
            "9 early stopping beats none on test by 0.05+",
            test["early stopping"] >= test["none"] + 0.05,
        )
        claim(
            "9 the model chosen on validation beats none on test by 0.05+",
            test[chosen] >= test["none"] + 0.05,
        )
        claim(
            "(not claimed) early stopping beats none on test by 0.1+",
            test["early stopping"] >= test["none"] + 0.1,
        )
    return tally.values, list(tally.holds.items())


def claims_04() -> list[dict]:
    ns = namespace_04()
    ns["device"] = torch.device("cpu")
    rows = []
    for measure in (claims_04_spiral, claims_04_overfitting):
        values, claims = measure(ns)
        rows += [row(f"04 {metric}", v, seeds=SEEDS_04) for metric, v in values.items()]
        rows += [
            row(
                f"04 claim: {name}",
                [float(h) for h in holds],
                holds,
                unit="share of seeds",
                fmt=".0f",
                seeds=SEEDS_04,
            )
            for name, holds in claims
        ]
    return rows


def run() -> list[dict]:
    torch.set_num_threads(1)
    return claims_04()
