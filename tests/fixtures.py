"""Tiny raw datasets written in the real on-disk formats: MNIST's IDX files, CIFAR-10's pickled
batches, image folders in the bFFHQ layout, and a CSV manifest."""
import csv
import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from mitigate.data.sources import ImagePools


def write_idx(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray, gz: bool = False) -> None:
    """`<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` (with .gz when `gz`):
    big-endian magic 0x803 / 0x801 and sizes, then the uint8 data (LeCun's MNIST page)."""
    n, rows, cols = images.shape
    files = {f"{prefix}-images-idx3-ubyte": struct.pack(">IIII", 0x803, n, rows, cols) + images.astype(np.uint8).tobytes(),
             f"{prefix}-labels-idx1-ubyte": struct.pack(">II", 0x801, len(labels)) + labels.astype(np.uint8).tobytes()}
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_cifar10_batches(root: Path, per_class_train: int, per_class_test: int,
                          rng: np.random.Generator) -> ImagePools:
    """`<root>/cifar-10-batches-py` with random images, shuffled over the classes: the train
    images spread over `data_batch_1..5`, the test ones in `test_batch`, and `batches.meta`,
    pickled as the official files are (dicts with "data" uint8 N x 3072 in CHW order and
    "labels"). Returns what was written, as N x 32 x 32 x 3 images."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    train = _random_cifar(per_class_train, rng)
    test = _random_cifar(per_class_test, rng)
    names = [f"data_batch_{i}" for i in range(1, 6)]
    for name, part in zip(names, np.array_split(np.arange(len(train[1])), 5)):
        _pickle_batch(folder / name, train[0][part], train[1][part], name)
    _pickle_batch(folder / "test_batch", *test, "test_batch")
    meta = {"num_cases_per_batch": int(np.ceil(len(train[1]) / 5)), "label_names": CIFAR10_CLASSES, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    return ImagePools(*train, *test)


def _random_cifar(per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.permutation(np.repeat(np.arange(10), per_class)).astype(np.int64)
    return rng.integers(0, 256, size=(len(labels), 32, 32, 3), dtype=np.uint8), labels


def _pickle_batch(path: Path, images: np.ndarray, labels: np.ndarray, name: str) -> None:
    batch = {
        "batch_label": name,
        "labels": labels.tolist(),
        "data": images.transpose(0, 3, 1, 2).reshape(len(images), -1),
        "filenames": [f"image_{i}.png" for i in range(len(images))],
    }
    path.write_bytes(pickle.dumps(batch))


def write_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def random_pixels(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """An RGB uint8 image of `size` (height, width)."""
    return rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)


def write_attribute_folders(root: Path, labels: dict[str, list[tuple[int, int]]], rng: np.random.Generator,
                            size: tuple[int, int] = (10, 8), train_folder: str = "0.5pct") -> dict[str, np.ndarray]:
    """PNGs named `<idx>_<target>_<bias>.png` in the bFFHQ layout: `align` and `conflict` (one
    subfolder per target) under `<root>/<train_folder>`, `valid` and `test` (flat) under `root`.
    `labels` maps those four folder names to (target, bias) pairs; `size` is (height, width).
    Returns each image's pixels by its path relative to `root`."""
    written = {}
    idx = 0
    for folder, pairs in labels.items():
        in_train = folder in ("align", "conflict")
        for target, bias in pairs:
            name = f"{idx}_{target}_{bias}.png"
            relative = (Path(train_folder, folder, str(target), name) if in_train else Path(folder, name)).as_posix()
            written[relative] = random_pixels(rng, size)
            write_png(Path(root) / relative, written[relative])
            idx += 1
    return written


def write_manifest(root: Path, rows: list[tuple[str, int, int]], rng: np.random.Generator,
                   size: tuple[int, int] = (10, 8)) -> dict[str, np.ndarray]:
    """`<root>/manifest.csv` listing one PNG per (split, target, bias) row, stored under
    `<root>/images/` and named by its row; returns each image's pixels by its path in the CSV."""
    written = {}
    with open(Path(root) / "manifest.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "target", "bias", "split"])
        for i, (split, target, bias) in enumerate(rows):
            relative = f"images/{split}/{i:03d}.png"
            written[relative] = random_pixels(rng, size)
            write_png(Path(root) / relative, written[relative])
            writer.writerow([relative, target, bias, split])
    return written
