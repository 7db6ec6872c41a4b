"""Figures of the data: the training samples per class (bias-aligned, then bias-conflicting),
and one image under every Corrupted CIFAR-10 corruption at severities 1-5, as a labelled PNG
table (one block per corruption type, a row per corruption, a column per severity)."""
from pathlib import Path

import numpy as np

from ..core.viz import figure, save_figure, tile
from .corruptions import SEVERITIES, TYPES, corrupt_images
from .dataset import Split

PAD, SCALE = 2, 2  # the tile() defaults


SAMPLES_PER_KIND = 6


def sample_grid(split: Split, num_classes: int) -> np.ndarray:
    """One row per class: up to 6 bias-aligned, then up to 6 bias-conflicting training images."""
    rows = []
    for c in range(num_classes):
        of_class = split.table["label"] == c
        cells = []
        for aligned in (True, False):
            idx = split.table.index[of_class & (split.table["aligned"] == aligned)][:SAMPLES_PER_KIND]
            cells += [split.images[i] for i in idx] + [None] * (SAMPLES_PER_KIND - len(idx))
        rows.append(cells)
    return tile(rows)


def example_photo(size: int = 32) -> np.ndarray:
    """A real photo (a cat, shipped inside scikit-image) at CIFAR-10's size, uint8 size x size x 3."""
    import cv2
    from skimage import data

    return cv2.resize(data.chelsea(), (size, size), interpolation=cv2.INTER_AREA)


def corruption_grid(image: np.ndarray, seed: int) -> dict[int, list[list[np.ndarray]]]:
    """Per type, a row per corruption (TYPES order) of `image` at severities 1..5; row r is
    corrupt_images' image r for `seed`."""
    columns = {kind: [corrupt_images(np.stack([image] * len(names)), names, severity, seed, workers=1,
                                     progress=False) for severity in SEVERITIES]
               for kind, names in TYPES.items()}
    return {kind: [list(row) for row in zip(*cols)] for kind, cols in columns.items()}


def draw_corruption_table(image: np.ndarray, seed: int, path: str | Path) -> None:
    """Write the table of `image` (uint8 H x W x 3) as a PNG at `path`."""
    grid = corruption_grid(image, seed)
    height, width = image.shape[:2]
    fig, axes = figure(1, len(grid), (4.2 * len(grid), 7.0))
    for ax, (kind, rows) in zip(axes[0], grid.items()):
        ax.imshow(tile(rows, pad=PAD, scale=SCALE), interpolation="nearest")
        ax.set_title(f"type {kind}", fontsize=10)
        ax.set_xticks([SCALE * (PAD + (width + PAD) * c + width / 2) for c in range(len(SEVERITIES))],
                      [str(s) for s in SEVERITIES])
        ax.set_yticks([SCALE * (PAD + (height + PAD) * r + height / 2) for r in range(len(rows))],
                      [name.replace("_", " ") for name in TYPES[kind]])
        ax.set_xlabel("severity")
        ax.tick_params(length=0, labelsize=8)
    save_figure(path, fig, f"Corrupted CIFAR-10 corruptions (Hendrycks & Dietterich 2019), seed {seed}")
