"""The on-disk dataset format every stage reads and writes.

A dataset directory holds `info.json` (class counts, image shape) and one folder per split
(`train`, `valid`, `test`) with `images.npy` (uint8, N x H x W x C) and `samples.csv`: one row
per image with its position `index`, its training `label` (noisy when label noise is asked for),
its `true_label`, whether the two differ (`noisy`), its `bias` attribute, whether it is
bias-`aligned` (true label = bias attribute), and `source_index` (its row in the source the
image came from).
"""
import copy
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core.errors import InputError

SPLITS = ("train", "valid", "test")
COLUMNS = ("index", "label", "true_label", "noisy", "bias", "aligned", "source_index")


@dataclass
class Split:
    images: np.ndarray
    table: pd.DataFrame

    def __len__(self) -> int:
        return len(self.table)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "images.npy", self.images)
        self.table.to_csv(directory / "samples.csv", index=False)


def make_split(images: np.ndarray, labels: np.ndarray, bias: np.ndarray, source_index: np.ndarray,
               true_labels: np.ndarray | None = None) -> Split:
    """`labels` are the training labels; `true_labels` (default: the same) the clean ones."""
    true_labels = labels if true_labels is None else true_labels
    table = pd.DataFrame({
        "index": np.arange(len(labels)), "label": labels, "true_label": true_labels, "noisy": labels != true_labels,
        "bias": bias, "aligned": true_labels == bias, "source_index": source_index,
    })
    return Split(images, table)


def save_dataset(directory: Path, splits: dict[str, Split], num_classes: int, num_bias: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, split in splits.items():
        split.save(directory / name)
    height, width, channels = splits["train"].images.shape[1:]
    info = {"num_classes": num_classes, "num_bias": num_bias, "input_shape": [channels, height, width]}
    (directory / "info.json").write_text(json.dumps(info, indent=2) + "\n")


def _regenerate(path: Path) -> str:
    return f"regenerate it with `dvc repro` (stage synthesize writes {path.parent})"


def load_info(directory: str | Path) -> dict:
    path = Path(directory) / "info.json"
    if not path.exists():
        raise InputError(f"{path} is missing; {_regenerate(path)}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        raise InputError(f"{path} is corrupt; {_regenerate(path)}") from None


def has_split(directory: str | Path, name: str) -> bool:
    return (Path(directory) / name).is_dir()


def load_split(directory: str | Path, name: str) -> Split:
    folder = Path(directory) / name
    images_path, table_path = folder / "images.npy", folder / "samples.csv"
    for path in (images_path, table_path):
        if not path.exists():
            raise InputError(f"{path} is missing; {_regenerate(folder)}")
    try:
        images = np.load(images_path)
        table = pd.read_csv(table_path)
    except (ValueError, OSError, pd.errors.ParserError, EOFError) as error:
        raise InputError(f"{folder} is corrupt ({type(error).__name__}); {_regenerate(folder)}") from None
    if images.dtype != np.uint8 or images.ndim != 4 or len(images) != len(table) or not set(COLUMNS) <= set(table):
        raise InputError(f"{folder} is corrupt (images and samples.csv disagree); {_regenerate(folder)}")
    return Split(images, table)


@dataclass
class Batch:
    """What a training method sees: sample positions, images, (possibly noisy) labels, bias."""
    index: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    bias: torch.Tensor


def to_tensor_images(images: np.ndarray) -> torch.Tensor:
    """uint8 N x H x W x C -> float N x C x H x W in [0, 1]."""
    return as_float_images(to_pixel_tensor(images))


def to_pixel_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 N x H x W x C -> uint8 N x C x H x W, a view: memory stays channels-last, which the
    float batches made from it inherit."""
    return torch.from_numpy(images).permute(0, 3, 1, 2)


def as_float_images(pixels: torch.Tensor) -> torch.Tensor:
    """Stored uint8 pixels as float in [0, 1]; float images (a transformed copy) as they are."""
    return pixels.float().div_(255) if pixels.dtype == torch.uint8 else pixels


def to_uint8_images(images: torch.Tensor) -> np.ndarray:
    """float N x C x H x W in [0, 1] -> uint8 N x H x W x C (the stored format)."""
    return (images.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()


class TensorSplit:
    """A split held in memory on the compute device. Images stay uint8 there (a quarter of the
    memory of float) and become float in [0, 1] one batch at a time (`images`, `batches`)."""

    def __init__(self, split: Split, device: torch.device):
        self.pixels = to_pixel_tensor(split.images).to(device)
        self.y = torch.tensor(split.table["label"].to_numpy(), dtype=torch.long, device=device)
        self.true_y = torch.tensor(split.table["true_label"].to_numpy(), dtype=torch.long, device=device)
        self.bias = torch.tensor(split.table["bias"].to_numpy(), dtype=torch.long, device=device)
        self.aligned = torch.tensor(split.table["aligned"].to_numpy(), dtype=torch.bool, device=device)
        self.index = torch.arange(len(self.y), device=device)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def device(self) -> torch.device:
        return self.pixels.device

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """C x H x W."""
        return tuple(self.pixels.shape[1:])

    def images(self, index: torch.Tensor | slice = slice(None)) -> torch.Tensor:
        """The images at `index` (positions, a mask or a slice) as float in [0, 1]."""
        return as_float_images(self.pixels[index])

    def image_chunks(self, batch_size: int):
        """All images in order, `batch_size` at a time, as float (for inference)."""
        for start in range(0, len(self), batch_size):
            yield self.images(slice(start, start + batch_size))

    def with_images(self, images: torch.Tensor) -> "TensorSplit":
        """The same samples with other images (e.g. a transformed copy, uint8 or float)."""
        other = copy.copy(self)
        other.pixels = images
        return other

    def subset(self, keep: torch.Tensor) -> "TensorSplit":
        """The samples selected by a boolean mask or an index tensor, re-indexed from 0."""
        other = copy.copy(self)
        for name in ("pixels", "y", "true_y", "bias", "aligned"):
            setattr(other, name, getattr(self, name)[keep.to(self.device)])
        other.index = torch.arange(len(other.y), device=self.device)
        return other

    def batch(self, index: torch.Tensor) -> Batch:
        return Batch(self.index[index], self.images(index), self.y[index], self.bias[index])

    def batches(self, batch_size: int, generator: torch.Generator | None = None, weights: torch.Tensor | None = None):
        """One epoch of batches: every sample once in a fresh random order drawn from `generator`
        (in order without one), or, given per-sample `weights`, len(self) samples drawn with
        replacement with probability proportional to them."""
        n = len(self)
        if weights is not None:
            order = torch.multinomial(weights.cpu().double(), n, replacement=True, generator=generator)
        else:
            order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
        order = order.to(self.device)
        for start in range(0, n, batch_size):
            yield self.batch(order[start : start + batch_size])
