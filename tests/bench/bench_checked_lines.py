"""Every notebook's checked lines on seeds 0-4 and 1, 2 and 4 threads: what changed, and each claim's worst margin.

A checked line (``# NBVAL_CHECK_OUTPUT``) must print the same on every seed and thread count, or
CI is red by chance. This benchmark runs each notebook itself 15 times (``SEED = 0..4`` ×
``OMP_NUM_THREADS = 1, 2, 4``, ``notebook_runs.run_notebook``) and reports, per notebook:

- the checked cells that printed something else than the stored outputs, and in which runs;
- for each numeric claim behind a checked boolean (``train_acc > val_acc + 0.2``), its margin
  (``train_acc - (val_acc + 0.2)``, positive when the claim holds, in the claim's own unit),
  evaluated in the kernel right after the cell that prints it; the row gives the worst margin over
  the runs, the run it came from and the median. For a rounded number the notebook prints (``about
  2 times``) the margin is the distance to the nearest rounding boundary;
- the notebook's median wall time per thread count.

``CLAIMS`` declares the margins: per notebook, a snippet that occurs in exactly one code cell (the
cell that prints the claims), then ``{claim: expression}``. The teacher's guides quote these rows.
Notebooks 05 and 06 need ``$CATS_DOGS_DIR`` (``make bench`` names the shared photo folders); without
it they are skipped, as their stored outputs come from those photos.

Run alone, on some notebooks, seeds and thread counts (``--seeds 0 1 --threads 1``), printing every run:
``python tests/bench/bench_checked_lines.py 03 04 --seeds 0 1 2 3 4 --threads 1 2 4``.
The full sweep takes about 2 hours of CPU on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from notebook_runs import run_notebook
from report_rows import median_row, row

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SEEDS = (0, 1, 2, 3, 4)
THREADS = (1, 2, 4)
NEEDS_PHOTOS = {"05_cnn_cats_vs_dogs", "06_transfer_learning"}


def rounding(value: str, printed: str) -> str:
    """The margin of ``round(value)`` printing ``printed``: how far ``value`` is from a rounding boundary."""
    return f"0.5 - abs(({value}) - {printed})"


def orders(value: str, limit: str) -> str:
    """The margin of ``value > limit`` in orders of magnitude (for quantities plotted on a log scale)."""
    return f'__import__("math").log10(({value}) / ({limit}))'


CLAIMS: dict[str, dict[str, dict[str, str]]] = {
    "00_start_here": {
        'print(f"the edge wobbles more than the middle': {
            "edge wobbles over 1.5 times the middle": "edge - 1.5",
            "prints 'about 2 times'": rounding("edge", "2"),
            "beyond the data over 3 times the middle": "beyond - 3",
            "prints 'about 5 times'": rounding("beyond", "5"),
        },
    },
    "02_linear_regression": {
        'print("closed form within tolerance (0.1)': {
            "closed form within 0.1 of the truth": "TOL - max(abs(w_ls - TRUE_W), abs(b_ls - TRUE_B))",
            "its test MSE within 0.1 of the noise variance": "0.1 - abs(test_mse - NOISE**2)",
        },
        '"hand GD within tolerance:",': {
            "hand GD within 0.1 of the truth": "TOL - max(abs(w_gd - TRUE_W), abs(b_gd - TRUE_B))",
            "hand GD within 0.01 of the closed form": "0.01 - max(abs(w_gd - w_ls), abs(b_gd - b_ls))",
            "loss at step 0 over 50": "losses_gd[0] - 50",
            "loss at step 199 within 0.001 of the minimum": "0.001 - (losses_gd[-1] - loss_ls)",
        },
        "small, good, large = (runs[name][1] for name in rates)": {
            "Taylor within 5 % of the loss after one step of lr 0.01 (relative)": (
                '0.05 - abs(taylor["too small"] - small[1]) / small[1]'
            ),
            "Taylor negative after one step of lr 0.1": '-taylor["good"]',
            "Taylor negative after one step of lr 0.18": '-taylor["too large"]',
            "lr 0.01: 0.05+ above the minimum after 40 steps": "small[-1] - (loss_ls + 0.05)",
            "lr 0.1: within 0.01 of the minimum after 40 steps": "loss_ls + 0.01 - good[-1]",
            "lr 0.18: above 1000 after 40 steps (orders of magnitude)": "math.log10(large[-1] / 1000)",
        },
        'print("autograd GD within tolerance:"': {
            "autograd GD within 0.1 of the truth": "TOL - max(abs(w_ag - TRUE_W), abs(b_ag - TRUE_B))",
            "autograd GD within 1e-4 of hand GD": "1e-4 - max(abs(w_ag - w_gd), abs(b_ag - b_gd))",
        },
        "w_nn, b_nn = model.weight.item(), model.bias.item()": {
            "last epoch's mean mini-batch loss within 0.05 of the noise variance": (
                "0.05 - abs(last_epoch.mean().item() - NOISE**2)"
            ),
            "nn.Linear + SGD within 0.1 of the truth": "TOL - max(abs(w_nn - TRUE_W), abs(b_nn - TRUE_B))",
        },
        "m_full, _ = train_sgd(": {
            "spread ratio, batch 8 to 32, prints 2": rounding("spreads[8] / spreads[32]", "2"),
            "spread ratio, batch 32 to 128, prints 2": rounding("spreads[32] / spreads[128]", "2"),
            "batches of 32 over 5 times closer than full batch (ratio - 5)": "error(m_full) / error(m_mini) - 5",
            "sorted, in order, farther off than shuffled": "error(m_order) - error(m_shuf)",
            "StepLR spread of w over 3 times smaller (ratio - 3)": "spread_w(h_const) / spread_w(history) - 3",
        },
        "def fit_gd(X, y, lr, steps=300):": {
            "raw features: loss after 300 steps over 0.1": 'best["raw"][3][-1] - 0.1',
            "standardised: below 0.011 within 50 steps": '50 - reached["standardised"]',
            "weights converted back within 5 % (relative)": "0.05 - ((w_back - TRUE_W3).abs() / TRUE_W3.abs()).max()",
            "bias converted back within 0.1": "0.1 - abs(b_back.item() - TRUE_B3)",
        },
        "gen_income = torch.Generator()": {
            "raw: skewness over 1.5": "skewness(income) - 1.5",
            "raw: a point over 6 standard deviations out": 'z["raw"].max() - 6',
            "raw: mean over 1.2 times the median (ratio - 1.2)": "income.mean() / income.median() - 1.2",
            "log: skewness within 0.3 of 0": "0.3 - abs(skewness(income.log()))",
            "log: every point within 4.5 standard deviations": '4.5 - z["log"].abs().max()',
            "log: mean within 0.1 of the median": "0.1 - abs(income.log().mean() - income.log().median())",
        },
    },
    "03_mlp": {
        "p_linear, p_mlp = [], []": {
            "linear model: P(XOR = 1) within 0.1 of 0.5, 5 seeds": "0.1 - (p_linear - 0.5).abs().max()",
            "MLP 2-8-1: P(XOR = 1) within 0.1 of the label, 5 seeds": "0.1 - (p_mlp - y_xor).abs().max()",
        },
        "linear_on_phi = nn.Linear(3, 1)": {
            "linear model on (x1, x2, x1·x2): every point on its side of 0.5": (
                "((p_phi - 0.5) * (2 * y_xor - 1)).min()"
            ),
        },
        "for width in (1, 3, 10, 50):": {
            "1 neuron: MSE over 0.2": "mse[1] - 0.2",
            "3 neurons: MSE below 0.1": "0.1 - mse[3]",
            "10 and 50 neurons: MSE below 0.05": "0.05 - max(mse[10], mse[50])",
        },
    },
    "04_spiral_classification": {
        "each class makes up 40 to 60 % of the training points": {
            "each class 40 to 60 % of the training points": "0.1 - abs(y_train.mean().item() - 0.5)",
        },
        "acc = {name: result[2] for name, result in feature_runs.items()}": {
            "linear model below 0.7 on x1, x2 and on the 7 features": (
                '0.7 - max(acc["linear, x1 and x2"], acc["linear, 7 features"])'
            ),
            "linear model on the unrolled angle: smallest logit on the right side, off the centre": (
                '(feature_runs["linear, unrolled angle"][0](unroll(X_val[off_centre]).to(device))'
                ".squeeze(1).detach().cpu() * (2 * y_val[off_centre] - 1)).min()"
            ),
            "8 neurons below 0.9 on x1, x2": '0.9 - acc["8 neurons, x1 and x2"]',
            "8 neurons at least 0.9 on the 7 features": 'acc["8 neurons, 7 features"] - 0.9',
        },
        '(_, small, _), (_, big, acc_big) = size_runs["[4, 2]"]': {
            "[4, 2]: both losses above 0.4": 'min(small["train"][-1], small["validation"][-1]) - 0.4',
            "[16, 16]: train loss below 0.05": '0.05 - big["train"][-1]',
            "[16, 16]: validation accuracy at least 0.9": "acc_big - 0.9",
        },
        "per epoch (60 each): batches of 50 end below the full batch": {
            "per epoch: batches of 50 below the full batch": 'full["train"][59] - batch50["train"][-1]',
            "per step: the full batch below batches of 50": 'batch50["train"][-1] - full["train"][-1]',
            "each at its best lr: SGD's validation loss above 0.4": "sgd - 0.4",
            "momentum and Adam at their best 0.15+ below SGD": "sgd - 0.15 - max(momentum, adam)",
            "at lr 3 every optimizer's train loss jumps over 1.3 times its lowest (ratio - 1.3)": (
                "min(jumps.values()) - 1.3"
            ),
        },
        'val_loss = plain_history["validation"]': {
            "the big network learns over 80 % of the wrong labels": "accuracy(plain, Xa[wrong], ya_noisy[wrong]) - 0.8",
            "its validation loss ends above 1.5 times its minimum (ratio - 1.5)": "val_loss[-1] / min(val_loss) - 1.5",
        },
        'for name in ("L2 0.01", "L1 0.003", "dropout 0.5"):': {
            **{
                f"{name}: learns under half of the wrong labels": (
                    f'0.5 - accuracy(variants["{name}"][0], Xa[wrong], ya_noisy[wrong])'
                )
                for name in ("L2 0.01", "L1 0.003", "dropout 0.5")
            },
            **{
                f"{name}: validation accuracy 0.05+ above none": f'scores["{name}"] - scores["none"] - 0.05'
                for name in ("L2 0.01", "L1 0.003", "dropout 0.5")
            },
            **{
                f"{name}: lower last validation loss than none": f'last_val_loss["none"] - last_val_loss["{name}"]'
                for name in ("L2 0.01", "L1 0.003", "dropout 0.5")
            },
            "L2 0.1: validation accuracy below 0.6": '0.6 - scores["L2 0.1"]',
        },
        "check_early_stopping(train_early_stopping)": {
            "early stopping: validation accuracy at least 0.85": 'scores["early stopping"] - 0.85',
            "early stopping: under half of the wrong labels learned": (
                "0.5 - accuracy(stopped, Xa[wrong], ya_noisy[wrong])"
            ),
            "early stopping beats none on test by 0.05+": 'test["early stopping"] - test["none"] - 0.05',
            "the model chosen on validation beats none on test by 0.05+": 'test[chosen] - test["none"] - 0.05',
        },
        "alive = spread[name][-1] > 0.1 and first_grad[name] > 0.01": {
            **{
                f"{name}: dead (layer 20 below 0.1 or gradient below 0.01; orders of magnitude)": (
                    f"max({orders('0.1', f'spread[{name!r}][-1]')}, "
                    f"{orders('0.01', f'first_grad[{name!r}]')})"
                )
                for name in ("small (std 0.05)", "PyTorch default")
            },
            **{
                f"{name}: alive (layer 20 above 0.1, gradient above 0.01; orders of magnitude)": (
                    f"min({orders(f'spread[{name!r}][-1]', '0.1')}, "
                    f"{orders(f'first_grad[{name!r}]', '0.01')})"
                )
                for name in ("Xavier", "default + BatchNorm")
            },
            **{
                f"{name}: validation accuracy after 50 epochs not over 0.85": f"0.85 - deep_runs[{name!r}][1]"
                for name in ("small (std 0.05)", "PyTorch default")
            },
            **{
                f"{name}: validation accuracy after 50 epochs over 0.85": f"deep_runs[{name!r}][1] - 0.85"
                for name in ("Xavier", "default + BatchNorm")
            },
        },
    },
    "05_cnn_cats_vs_dogs": {
        '"training accuracy ends more than 0.2 above validation accuracy:",': {
            "training accuracy ends 0.2+ above validation accuracy": (
                "history.train_acc[-1] - history.val_acc[-1] - 0.2"
            ),
            "validation loss ends 0.1+ above its lowest": "history.val_loss[-1] - min(history.val_loss) - 0.1",
        },
        'print("majority baseline balanced accuracy:"': {
            "the CNN's validation balanced accuracy above 0.55": 'report["balanced accuracy"] - 0.55',
        },
        '"average colour only: both losses end above 0.6:",': {
            "average colour only: both losses above 0.6": (
                "min(history_colour.train_loss[-1], history_colour.val_loss[-1]) - 0.6"
            ),
            "OurCNN: training loss below 0.2": "0.2 - history.train_loss[-1]",
        },
        '"validation − training loss is smaller with augmentation:",': {
            "the validation-training gap smaller with augmentation": (
                "(val_plain - train_plain) - (val_aug - train_aug)"
            ),
            "validation loss lower with augmentation": "val_plain - val_aug",
        },
        '"the weighted loss finds more cats:",': {
            "the weighted loss's cat recall 0.1+ above the plain loss's": (
                'recalls["weighted loss"]["recall cat"] - recalls["plain loss"]["recall cat"] - 0.1'
            ),
            "cats drawn by the sampler within 45-55 %": "0.05 - abs(cat_share - 0.5)",
        },
        "score_kept, score_last = sure_when_wrong.values()": {
            "early stopping kept an epoch before the last (epochs)": "EPOCHS - history_es.best_epoch - 0.5",
            "wrong answers' mean score 0.05+ higher at the last epoch": "score_last - score_kept - 0.05",
        },
        "plain, stopped, augmented = (\n    test_scores[": {
            "augmented OurCNN: test balanced accuracy 0.1+ above the majority baseline": (
                'augmented["balanced accuracy"] - test_baseline["balanced_accuracy"] - 0.1'
            ),
            "early stopping and augmentation: test loss below the plain CNN's last epoch": (
                'plain["loss"] - max(stopped["loss"], augmented["loss"])'
            ),
        },
    },
    "06_transfer_learning": {
        "right_species = torch.where(": {
            "ImageNet names the right species for over half of the validation images": (
                "right_species.float().mean() - 0.5"
            ),
        },
        "drifting = copy.deepcopy(embed).train()": {
            "train mode, batches of 32: balanced accuracy below eval mode's": (
                'scores["eval mode"] - scores["train mode, batches of 32"]'
            ),
            "train mode, one photo at a time: at most 0.6": '0.6 - scores["train mode, one photo at a time"]',
        },
        'print("both pretrained models reach at least 0.95 test balanced accuracy:"': {
            "both pretrained models: test balanced accuracy at least 0.95": "pretrained - 0.95",
            "CNN from scratch: test balanced accuracy 0.15+ below both": (
                'pretrained - 0.15 - test_scores["CNN from scratch"]["balanced accuracy"]'
            ),
        },
        '"on photos of another source, the kept model\'s balanced accuracy is at least 0.9:",': {
            "another source: the kept model's balanced accuracy at least 0.9": "other_score - 0.9",
            "another source: both pretrained models 0.15+ above the CNN from scratch": (
                'min(other_scores["feature extraction"], other_scores["fine-tuning"]) - '
                'other_scores["CNN from scratch"] - 0.15'
            ),
        },
        "mislabelled = next(\n        f for f in other.files": {
            "another source: cats called dog minus twice the dogs called cat": (
                'leans["class-weighted loss", "other"][0] - 2 * leans["class-weighted loss", '
                '"other"][1] - 0.5'
            ),
            "plain loss calls at least as many cats dog (count)": (
                'leans["plain loss", "other"][0] - leans["class-weighted loss", "other"][0] + 0.5'
            ),
        },
    },
    "07_generative_models": {
        "def reconstruction_loss(": {
            "a perfect copy scores over 10 nats per image": "floor - 10",
        },
        "ae8 = autoencoders[8]": {
            "k = 8: test loss below 20 nats": "20 - test_loss[8]",
            "the smaller the bottleneck, the larger the test loss (smallest gap, nats)": (
                "min(test_loss[2] - test_loss[8], test_loss[8] - test_loss[32])"
            ),
        },
        "closed_form = kl_to_standard_normal(": {
            "Monte Carlo within 3 standard errors (in standard errors)": (
                "3 - abs(log_ratio.mean() - closed_form).item() / standard_error.item()"
            ),
        },
        "vae2, vae8 = train_vae(latent_dim=2), train_vae(latent_dim=8)": {
            "2-D VAE: test loss below 28 nats": "28 - sum(terms[2])",
            "8-number VAE reconstructs over 1 nat worse than the autoencoder": "terms[8][0] - test_loss[8] - 1",
            "2-D VAE: code means within 0.5 of the origin": "0.5 - mu2.mean(dim=0).abs().max()",
            "2-D VAE: code spread below 1.5": "1.5 - mu2.std(dim=0).max()",
            "2-D autoencoder's codes over 1.4 times as wide (ratio - 1.4)": "codes2.std() / mu2.std() - 1.4",
        },
        "rec = [beta_terms[b][0] for b in (0.25, 1.0, 4.0)]": {
            "larger beta, smaller KL (smallest gap, nats)": "min(kl[0] - kl[1], kl[1] - kl[2])",
            "beta = 4 reconstructs worse than 0.25 (nats)": "rec[2] - rec[0]",
            "beta = 4: KL below 0.1": "0.1 - kl[2]",
        },
        "accuracy, confident_accuracy = right.double().mean()": {
            "the judge is right on over 90 % of the test digits": "accuracy - 0.9",
            "surer of real digits than of blurred or blended ones by over 0.2": (
                'references["real test digits"] - 0.2 - '
                'max(references["test digits, blurred"], references["two test digits blended"])'
            ),
            "over 80 % of real test digits read confidently": 'cleared["real test digits"] - 0.8',
            "right on over 98 % of the real digits read confidently": "confident_accuracy - 0.98",
            "under half of blurred or blended digits read confidently": (
                '0.5 - max(cleared["test digits, blurred"], cleared["two test digits blended"])'
            ),
        },
        'print("codes:", tuple(steps.shape)': {
            "digits read confidently in each 2-D grid, above 4": "min(len(d) for _, d in readings.values()) - 4",
            "digits read confidently in each 2-D grid, below 10": "10 - max(len(d) for _, d in readings.values())",
        },
        "generated = [scores[name] for name in new_digits]": {
            "the judge is less sure of every generator than of real digits, by over 0.1": (
                'scores["real test digits"] - 0.1 - max(generated)'
            ),
            "the VAE's digits more digit-like than the autoencoder's (fitted Gaussians)": (
                'scores["VAE, fitted Gaussian"] - scores["autoencoder, fitted Gaussian"]'
            ),
            "more of the VAE's digits read confidently (fitted Gaussians)": (
                'shares["VAE, fitted Gaussian"] - shares["autoencoder, fitted Gaussian"]'
            ),
            "the VAE's prior within 0.05 of a fitted Gaussian": (
                '0.05 - abs(scores["VAE, prior N(0, I)"] - scores["VAE, fitted Gaussian"])'
            ),
            "digits read confidently in each generated set, above 8": "min(len(s) for _, s in confident.values()) - 8",
            "code numbers the VAE uses, below 9": "9 - (kl_per_number > 0.1).sum().item()",
        },
    },
}


def sweep(name: str, seeds=SEEDS, threads=THREADS, verbose: bool = False) -> list[dict]:
    """Run notebook ``name`` on every seed and thread count; the runs of ``notebook_runs.run_notebook``."""
    runs = []
    for t in threads:
        for seed in seeds:
            run = run_notebook(NOTEBOOKS / f"{name}.ipynb", seed, t, CLAIMS.get(name, {}))
            runs.append(run)
            if verbose:
                print(describe(run), flush=True)
    return runs


def describe(run: dict) -> str:
    """One run in a few lines: seed, threads, time, error, changed cells (stored and got), margins."""
    lines = [
        f"seed {run['seed']}, {run['threads'] or 'default'} threads "
        f"(torch {run['torch threads']}): {run['seconds']:.0f} s"
        + (f", ERROR {run['error']}" if run["error"] else "")
    ]
    for index, (stored, got) in run["changed"].items():
        lines.append(f"  cell {index} changed:\n    stored {stored}\n    got    {got}")
    lines += [f"  {value:+.4g}  {claim}" for claim, value in run["margins"].items()]
    return "\n".join(lines)


def rows(name: str, runs: list[dict]) -> list[dict]:
    """The notebook's rows: checked cells that changed, each claim's worst margin, wall time per thread count."""
    where = lambda run: f"seed {run['seed']}/{run['threads'] or 'default'} threads"  # noqa: E731
    changed = sorted({i for run in runs for i in run["changed"]})
    failed = [f"{where(run)}: {run['error']}" for run in runs if run["error"]]
    note = (
        "; ".join(f"{where(run)}: cells {sorted(run['changed'])}" for run in runs if run["changed"])
        or "none"
    )
    out = [
        row(
            "checked lines",
            f"{name}: checked cells that printed something else",
            len(changed) + len(failed),
            "cells",
            f"{len(runs)} runs (seeds {sorted({r['seed'] for r in runs})} × threads "
            f"{sorted({r['threads'] or 'default' for r in runs}, key=str)}); changed: {note}"
            + (f"; errors: {'; '.join(failed)}" if failed else ""),
        )
    ]
    for claim in CLAIMS.get(name, {}).values():
        for label in claim:
            values = [(run["margins"][label], run) for run in runs if label in run["margins"]]
            if not values:
                continue
            worst, run = min(values, key=lambda pair: pair[0])
            margins = [v for v, _ in values]
            sd = f"; sd {statistics.stdev(margins):.2g}" if len(margins) > 1 else ""
            out.append(
                row(
                    "checked lines",
                    f"{name}: {label}: worst margin",
                    worst,
                    note=f"at {where(run)}; median {statistics.median(margins):.4g}{sd}; "
                    f"holds on {sum(v > 0 for v in margins)}/{len(margins)} runs",
                )
            )
    for t in sorted({r["threads"] for r in runs}, key=str):
        seconds = [r["seconds"] for r in runs if r["threads"] == t]
        out.append(
            median_row(
                "checked lines",
                f"{name}: wall time, {t or 'default'} threads",
                seconds,
                "s",
                "median; ",
            )
        )
    return out


def run() -> list[dict]:
    out = []
    for name in sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb") if p.stem[:2] <= "07"):
        if name in NEEDS_PHOTOS and not os.environ.get("CATS_DOGS_DIR"):
            out.append(
                row(
                    "checked lines",
                    f"{name}: skipped",
                    float("nan"),
                    note="no $CATS_DOGS_DIR: its stored outputs come from the shared photos",
                )
            )
            continue
        out += rows(name, sweep(name))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", help="notebook numbers or names (default: all of 00-07)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=SEEDS)
    parser.add_argument(
        "--threads",
        type=lambda t: None if t == "default" else int(t),
        nargs="+",
        default=THREADS,
        help="thread counts; 'default' leaves torch's own (one per core)",
    )
    args = parser.parse_args()
    if None in args.threads:
        os.environ.pop("OMP_NUM_THREADS", None)  # torch's default: one thread per core
    every = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    for name in [
        n for n in every if not args.notebooks or any(n.startswith(a) for a in args.notebooks)
    ]:
        for r in rows(name, sweep(name, args.seeds, args.threads, verbose=True)):
            print(f"{r['metric']}: {r['value']:.4g} {r['unit']}  ({r['note']})")
