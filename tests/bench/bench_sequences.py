"""Notebook 08's claims, measured over several seeds with the notebook's own code, and its run time.

The notebook's models, training loops and measurements (the functions and classes of its code
cells tagged ``sequences-core``; only the ``def`` and ``class`` statements run here, not the cells'
training) are trained with seeds 0 to 4 on the same text, with the same held-out test windows. Each
row gives the median over the seeds and the range; for each claim the notebook's checked cells make,
in how many seeds it held (a claim is written in the notebook only if it holds in every seed). The
last row times the whole notebook, top to bottom in a fresh kernel (median of 3 runs).

The models train on ``course_utils.get_device()`` (``COURSE_DEVICE=cpu`` or ``cuda`` to choose), so the
same benchmark checks the claims on a GPU.
"""

from __future__ import annotations

import ast
import math
import os
import re
import statistics
import time
from pathlib import Path

import nbformat
import torch
import torch.nn.functional as F
from nbclient import NotebookClient
from torch import nn

from course_utils import get_device
from course_utils import sequences as seq

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "08_sequences.ipynb"
TAG = "sequences-core"
SEEDS = range(5)
RUNS = int(os.environ.get("BENCH_NOTEBOOK_RUNS", 3))  # 0 skips the run-time row
L, N_KEYS = 100, 4


