"""Real datasets labelled with a target and a bias attribute (bFFHQ, BAR, a user's own), read
from the folder layout of the public bFFHQ copies or from a CSV manifest; nothing is synthesized.

Folder layout (that of the DFA authors' bFFHQ / Colored MNIST / Corrupted CIFAR-10 copies):

    <root>/<train_folder>/align/**/<idx>_<target>_<bias>.<ext>     train (bias-aligned)
    <root>/<train_folder>/conflict/**/<idx>_<target>_<bias>.<ext>  train (bias-conflicting)
    <root>/valid/**/...  or  <root>/<train_folder>/valid/**/...
    <root>/test/**/...   or  <root>/<train_folder>/test/**/...

`train_folder` names the subfolder (e.g. `0.5pct`) that holds `align` and `conflict`; left out,
it is the one folder among `<root>` and its subfolders that holds both. Images are found
recursively (class subfolders or none); hidden files and folders and files that are not images
are skipped.

Manifest: a CSV with columns `path, target, bias, split` (split one of train / valid / test);
paths are absolute or relative to the CSV's folder.

Every image is converted to RGB and resized to `image_size` x `image_size` (aspect ratio not
kept) with Pillow's bilinear filter, which is antialiased when downscaling (as torchvision's
`Resize` on PIL images, used by the DFA code). Rows are sorted by path within a split. The test
split is kept whole; its bias-conflicting part is the rows whose target differs from the bias.
"""
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from ..core.errors import InputError, first_line
from .dataset import SPLITS

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
FILE_NAME = re.compile(r"(?P<idx>.+)_(?P<target>\d+)_(?P<bias>\d+)")  # parsed from the right
MANIFEST_COLUMNS = ("path", "target", "bias", "split")


@dataclass
class LabeledImages:
    """One split: uint8 images (N x S x S x 3), int64 targets and bias attributes, and each
    image's path (relative to the root folder, or as written in the manifest)."""
    images: np.ndarray
    targets: np.ndarray
    bias: np.ndarray
    paths: list[str]

    def __len__(self) -> int:
        return len(self.paths)


@dataclass
class AttributeDataset:
    """The train / valid / test splits and the class and bias-attribute counts (max + 1 over train)."""
    splits: dict[str, LabeledImages]
    num_classes: int
    num_bias: int


@dataclass
class _Row:
    shown: str  # the path reported to the user and stored in LabeledImages.paths
    file: Path
    target: int
    bias: int


