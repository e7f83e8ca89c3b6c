"""The playground's engine beside TensorFlow Playground's own (``nn.ts``, ``dataset.ts``) run in Node.

Two comparisons, per setting (the defaults and two richer ones):

1. **Same rules, same start**: TF Playground's engine makes the data and the first network for
   seed 0; the playground's engine trains that very network on that very data. The test losses
   agree to float64 rounding (about 1e-16; NumPy sums in another order than the JavaScript loops)
   as long as training is stable. Where it is not, rounding grows like any chaos: with all seven
   features (inputs up to 25) at learning rate 0.03 the seed-0 loss spikes between epochs 80 and
   90, and the gap grows from 8e-15 at epoch 80 to 4e-5 at epoch 90 and 1e-2 at epoch 100.
2. **Same recipe, own random numbers**: the TF-style test loss averaged over ``SEEDS`` seeds,
   each side making its own data and network from its own seeded generator.

It needs TensorFlow Playground's ``nn.ts`` and ``dataset.ts`` compiled to CommonJS, which this
repository does not ship or build. Build them by hand outside the repository, e.g.::

    git clone https://github.com/tensorflow/playground /tmp/tfpg-src
    mkdir -p /tmp/tfpg && cd /tmp/tfpg && npm init -y && npm install typescript@5 d3@3.5.17 seedrandom@3
    npx tsc --module commonjs --target es2017 --skipLibCheck --noResolve --outDir build \\
        /tmp/tfpg-src/src/nn.ts /tmp/tfpg-src/src/dataset.ts

and point ``TF_PLAYGROUND_BUILD`` at the folder holding ``nn.js`` and ``dataset.js`` (here
``/tmp/tfpg/build``; ``d3`` and ``seedrandom`` must resolve from there). Without it, or without
``node``, this benchmark reports that it skipped and why. The JavaScript below is this course's
driver: it calls their functions as ``playground.ts`` does (``generateData``, ``reset``, ``oneStep``).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from course_utils.playground import Playground
from course_utils.playground.controls import Controls
from course_utils.playground.data import Split
from course_utils.playground.engine import Network
from course_utils.playground.run import Run
from course_utils.spiral import feature_map

SEEDS = range(5)
CHECKPOINTS = (100, 300, 1000)
#: TF Playground's defaults, which the playground shares (the first setting).
DEFAULTS = dict(
    dataset="spiral",
    noise=0,
    features=["x1", "x2"],
    hidden=[4, 2],
    activation="tanh",
    learning_rate=0.03,
    batch_size=10,
    regularization="none",
    regularization_rate=0.0,
    train_percent=50,
)
SETTINGS = {
    "defaults (spiral; x1, x2; 4, 2; tanh; lr 0.03; batch 10)": DEFAULTS,
    "spiral; all 7 features; 8, 8; tanh; lr 0.03; batch 10": DEFAULTS
    | {"features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"], "hidden": [8, 8]},
    "spiral noise 20; x1, x2, sin; 6, 6; relu; lr 0.01; batch 5; L2 0.001": DEFAULTS
    | {
        "noise": 20,
        "features": ["x1", "x2", "sin(x1)", "sin(x2)"],
        "hidden": [6, 6],
        "activation": "relu",
        "learning_rate": 0.01,
        "batch_size": 5,
        "regularization": "L2",
        "regularization_rate": 0.001,
    },
}
TF_FEATURES = {
    "x1": "x",
    "x2": "y",
    "x1^2": "xSquared",
    "x2^2": "ySquared",
    "x1*x2": "xTimesY",
    "sin(x1)": "sinX",
    "sin(x2)": "sinY",
}

DRIVER = r"""
const path = require('path');
const dir = process.env.TF_PLAYGROUND_BUILD;
const nn = require(path.join(dir, 'nn.js'));
const dataset = require(path.join(dir, 'dataset.js'));
const seedrandom = require(require.resolve('seedrandom', {paths: [dir]}));
const INPUTS = {x: (x, y) => x, y: (x, y) => y, xSquared: (x, y) => x * x, ySquared: (x, y) => y * y,
                xTimesY: (x, y) => x * y, sinX: (x, y) => Math.sin(x), sinY: (x, y) => Math.sin(y)};
