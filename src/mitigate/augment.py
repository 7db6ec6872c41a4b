"""BiaSwap's augmentation: bias-aligned images (content) take the style of bias-conflicting ones,
as the split stage assigned them; each swap keeps its content image's label and takes its style
image's bias attribute."""
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .config import Problems, choice, portion, positive
from .data.dataset import Split, to_uint8_images
from .errors import ConfigError, InputError
from .models.swapae import SAMPLINGS


@dataclass(frozen=True)
class AugmentSettings:
    swapae: str  # which train_swapae@<sampling> autoencoder makes the swaps
    swap_fraction: float  # swaps added, as a fraction of the training set's size

    def problems(self) -> Problems:
        yield from choice(self.swapae, "swapae", SAMPLINGS)
        yield from positive(self, "swap_fraction")


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
def make_swaps(autoencoder, x: torch.Tensor, content: np.ndarray, style: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """uint8 N x H x W x C swapped images."""
    out = []
    for start in range(0, len(content), batch_size):
        c = torch.from_numpy(content[start : start + batch_size]).to(x.device)
        s = torch.from_numpy(style[start : start + batch_size]).to(x.device)
        swaps = autoencoder.swap(x[c], x[s])
        out.append(to_uint8_images(swaps))
    return np.concatenate(out)


def augmented_split(train: Split, swaps: np.ndarray, content: np.ndarray, style: np.ndarray) -> Split:
    """The training split followed by the swaps; `swapped`, `content_index` and `style_index`
    (positions in the training split, -1 for an original) say which is which."""
    source = train.table
    originals = source.assign(swapped=False, content_index=-1, style_index=-1)
    labels, bias = source["label"].to_numpy()[content], source["bias"].to_numpy()[style]
    true_labels = source["true_label"].to_numpy()[content]
    added = pd.DataFrame({
        "index": len(source) + np.arange(len(content)), "label": labels, "true_label": true_labels,
        "noisy": labels != true_labels, "bias": bias, "aligned": true_labels == bias,
        "source_index": source["source_index"].to_numpy()[content], "swapped": True,
        "content_index": content, "style_index": style,
    })
    return Split(np.concatenate([train.images, swaps]), pd.concat([originals, added], ignore_index=True))
