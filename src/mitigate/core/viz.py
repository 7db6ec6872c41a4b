"""Image grids and matplotlib figures as PNG for a person to look at."""
from pathlib import Path

import numpy as np
from PIL import Image

from .fileio import atomic_path


def tile(cells: list[list[np.ndarray | None]], pad: int = 2, scale: int = 2) -> np.ndarray:
    """Rows of H x W x 3 uint8 images (None = empty cell) tiled on a gray background."""
    height, width = next(img for row in cells for img in row if img is not None).shape[:2]
    rows, cols = len(cells), max(len(row) for row in cells)
    canvas = np.full((rows * (height + pad) + pad, cols * (width + pad) + pad, 3), 96, dtype=np.uint8)
    for r, row in enumerate(cells):
        for c, img in enumerate(row):
            if img is not None:
                top, left = pad + r * (height + pad), pad + c * (width + pad)
                canvas[top : top + height, left : left + width] = img
    return canvas.repeat(scale, axis=0).repeat(scale, axis=1)


def figure(rows: int, cols: int, figsize: tuple[float, float]):
    """A matplotlib figure and its rows x cols axes (always 2-D), drawn off-screen."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt.subplots(rows, cols, figsize=figsize, squeeze=False)


def save_figure(path: str | Path, fig, title: str) -> None:
    """Title, lay out, write `fig` as PNG (atomically) and free it."""
    from matplotlib import pyplot as plt

    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=80)
    plt.close(fig)


def save_png(path: str | Path, image: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