const GENERATORS = {circle: dataset.classifyCircleData, xor: dataset.classifyXORData,
                    gauss: dataset.classifyTwoGaussData, spiral: dataset.classifySpiralData};
const ACTIVATIONS = {tanh: nn.Activations.TANH, relu: nn.Activations.RELU, sigmoid: nn.Activations.SIGMOID,
                     linear: nn.Activations.LINEAR};
const REGULARIZATIONS = {none: null, L1: nn.RegularizationFunction.L1, L2: nn.RegularizationFunction.L2};
const job = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const input = p => job.features.map(f => INPUTS[f](p.x, p.y));
function getLoss(network, points) {   // playground.ts getLoss
  let loss = 0;
  for (const p of points) loss += nn.Errors.SQUARE.error(nn.forwardProp(network, input(p)), p.label);
  return loss / points.length;
}
const runs = [];
for (const seed of job.seeds) {
  seedrandom(String(seed), {global: true});                       // Math.seedrandom(state.seed)
  const data = GENERATORS[job.dataset](500, job.noise / 100);      // generateData
  dataset.shuffle(data);
  const split = Math.floor(data.length * job.train_percent / 100);
  const train = data.slice(0, split), test = data.slice(split);
  const network = nn.buildNetwork([job.features.length, ...job.hidden, 1], ACTIVATIONS[job.activation],
      nn.Activations.TANH, REGULARIZATIONS[job.regularization], job.features, false);   // reset
  const weights = network.slice(1).map(layer => layer.map(node => node.inputLinks.map(l => l.weight)));
  const losses = {};
  for (let epoch = 1; epoch <= Math.max(...job.checkpoints); epoch++) {
    train.forEach((p, i) => {                                      // oneStep
      nn.forwardProp(network, input(p));
      nn.backProp(network, p.label, nn.Errors.SQUARE);
      if ((i + 1) % job.batch_size === 0) nn.updateWeights(network, job.learning_rate, job.regularization_rate);
    });
    if (job.checkpoints.includes(epoch)) losses[epoch] = {train: getLoss(network, train), test: getLoss(network, test)};
  }
  const points = ps => ps.map(p => [p.x, p.y, p.label]);
  runs.push({seed, losses, weights, train: points(train), test: points(test)});
}
process.stdout.write(JSON.stringify(runs));
"""


def run_tf(settings: dict, build: Path) -> list[dict]:
    job = {
        **settings,
        "features": [TF_FEATURES[f] for f in settings["features"]],
        "seeds": list(SEEDS),
        "checkpoints": list(CHECKPOINTS),
    }
    with tempfile.TemporaryDirectory() as tmp:
        driver = Path(tmp) / "driver.js"
        driver.write_text(DRIVER)
        done = subprocess.run(
            ["node", str(driver)],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env={**os.environ, "TF_PLAYGROUND_BUILD": str(build)},
            timeout=1800,
            check=True,
        )
    return json.loads(done.stdout)


def ours_from_tf_start(settings: dict, run: dict) -> dict[int, float]:
    """Train the playground's engine from TF Playground's own data and first network."""
    controls = Controls()
    controls.set_controls(**settings)
    config = controls.settings()
    train, test = np.array(run["train"]), np.array(run["test"])
    data = Split(
        train[:, :2],
        (train[:, 2] > 0).astype(float),
        test[:, :2],
        (test[:, 2] > 0).astype(float),
        2,
    )
    ours = Run(config, feature_map(config["features"]), data, torch.Generator())
    ours.network = Network(
        [np.array(w) for w in run["weights"]],
        [np.full(len(w), 0.1) for w in run["weights"]],
        settings["activation"],
    )
    losses = {}
    for epoch in range(1, max(CHECKPOINTS) + 1):
        ours.train_epoch()
        if epoch in CHECKPOINTS:
            losses[epoch] = ours.history["test TF"][-1]
    return losses


def ours_by_seed(settings: dict) -> dict[int, list[float]]:
    losses: dict[int, list[float]] = {c: [] for c in CHECKPOINTS}
    for seed in SEEDS:
        pg = Playground(seed=seed, resolution=10)
        pg.configure(**settings)
        for epoch in range(1, max(CHECKPOINTS) + 1):
            pg.step(redraw=False)
            if epoch in CHECKPOINTS:
                losses[epoch].append(pg.state()["test TF"])
    return losses


def tf_unavailable() -> str | None:
    """Why TF Playground's engine cannot run here, or None."""
    build = os.environ.get("TF_PLAYGROUND_BUILD")
    if not build:
        return "TF_PLAYGROUND_BUILD is not set (see this script's docstring for how to build nn.js and dataset.js)"
    if not (Path(build) / "nn.js").is_file() or not (Path(build) / "dataset.js").is_file():
        return f"no nn.js and dataset.js in TF_PLAYGROUND_BUILD={build}"
    if shutil.which("node") is None:
        return "node is not installed"
    return None


