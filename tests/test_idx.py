"""The idx source reads the four IDX files (plain or gz) of MNIST, Fashion-MNIST or KMNIST;
each bad file is a one-line error naming it."""
import dataclasses
import gzip
import re
import struct

import numpy as np
import pytest
from fixtures import write_idx
from imports import ROOT

from mitigate.core.config import Params
from mitigate.core.errors import UserError
from mitigate.data import idx
from mitigate.data.build import build_dataset
from mitigate.data.sources import idx_images, torchvision_digits

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"


def write_dataset(folder, train: int, test: int, gz: bool, rng=None) -> dict:
    """Random 28 x 28 images, labels cycling through 0..9; returns {prefix: (images, labels)}."""
    rng = rng or np.random.default_rng(0)
    written = {}
    for prefix, n in (("train", train), ("t10k", test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        write_idx(folder, prefix, images, labels, gz=gz)
        written[prefix] = (images, labels)
    return written


@pytest.mark.parametrize("gz", [False, True])
def test_reads_back_what_was_written(tmp_path, gz):
    written = write_dataset(tmp_path, train=30, test=20, gz=gz)
    pools = idx_images(tmp_path)
    for images, labels, (want_images, want_labels) in ((pools.pool_images, pools.pool_labels, written["train"]),
                                                       (pools.test_images, pools.test_labels, written["t10k"])):
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, want_images)
        np.testing.assert_array_equal(labels, want_labels)


def test_header_sizes_are_big_endian(tmp_path):
    """rows and cols differ, so a little-endian or transposed read would show."""
    images = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    write_idx(tmp_path, "train", images, np.array([4, 7]))
    read = idx.read_idx(tmp_path / TRAIN_IMAGES, idx.IMAGES_MAGIC)
    np.testing.assert_array_equal(read, images)
    assert (tmp_path / TRAIN_IMAGES).read_bytes()[:16].hex() == "00000803" "00000002" "00000003" "00000005"


def test_plain_file_is_preferred_over_gz(tmp_path):
    write_dataset(tmp_path, train=10, test=10, gz=True)
    write_dataset(tmp_path, train=20, test=10, gz=False)
    assert idx.existing(tmp_path, TRAIN_IMAGES) == tmp_path / TRAIN_IMAGES
    assert len(idx_images(tmp_path).pool_labels) == 20


def truncate(path):
    path.write_bytes(path.read_bytes()[:-100])


def truncate_gz(path):
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def relabel(path, labels):
    path.write_bytes(struct.pack(">II", 0x801, len(labels)) + bytes(labels))


@pytest.mark.parametrize("gz, name, damage, message", [
    (False, TRAIN_IMAGES, lambda p: p.unlink(), r"^{folder}: no train-images-idx3-ubyte \(plain or .gz\); the folder "
     r"must hold train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"),
    (False, TRAIN_IMAGES, lambda p: p.write_bytes((p.parent / TRAIN_LABELS).read_bytes()),
     r"^{path}: not an IDX image file \(magic 0x00000801, expected 0x00000803\)"),
    (False, TRAIN_LABELS, lambda p: p.write_bytes(b"\x1f\x8b"), r"^{path}: not an IDX label file \(too short\)"),
    (False, TRAIN_IMAGES, lambda p: p.write_bytes(p.read_bytes()[:10]), r"^{path}: IDX image file truncated in its header"),
    (False, TRAIN_IMAGES, truncate, r"^{path}: header says 30 x 28 x 28 = 23520 bytes of data, the file holds 23420"),
    (False, TRAIN_LABELS, lambda p: relabel(p, [0, 1] * 10),
     r"^{folder}/train-images-idx3-ubyte holds 30 images but {path} holds 20 labels; use the image and label files of one"),
    (False, TRAIN_LABELS, lambda p: relabel(p, [3] * 29 + [12]), r"^{path}: labels go up to 12, the idx source has one "
     r"bias attribute per class for classes 0..9"),
    (True, TRAIN_IMAGES + ".gz", truncate_gz, r"^{path}: cannot be read \(Compressed file ended"),
    (True, TRAIN_IMAGES + ".gz", lambda p: p.write_bytes(gzip.decompress(p.read_bytes())),
     r"^{path}: cannot be read \(Not a gzipped file"),
])
def test_bad_file_is_a_one_line_error_naming_it(tmp_path, gz, name, damage, message):
    write_dataset(tmp_path, train=30, test=10, gz=gz)
    damage(tmp_path / name)
    with pytest.raises(UserError) as caught:
        idx_images(tmp_path)
    text = str(caught.value)
    assert "\n" not in text
    assert re.match(message.format(folder=re.escape(str(tmp_path)), path=re.escape(str(tmp_path / name))), text), text


def test_images_other_than_28_px_are_refused(tmp_path):
    write_dataset(tmp_path, train=10, test=10, gz=False)
    write_idx(tmp_path, "t10k", np.zeros((10, 32, 32), np.uint8), np.arange(10))
    with pytest.raises(UserError, match=r"t10k-images-idx3-ubyte: images are 32 x 32, the idx source needs 28 x 28"):
        idx_images(tmp_path)


@pytest.mark.parametrize("gz", [False, True])
def test_synthesize_with_the_idx_source(tmp_path, gz):
    written = write_dataset(tmp_path, train=200, test=50, gz=gz)
    settings = dataclasses.replace(Params.load(ROOT / "params.yaml").data, dataset="colored_mnist", source="idx",
                                   root=str(tmp_path), aligned_ratio=0.9)
    splits = build_dataset(settings, seed=0)
    assert {name: len(split) for name, split in splits.items()} == {"train": 180, "valid": 20, "test": 50, "balanced": 180}
    assert splits["train"].images.shape == (180, 28, 28, 3)
    np.testing.assert_array_equal(splits["test"].table["label"], written["t10k"][1])
    train = splits["train"]
    gray = written["train"][0][train.table["source_index"].to_numpy()]
    assert (train.images[gray == 0] == 0).all()  # each image is its source image tinted


def test_torchvision_reads_gz_files_without_downloading(tmp_path, monkeypatch):
    written = write_dataset(tmp_path / "MNIST" / "raw", train=20, test=10, gz=True)

    def no_download(*args, **kwargs):
        raise AssertionError("downloaded although the files are there")

    monkeypatch.setattr("torchvision.datasets.MNIST", no_download)
    np.testing.assert_array_equal(torchvision_digits(tmp_path).pool_images, written["train"][0])


def test_torchvision_downloads_when_a_file_is_missing(tmp_path, monkeypatch):
    """torchvision's MNIST (here: a stand-in that writes the fixture) fetches the files, this reader reads them."""
    calls = []

    def fake_mnist(root, train, download):
        calls.append((root, train, download))
        write_dataset(root / "MNIST" / "raw", train=20, test=10, gz=False)

    monkeypatch.setattr("torchvision.datasets.MNIST", fake_mnist)
    write_dataset(tmp_path / "MNIST" / "raw", train=20, test=10, gz=True)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").unlink()
    assert len(torchvision_digits(tmp_path).test_labels) == 10
    assert calls == [(tmp_path, False, True)]


def test_torchvision_failed_download_is_a_one_line_error(tmp_path, monkeypatch):
    def no_network(root, train, download):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://...")

    monkeypatch.setattr("torchvision.datasets.MNIST", no_network)
    with pytest.raises(UserError, match=r"could not download MNIST into .*/MNIST/raw \(Error downloading") as caught:
        torchvision_digits(tmp_path)
    assert "\n" not in str(caught.value)
