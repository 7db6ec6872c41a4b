"""BiaSwap's augmentation: bias-aligned images (content) take the style of bias-conflicting ones,
as the split stage assigned them; each swap keeps its content image's label and takes its style
image's bias attribute."""
from typing import Literal

import numpy as np
import torch

from ..core.config import Positive, portion, settings
from ..core.errors import ConfigError, InputError
from ..data.dataset import TensorSplit, to_uint8_images
from .autoencoder import SAMPLINGS


@settings
class AugmentSettings:
    swapae: Literal[SAMPLINGS]  # which train_swapae@<sampling> autoencoder makes the swaps
    swap_fraction: Positive  # swaps added, as a fraction of the training set's size


def swap_count(swap_fraction: float, train_size: int) -> int:
    """The number of swaps: `swap_fraction` of the `train_size` training images, rounded; a
    ConfigError when that is none."""
    count = portion(swap_fraction, train_size)
    if count == 0:
        raise ConfigError("augment.swap_fraction", f"{swap_fraction} of {train_size} training images is 0 swaps; raise it")
    return count


def swap_partners(conflicting: np.ndarray, num_swaps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Content: predicted bias-aligned samples (each once while they last); style: predicted
    bias-conflicting samples, drawn with replacement (they are few)."""
    aligned, conflicts = np.flatnonzero(~conflicting), np.flatnonzero(conflicting)
    if len(aligned) == 0 or len(conflicts) == 0:
        raise InputError(f"the split marked {len(conflicts)} of {len(conflicting)} training samples bias-conflicting; "
                         f"a swap needs both kinds: change split.threshold and rerun `dvc repro`")
    content = rng.choice(aligned, num_swaps, replace=num_swaps > len(aligned))
    style = rng.choice(conflicts, num_swaps, replace=True)
    return content, style


@torch.no_grad()
def make_swaps(autoencoder, data: TensorSplit, content: np.ndarray, style: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """uint8 N x H x W x C: image content[i] of `data` with the style of image style[i]."""
    out = []
    for start in range(0, len(content), batch_size):
        c, s = content[start : start + batch_size], style[start : start + batch_size]
        out.append(to_uint8_images(autoencoder.swap(data.images(c), data.images(s))))
    return np.concatenate(out)