def attribute_folders(root: str | Path, image_size: int, train_folder: str | None = None) -> AttributeDataset:
    """The splits of a dataset in the bFFHQ folder layout (see the module docstring)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"dataset folder {root} does not exist; set the data root to the folder holding the dataset")
    train_dir = _train_dir(root, train_folder)
    folders = {
        "train": [train_dir / "align", train_dir / "conflict"],
        "valid": [_split_dir(root, train_dir, "valid")],
        "test": [_split_dir(root, train_dir, "test")],
    }
    rows = {name: [_file_row(root, file) for folder in dirs for file in _image_files(folder)]
            for name, dirs in folders.items()}
    return _load(rows, image_size, {name: " and ".join(map(str, dirs)) for name, dirs in folders.items()})


def attribute_manifest(csv_path: str | Path, image_size: int) -> AttributeDataset:
    """The splits listed in a CSV manifest with columns path, target, bias, split."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise InputError(f"manifest {csv_path} does not exist; write a CSV with columns {', '.join(MANIFEST_COLUMNS)}")
    try:
        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"{csv_path} is not a readable CSV ({first_line(error)}); "
                         f"write it with columns {', '.join(MANIFEST_COLUMNS)}") from None
    missing = [column for column in MANIFEST_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(f"{csv_path} lacks column(s) {', '.join(missing)}; it needs {', '.join(MANIFEST_COLUMNS)}")
    rows = {name: [] for name in SPLITS}
    for number, record in enumerate(table.to_dict("records"), start=1):
        where = f"{csv_path} row {number} (after the header)"
        split = record["split"].strip()
        if split not in rows:
            raise InputError(f"{where}: unknown split {split!r}; use one of {', '.join(SPLITS)}")
        file = csv_path.parent / record["path"]  # an absolute path replaces the folder
        if not file.is_file():
            raise InputError(f"{where}: image {file} does not exist; fix its path "
                             f"(absolute or relative to {csv_path.parent})")
        rows[split].append(_Row(record["path"], file, _label(record["target"], "target", where),
                                _label(record["bias"], "bias", where)))
    return _load(rows, image_size, {name: f"{csv_path} (rows with split {name})" for name in SPLITS})


def _train_dir(root: Path, train_folder: str | None) -> Path:
    """The folder holding `align` and `conflict`: `<root>/<train_folder>`, or the only such
    folder among `root` and its subfolders."""
    def holds_train(folder: Path) -> bool:
        return (folder / "align").is_dir() and (folder / "conflict").is_dir()

    if train_folder is not None:
        if not holds_train(root / train_folder):
            raise InputError(f"{root / train_folder} lacks align/ and conflict/ folders; set train_folder to the "
                             f"subfolder of {root} that holds them (e.g. 0.5pct)")
        return root / train_folder
    found = [folder for folder in [root, *sorted(root.iterdir())] if folder.is_dir() and holds_train(folder)]
    if not found:
        raise InputError(f"no align/ and conflict/ folders in {root} or its subfolders; "
                         f"lay the training images out as {root}/<train_folder>/align and .../conflict")
    if len(found) > 1:
        names = ", ".join(str(folder.relative_to(root)) for folder in found)
        raise InputError(f"several folders in {root} hold align/ and conflict/ ({names}); set train_folder to one of them")
    return found[0]


def _split_dir(root: Path, train_dir: Path, name: str) -> Path:
    """`<train_dir>/<name>` (Colored MNIST, Corrupted CIFAR-10 copies) or `<root>/<name>` (bFFHQ)."""
    found = list(dict.fromkeys(folder / name for folder in (train_dir, root) if (folder / name).is_dir()))
    if not found:
        raise InputError(f"no {name}/ folder in {train_dir} or {root}; put the {name} images in {root / name}")
    if len(found) > 1:
        raise InputError(f"both {found[0]} and {found[1]} exist; keep only one {name}/ folder")
    return found[0]


def _image_files(folder: Path) -> list[Path]:
    """Image files anywhere under `folder`, outside hidden files and folders (.DS_Store, ._x.png)."""
    return [file for file in folder.rglob("*")
            if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES
            and not any(part.startswith(".") for part in file.relative_to(folder).parts)]


def _file_row(root: Path, file: Path) -> _Row:
    match = FILE_NAME.fullmatch(file.stem)
    if match is None:
        raise InputError(f"{file}: name does not match <idx>_<target>_<bias>{file.suffix} with integer "
                         f"target and bias; rename it or move it out of {root}")
    return _Row(file.relative_to(root).as_posix(), file, int(match["target"]), int(match["bias"]))


def _label(value: str, column: str, where: str) -> int:
    if not value.strip().isdecimal():
        raise InputError(f"{where}: {column} {value!r} is not a non-negative integer; write the {column} "
                         f"as an integer index (0, 1, ...)")
    return int(value)


def _load(rows: dict[str, list[_Row]], image_size: int, origins: dict[str, str]) -> AttributeDataset:
    """Sort each split by path, read its images, and count classes and bias attributes over train;
    `origins` says where each split's rows come from."""
    for name, split_rows in rows.items():
        if not split_rows:
            raise InputError(f"the {name} split is empty: no images in {origins[name]}; add its images")
        split_rows.sort(key=lambda row: row.shown)
    num_classes = 1 + max(row.target for row in rows["train"])
    num_bias = 1 + max(row.bias for row in rows["train"])
    for name in ("valid", "test"):
        for row in rows[name]:
            if row.target >= num_classes or row.bias >= num_bias:
                raise InputError(f"{row.shown} ({name}): target {row.target} / bias {row.bias} outside the train "
                                 f"split's 0..{num_classes - 1} / 0..{num_bias - 1}; every class and bias value "
                                 f"must occur in train")
    splits = {name: _labeled_images(split_rows, image_size) for name, split_rows in rows.items()}
    return AttributeDataset(splits, num_classes, num_bias)


def _labeled_images(rows: list[_Row], image_size: int) -> LabeledImages:
    images = np.empty((len(rows), image_size, image_size, 3), dtype=np.uint8)
    for i, row in enumerate(rows):
        images[i] = _read_image(row.file, image_size)
    return LabeledImages(images, np.array([row.target for row in rows], dtype=np.int64),
                         np.array([row.bias for row in rows], dtype=np.int64), [row.shown for row in rows])


def _read_image(file: Path, image_size: int) -> np.ndarray:
    try:
        with Image.open(file) as image:
            rgb = image.convert("RGB")
    # Pillow reports unknown formats and truncated files as OSError, some broken chunks otherwise
    except (OSError, SyntaxError, ValueError) as error:
        reason = first_line(error)
        raise InputError(f"{file}: cannot read the image ({reason}); replace or remove it") from None
    return np.asarray(rgb.resize((image_size, image_size), Image.Resampling.BILINEAR))
