"""BiaSwap's swaps on disk: the augment stage stores them alone (no copy of the training images),
and train@biaswap reads the training split followed by them."""
import numpy as np
import pandas as pd

from ..core import paths
from ..core.errors import InputError
from .dataset import Split, load_split


def swap_split(train: Split, swaps: np.ndarray, content: np.ndarray, style: np.ndarray) -> Split:
    """The swaps as the augment stage stores them (without the training images): each keeps its
    content image's label and takes its style image's bias attribute; `content_index` and
    `style_index` are positions in the training split, and `index` continues after it."""
    source = train.table
    labels, bias = source["label"].to_numpy()[content], source["bias"].to_numpy()[style]
    true_labels = source["true_label"].to_numpy()[content]
    table = pd.DataFrame({
        "index": len(source) + np.arange(len(content)), "label": labels, "true_label": true_labels,
        "noisy": labels != true_labels, "bias": bias, "aligned": true_labels == bias,
        "source_index": source["source_index"].to_numpy()[content], "swapped": True,
        "content_index": content, "style_index": style,
    })
    return Split(swaps, table)


def with_swaps(train: Split, swaps: Split) -> Split:
    """BiaSwap's training set: the training split followed by its swaps; `swapped` says which is
    which (`content_index` and `style_index` are -1 for an original)."""
    if len(swaps) and not (swaps.table["content_index"].max() < len(train) and swaps.table["index"].min() == len(train)):
        raise InputError("the stored swaps were made from another training split; regenerate them with `dvc repro augment`")
    originals = train.table.assign(swapped=False, content_index=-1, style_index=-1)
    return Split(np.concatenate([train.images, swaps.images]), pd.concat([originals, swaps.table], ignore_index=True))


def training_set_folders(training_set: str) -> list[str]:
    """The stored folders `load_training_split` reads for `training_set`."""
    return [paths.DATASET, *([paths.AUGMENTED] if training_set == "augmented" else [])]


def load_training_split(training_set: str) -> Split:
    """`dataset`: the training split; `augmented`: it followed by the stored swaps; `clean`: it
    with its true labels (what a model would learn without label noise: the noisy track's ceiling)."""
    train = load_split(paths.DATASET, "train")
    if training_set == "augmented":
        return with_swaps(train, load_split(paths.AUGMENTED, paths.SWAPS_SPLIT))
    if training_set == "clean":
        return Split(train.images, train.table.assign(label=train.table["true_label"], noisy=False))
    return train
