"""Build the dataset (train / valid with the bias, the test set) from the settings.

Colored MNIST and Corrupted CIFAR-10 are synthesized as in LfF (Nam et al. 2020): a stratified
valid split is held out of the training pool, each class c gets bias attribute c on exactly
round(n_c x aligned_ratio) samples (colors or corruptions), and the test set is unbiased (every
attribute equally frequent within each class). Corrupted MNIST is Corrupted CIFAR-10's recipe on
Colored MNIST's images (digits, or Fashion-MNIST from IDX files): one dataset's images under two
bias attributes. A fourth split, `balanced`, holds the training
images again with their attribute drawn as in the test set: the bias-free data the swap judges
learn from (`biaswap.judges`), never a method's training set. Attribute datasets (bFFHQ, BAR,
a user's own) come with their own splits, targets and bias labels, and no `balanced` split. Label noise, when asked for, is applied to
train and valid last; the bias follows the true label (it is a property of the image).
"""
import os
from pathlib import Path

import numpy as np

from ..core.config import DataSettings
from ..core.runtime import derive_seed, numpy_rng
from ..noisy.label_noise import ASYMMETRIC_FLIPS, corrupt_labels
from . import colored_mnist, corruptions
from .attribute_sources import attribute_folders, attribute_manifest
from .dataset import Split, make_split
from .sampling import assign_balanced_attributes, assign_biased_attributes, stratified_subset
from .sources import ImagePools, embedded_digits, idx_images, torchvision_cifar10, torchvision_digits

NUM_CLASSES = 10  # of the synthesized datasets (digits, CIFAR-10 classes)
NUM_BIAS = 10  # colors, or corruptions of one type


def build_dataset(settings: DataSettings, seed: int) -> dict[str, Split]:
    if settings.dataset == "attributes":
        return attribute_splits(settings, seed)
    pools = image_pools(settings, seed)
    labels = pools.pool_labels
    valid_size = max(1, round(len(labels) * settings.valid_fraction))
    valid_idx = stratified_subset(labels, valid_size, numpy_rng(seed, "data/valid_subset"))
    train_idx = np.setdiff1d(np.arange(len(labels)), valid_idx)

    def biased_split(idx: np.ndarray, purpose: str) -> Split:
        split_labels = labels[idx]
        # the seed purpose keeps its Colored MNIST name ("colors"), so those datasets stay byte-identical
        bias = assign_biased_attributes(split_labels, settings.aligned_ratio, NUM_BIAS,
                                        numpy_rng(seed, f"data/{purpose}/colors"))
        images = apply_bias(settings, pools.pool_images[idx], bias, seed, purpose)
        return make_split(images, noisy_labels(settings, split_labels, NUM_CLASSES, seed, purpose), bias, idx,
                          true_labels=split_labels)

    def balanced_split(images: np.ndarray, split_labels: np.ndarray, idx: np.ndarray, purpose: str) -> Split:
        bias = assign_balanced_attributes(split_labels, NUM_BIAS, numpy_rng(seed, f"data/{purpose}/colors"))
        return make_split(apply_bias(settings, images, bias, seed, purpose), split_labels, bias, idx)

    return {
        "train": biased_split(train_idx, "train"),
        "valid": biased_split(valid_idx, "valid"),
        "test": balanced_split(pools.test_images, pools.test_labels, np.arange(len(pools.test_labels)), "test"),
        "balanced": balanced_split(pools.pool_images[train_idx], labels[train_idx], train_idx, "balanced"),
    }


def image_pools(settings: DataSettings, seed: int) -> ImagePools:
    if settings.dataset == "corrupted_cifar10":
        return torchvision_cifar10(settings.root)
    if settings.source == "embedded":
        return embedded_digits(settings.test_size, numpy_rng(seed, "data/test_subset"))
    if settings.source == "idx":
        return idx_images(settings.root)
    return torchvision_digits(settings.root)


def apply_bias(settings: DataSettings, images: np.ndarray, bias: np.ndarray, seed: int, purpose: str) -> np.ndarray:
    """The images carrying their bias attribute: colored digits, or corrupted digits or CIFAR images."""
    if settings.dataset == "colored_mnist":
        return colored_mnist.colorize(images, bias, colored_mnist.COLOR_STD[settings.severity],
                                      numpy_rng(seed, f"data/{purpose}/tint"))
    if images.ndim == 3:  # gray digits: corrupted in RGB, as the corruptions (snow, saturate, ...) expect
        images = np.repeat(images[..., None], 3, axis=-1)
    names = np.array(corruptions.TYPES[settings.corruption_type])[bias]
    return corruptions.corrupt_images(images, names, settings.severity, derive_seed(seed, f"data/{purpose}/corrupt"),
                                      workers=os.cpu_count() or 1)


def noisy_labels(settings: DataSettings, labels: np.ndarray, num_classes: int, seed: int, purpose: str) -> np.ndarray:
    return corrupt_labels(labels, settings.label_noise, settings.noise_rate, num_classes,
                          ASYMMETRIC_FLIPS[settings.noise_pairs], numpy_rng(seed, f"data/{purpose}/label_noise"))


def attribute_splits(settings: DataSettings, seed: int) -> dict[str, Split]:
    """A real dataset's own splits; `path` records each image's file."""
    dataset = (attribute_folders(settings.root, settings.image_size, settings.train_folder or None)
               if settings.source == "folders" else attribute_manifest(Path(settings.root), settings.image_size))
    splits = {}
    for name, part in dataset.splits.items():
        labels = part.targets if name == "test" else noisy_labels(settings, part.targets, dataset.num_classes, seed, name)
        split = make_split(part.images, labels, part.bias, np.arange(len(part)), true_labels=part.targets)
        split.table["path"] = part.paths
        splits[name] = split
    return splits


def split_counts(split: Split) -> dict:
    aligned = int(split.table["aligned"].sum())
    noisy = int(split.table["noisy"].sum())
    return {"samples": len(split), "aligned": aligned, "conflicting": len(split) - aligned,
            "noisy_labels": noisy, "noise_rate": round(noisy / len(split), 6)}
