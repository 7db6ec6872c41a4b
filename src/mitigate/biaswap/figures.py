"""Figures of the swapping autoencoder for a person to look at."""
import numpy as np
import torch

from ..core.viz import save_png, tile
from ..data.dataset import TensorSplit, to_uint8_images
from .cam import sample_centers

GRID = 8


def to_uint8(images: torch.Tensor) -> list[np.ndarray]:
    return list(to_uint8_images(images))


def first_of_each_bias(data: TensorSplit, aligned: bool, count: int) -> torch.Tensor:
    """Up to `count` images with distinct bias attributes, bias-aligned or not."""
    picked, seen = [], set()
    for i in torch.nonzero(data.aligned == aligned).flatten().tolist():
        b = int(data.bias[i])
        if b not in seen:
            picked.append(i)
            seen.add(b)
        if len(picked) == count:
            break
    return torch.tensor(picked, dtype=torch.long)


@torch.no_grad()
def swap_grid(path: str, autoencoder, data: TensorSplit) -> None:
    """Top row: style images (bias-conflicting where there are any); left column: content images
    (bias-aligned); cell (i, j): content i with the style of image j."""
    content = data.images(first_of_each_bias(data, True, GRID))
    style_index = first_of_each_bias(data, False, GRID)
    if len(style_index) < GRID:
        style_index = first_of_each_bias(data, True, GRID).roll(1)
    style = data.images(style_index)
    rows = [[None, *to_uint8(style)]]
    for image in content:
        swaps = autoencoder.swap(image.expand(len(style), -1, -1, -1), style)
        rows.append([to_uint8(image[None])[0], *to_uint8(swaps)])
    save_png(path, tile(rows))


def heat(distribution: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A probability map (N x h x w) as red-yellow images at `size`, scaled per image."""
    scaled = distribution / distribution.flatten(1).amax(1)[:, None, None]
    big = torch.nn.functional.interpolate(scaled[:, None], size=size, mode="nearest")
    return torch.cat([big, big.pow(2), torch.zeros_like(big)], dim=1)


@torch.no_grad()
def patch_figure(path: str, trainer, data: TensorSplit) -> None:
    """Rows: one bias-aligned training image per bias attribute; the patch-center distribution;
    16 sampled centers marked in white."""
    images = data.images(first_of_each_bias(data, True, GRID))
    distribution = trainer.centers(images)
    generator = torch.Generator().manual_seed(0)
    centers = sample_centers(distribution, images.shape[-2:], 16, generator)
    marked = images.clone()
    for n in range(len(images)):
        marked[n, :, centers[n, :, 0], centers[n, :, 1]] = 1.0
    save_png(path, tile([to_uint8(images), to_uint8(heat(distribution, images.shape[-2:])), to_uint8(marked)], scale=4))
