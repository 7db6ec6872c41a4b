"""Tiny random datasets for fast CPU tests."""
import numpy as np
import torch

from mitigate.data.dataset import Split, TensorSplit, make_split

INPUT_SHAPE = (3, 28, 28)
NUM_CLASSES = 10


def tiny_split(n: int = 64, seed: int = 0) -> Split:
    """`n` random 28 x 28 RGB uint8 images with random labels and bias attributes in 0..9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28, 3), dtype=np.uint8)
    labels = rng.integers(0, NUM_CLASSES, size=n)
    bias = np.where(rng.random(n) < 0.8, labels, rng.integers(0, NUM_CLASSES, size=n))
    return make_split(images, labels, bias, np.arange(n))


def tiny_tensor_split(n: int = 64, seed: int = 0) -> TensorSplit:
    return TensorSplit(tiny_split(n, seed), torch.device("cpu"))
