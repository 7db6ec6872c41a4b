"""Build the biased dataset (train / valid with the bias, unbiased test) from the settings."""
import numpy as np

from ..config import DataSettings
from ..runtime import numpy_rng
from . import colored_mnist
from .dataset import Split, make_split
from .label_noise import ASYMMETRIC_FLIPS, corrupt_labels
from .sampling import stratified_subset
from .sources import embedded_digits, torchvision_digits

NUM_CLASSES = 10
NUM_BIAS = len(colored_mnist.PALETTE)


def synthesize(settings: DataSettings, seed: int) -> dict[str, Split]:
    if settings.source == "embedded":
        digits = embedded_digits(settings.test_size, numpy_rng(seed, "data/test_subset"))
    else:
        digits = torchvision_digits(settings.root)
    labels = digits.pool_labels
    valid_size = max(1, round(len(labels) * settings.valid_fraction))
    valid_idx = stratified_subset(labels, valid_size, numpy_rng(seed, "data/valid_subset"))
    train_idx = np.setdiff1d(np.arange(len(labels)), valid_idx)
    std = colored_mnist.COLOR_STD[settings.severity]

    def biased_split(idx: np.ndarray, purpose: str) -> Split:
        """Colors follow the true labels (the bias is a property of the image); then the labels
        get their noise."""
        split_labels = labels[idx]
        colors = colored_mnist.assign_biased_colors(split_labels, settings.aligned_ratio, numpy_rng(seed, f"data/{purpose}/colors"))
        images = colored_mnist.colorize(digits.pool_images[idx], colors, std, numpy_rng(seed, f"data/{purpose}/tint"))
        noisy = corrupt_labels(split_labels, settings.label_noise, settings.noise_rate, NUM_CLASSES,
                               ASYMMETRIC_FLIPS[settings.dataset], numpy_rng(seed, f"data/{purpose}/label_noise"))
        return make_split(images, noisy, colors, idx, true_labels=split_labels)

    test_colors = colored_mnist.assign_balanced_colors(digits.test_labels, numpy_rng(seed, "data/test/colors"))
    test_images = colored_mnist.colorize(digits.test_images, test_colors, std, numpy_rng(seed, "data/test/tint"))
    return {
        "train": biased_split(train_idx, "train"),
        "valid": biased_split(valid_idx, "valid"),
        "test": make_split(test_images, digits.test_labels, test_colors, np.arange(len(test_colors))),
    }


def split_counts(split: Split) -> dict:
    aligned = int(split.table["aligned"].sum())
    noisy = int(split.table["noisy"].sum())
    return {"samples": len(split), "aligned": aligned, "conflicting": len(split) - aligned,
            "noisy_labels": noisy, "noise_rate": round(noisy / len(split), 6)}
