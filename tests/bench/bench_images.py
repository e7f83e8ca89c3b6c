"""Images per second for one epoch: cached uint8 tensors vs ImageFolder decoding JPEGs with PIL.

Data: the first photo folder (``course_utils.photos.photo_folders``: $CATS_DOGS_DIR's first, else the shipped sample).
Both pipelines give the same 64×64 normalised float batches of 32 to a DataLoader (no workers).
"""

from __future__ import annotations

import statistics
import tempfile
import time

import torch
from torchvision import datasets
from torchvision.transforms import v2

from course_utils.images import TensorImageDataset, cached_image_folder
from course_utils.photos import photo_folders
from course_utils.training import make_loader

SIZE, BATCH, RUNS = 64, 32, 3


def images_per_second(loader) -> float:
    times = []
    for _ in range(RUNS):
        start, n = time.perf_counter(), 0
        for X, _ in loader:
            n += len(X)
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def run() -> list[dict]:
    root = photo_folders()[0]
    normalise = [v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.25] * 3)]
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        cached = cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        cached_image_folder(root, SIZE, cache_dir=cache, progress=False)
        load_s = time.perf_counter() - start
    fast = make_loader(
        TensorImageDataset(cached.images, cached.labels, v2.Compose(normalise)), BATCH
    )
    slow = make_loader(
        datasets.ImageFolder(
            root,
            v2.Compose(
                [v2.PILToTensor(), v2.Resize(SIZE, antialias=True), v2.CenterCrop(SIZE), *normalise]
            ),
        ),
        BATCH,
    )
    fast_ips, slow_ips = images_per_second(fast), images_per_second(slow)
    note = f"{len(cached.images)} images from {root.name}, {SIZE}px, batch {BATCH}, CPU, median of {RUNS} epochs"
    return [
        {
            "benchmark": "images",
            "metric": "cached tensors",
            "value": fast_ips,
            "unit": "images/s",
            "note": note,
        },
        {
            "benchmark": "images",
            "metric": "ImageFolder + PIL",
            "value": slow_ips,
            "unit": "images/s",
            "note": note,
        },
        {
            "benchmark": "images",
            "metric": "cache speed-up",
            "value": fast_ips / slow_ips,
            "unit": "×",
            "note": "cached images/s ÷ ImageFolder images/s",
        },
        {
            "benchmark": "images",
            "metric": "cache build (decode once)",
            "value": build_s,
            "unit": "s",
            "note": note,
        },
        {"benchmark": "images", "metric": "cache load", "value": load_s, "unit": "s", "note": note},
    ]