def notebook_code() -> dict:
    """The notebook's tagged definitions, in a namespace holding the data and test windows it uses."""
    data = seq.load_python_docs(test_fraction=0.1)
    test_x, test_key, test_distance = seq.memory_batch(data.test_ids, 2000, L, N_KEYS,
                                                       generator=torch.Generator().manual_seed(1),
                                                       distance=torch.arange(L).repeat(20))
    namespace = {"torch": torch, "nn": nn, "F": F, "math": math, "re": re, "device": get_device(), "data": data,
                 "L": L, "n_keys": N_KEYS, "test_x": test_x, "test_key": test_key, "test_distance": test_distance,
                 "words": set(re.findall(r"[a-z]{3,}", data.text)),
                 **{name: getattr(seq, name) for name in seq.__all__}}
    cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if TAG in c.metadata.get("tags", [])]
    if not cells:
        raise RuntimeError(f"no code cells tagged {TAG!r} in {NOTEBOOK.name}: the tag marks what this benchmark runs")
    for cell in cells:
        tree = ast.parse(cell.source)
        tree.body = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        exec(compile(tree, f"{NOTEBOOK.name}:{TAG}", "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace


def measure(nb: dict, seed: int) -> dict[str, float]:
    """Everything the notebook's claims rest on, for one seed (the notebook itself uses seed 0)."""
    device, train, accuracy = nb["device"], nb["train_memory"], nb["accuracy_by_distance"]
    m: dict[str, float] = {}
    start = time.perf_counter()

    torch.manual_seed(seed)
    mlp = nb["WindowMLP"]().to(device)
    train(mlp, seed=seed)
    a = accuracy(mlp)
    m["MLP: accuracy, distances 0-9"], m["MLP: accuracy, distances 10-99"] = a[:10].mean().item(), a[10:].mean().item()

    torch.manual_seed(seed)
    rnn = nb["MemoryRNN"](nn.RNN).to(device)
    train(rnn, seed=seed)
    a = accuracy(rnn)
    m["plain RNN: accuracy, distances 0-4"], m["plain RNN: accuracy, distances 50-99"] = (
        a[:5].mean().item(), a[50:].mean().item())

    lstm = nb["make_lstm"](seed).to(device)
    train(lstm, seed=seed)
    a = accuracy(lstm)
    m["LSTM: accuracy, distances 0-4"], m["LSTM: accuracy, distances 50-99"] = a[:5].mean().item(), a[50:].mean().item()

    probe = nb["test_x"][nb["test_distance"] >= 50][:200].to(device)
    reach = {}
    for name, model in (("plain RNN", rnn), ("LSTM", lstm)):
        s = nb["gradient_by_distance"](lambda e, model=model: model.rnn(e)[0], model.embed(probe)).cpu()
        reach[name] = s[50:].mean().item() / s[0].item()
    m["gradient reach 50-99 steps back, LSTM / plain RNN"] = reach["LSTM"] / reach["plain RNN"]

    torch.manual_seed(seed)
    attention = nb["MemoryAttention"]().to(device)
    train(attention, batch_size=64, lr=3e-3, seed=seed)
    a = accuracy(attention)
    m["attention: accuracy, distances 0-9"], m["attention: accuracy, distances 50-99"] = (
        a[:10].mean().item(), a[50:].mean().item())
    with torch.no_grad():
        attention(nb["test_x"].to(device))
    on_key = attention.weights[torch.arange(2000), -1, L - 1 - nb["test_distance"]].cpu()
    per_letter = [on_key[nb["test_key"] == k].mean().item() for k in range(N_KEYS)]
    m["attention: weight of the last character on the key"] = on_key.mean().item()
    m["attention: letters that get over half the last character's attention"] = sum(w > 0.5 for w in per_letter)
    m["memory task: seconds (4 models)"] = time.perf_counter() - start

    # vanishing and exploding gradients in an untrained RNN: the recurrent weights drawn with this seed
    start = time.perf_counter()
    torch.manual_seed(seed)
    cell = nn.RNN(16, 32, batch_first=True)
    x_demo, h0 = torch.randn(5, L, 16), torch.zeros(5, 32)
    W = torch.randn(32, 32, generator=torch.Generator().manual_seed(seed)) / 32 ** 0.5
    for gain in (0.5, 3.0):
        grads = nb["gradient_by_distance"](
            lambda x, gain=gain: nb["rnn_forward"](x, h0, cell.weight_ih_l0, gain * W, cell.bias_ih_l0, cell.bias_hh_l0),
            x_demo)
        m[f"untrained RNN, gain {gain}: gradient 50 steps back / last step"] = (grads[50] / grads[0]).item()

    torch.manual_seed(seed)
    lm = nb["CharLSTM"]().to(device)
    samples = nb["train_lm"](lm, seed=seed)
    m["language model: held-out bits per character"] = nb["bits_per_character"](lm)
    freq = torch.bincount(nb["data"].train_ids, minlength=len(seq.ALPHABET)).float() / len(nb["data"].train_ids)
    m["letter frequencies alone: held-out bits per character"] = -(freq[nb["data"].test_ids].log2().mean().item())
    words = nb["real_word_share"]
    m["language model: real-word share before training"] = words(samples[0].removeprefix("the "))
    m["language model: real-word share after 300 steps"] = words(nb["generate"](lm, n=1000, seed=1).removeprefix("the "))
    m["language model: seconds"] = time.perf_counter() - start
    return m


#: The notebook's checked claims, as functions of one seed's measurements.
CLAIMS = {
    "MLP: key inside the window > 0.9": lambda m: m["MLP: accuracy, distances 0-9"] > 0.9,
    "MLP: key outside the window < 0.35": lambda m: m["MLP: accuracy, distances 10-99"] < 0.35,
    "plain RNN, distances 50-99 < 0.6": lambda m: m["plain RNN: accuracy, distances 50-99"] < 0.6,
    "LSTM, distances 50-99 > 0.9": lambda m: m["LSTM: accuracy, distances 50-99"] > 0.9,
    "gain 0.5: gradient 50 back < 1e-6 of the last": lambda m: (
        m["untrained RNN, gain 0.5: gradient 50 steps back / last step"] < 1e-6),
    "gain 3: gradient 50 back > the last": lambda m: m["untrained RNN, gain 3.0: gradient 50 steps back / last step"] > 1,
    "trained LSTM's gradient reach > 100 x the RNN's": lambda m: (
        m["gradient reach 50-99 steps back, LSTM / plain RNN"] > 100),
    "attention, distances 50-99 > 0.9": lambda m: m["attention: accuracy, distances 50-99"] > 0.9,
    "attention: over half on the key for >= 3 of 4 letters": lambda m: (
        m["attention: letters that get over half the last character's attention"] >= 3),
    "LM: >= 1.5 bits below letter frequencies": lambda m: (
        m["language model: held-out bits per character"]
        < m["letter frequencies alone: held-out bits per character"] - 1.5),
    "LM: real-word share before training < 0.1": lambda m: m["language model: real-word share before training"] < 0.1,
    "LM: real-word share after 300 steps > 0.35": lambda m: m["language model: real-word share after 300 steps"] > 0.35,
}


def notebook_seconds() -> list[float]:
    times = []
    for _ in range(RUNS):
        nb = nbformat.read(NOTEBOOK, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
        times.append(time.perf_counter() - start)
    return times


def run() -> list[dict]:
    torch.set_num_threads(1)
    nb = notebook_code()
    per_seed = [measure(nb, seed) for seed in SEEDS]
    where = f"seeds {SEEDS[0]}-{SEEDS[-1]} on {nb['device']}"
    rows = []
    for name in per_seed[0]:
        values = [m[name] for m in per_seed]
        rows.append({"benchmark": "sequences", "metric": name, "value": statistics.median(values), "unit": "",
                     "note": f"median over {where}; each seed: " + ", ".join(f"{v:.3g}" for v in values)})
    for claim, holds in CLAIMS.items():
        held = sum(bool(holds(m)) for m in per_seed)
        rows.append({"benchmark": "sequences", "metric": f"claim: {claim}", "value": held,
                     "unit": f"of {len(SEEDS)} seeds", "note": "a claim the notebook's checked cells make"})
    times = notebook_seconds()
    if times:
        rows.append({"benchmark": "sequences", "metric": "notebook 08 top to bottom", "value": statistics.median(times),
                     "unit": "s", "note": f"median of {RUNS}, fresh kernel; runs: " + ", ".join(f"{t:.1f}" for t in times)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['metric']:<60} {row['value']:10.4g} {row['unit']:<12} {row['note']}")