def run() -> list[dict]:
    """The playground's seed-averaged test losses, and TF Playground's beside them when it can run."""
    reason = tf_unavailable()
    if reason:
        print(f"   TF Playground skipped: {reason}; the playground's own losses only")
    rows, table = (
        [],
        [
            "| setting | epochs | playground (mean ± sd) | TF Playground (mean ± sd) | same data and start: |Δ| |",
            "|---|---|---|---|---|",
        ],
    )
    for name, settings in SETTINGS.items():
        ours = ours_by_seed(settings)
        tf_runs = None if reason else run_tf(settings, Path(os.environ["TF_PLAYGROUND_BUILD"]))
        same_start = None if reason else ours_from_tf_start(settings, tf_runs[0])
        for epoch in CHECKPOINTS:
            mine = f"{statistics.mean(ours[epoch]):.3f} ± {statistics.stdev(ours[epoch]):.3f}"
            rows.append(
                {
                    "benchmark": "playground vs TF Playground",
                    "metric": f"test loss, playground, {epoch} epochs",
                    "value": statistics.mean(ours[epoch]),
                    "unit": "",
                    "note": f"{name}; seeds {list(SEEDS)}: {', '.join(f'{v:.3f}' for v in ours[epoch])}"
                    + (f"; TF Playground skipped: {reason}" if reason else ""),
                }
            )
            if reason:
                table.append(f"| {name} | {epoch} | {mine} | skipped | skipped |")
                continue
            theirs = [r["losses"][str(epoch)]["test"] for r in tf_runs]
            gap = abs(same_start[epoch] - tf_runs[0]["losses"][str(epoch)]["test"])
            table.append(
                f"| {name} | {epoch} | {mine} | {statistics.mean(theirs):.3f} ± {statistics.stdev(theirs):.3f} "
                f"| {gap:.1e} |"
            )
            rows += [
                {
                    "benchmark": "playground vs TF Playground",
                    "metric": f"test loss, TF Playground, {epoch} epochs",
                    "value": statistics.mean(theirs),
                    "unit": "",
                    "note": f"{name}; seeds {list(SEEDS)}: {', '.join(f'{v:.3f}' for v in theirs)}",
                },
                {
                    "benchmark": "playground vs TF Playground",
                    "metric": f"same data and start, |Δ test loss|, {epoch} epochs",
                    "value": gap,
                    "unit": "",
                    "note": f"{name}; TF Playground's seed-0 data and first network",
                },
            ]
    print("\n".join(table))
    return rows


if __name__ == "__main__":
    run()
