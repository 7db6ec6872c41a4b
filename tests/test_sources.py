"""The CIFAR-10 source reads the real `cifar-10-batches-py` pickles, never downloading next to them."""
import pickle

import numpy as np
import pytest
from fixtures import write_cifar10_batches

from mitigate.core.errors import UserError
from mitigate.data.sources import torchvision_cifar10

BATCH_FILES = ["batches.meta", "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
               "test_batch"]


@pytest.fixture
def cifar_root(tmp_path):
    written = write_cifar10_batches(tmp_path, per_class_train=3, per_class_test=2, rng=np.random.default_rng(0))
    return tmp_path, written


def test_cifar10_reads_the_batches(cifar_root):
    root, written = cifar_root
    pools = torchvision_cifar10(root)
    assert pools.pool_images.shape == (30, 32, 32, 3) and pools.test_images.shape == (20, 32, 32, 3)
    for name in ("pool_images", "pool_labels", "test_images", "test_labels"):
        got, want = getattr(pools, name), getattr(written, name)
        assert got.dtype == (np.uint8 if name.endswith("images") else np.int64)
        np.testing.assert_array_equal(got, want)
    assert sorted(np.bincount(pools.pool_labels)) == [3] * 10
    assert sorted(p.name for p in (root / "cifar-10-batches-py").iterdir()) == BATCH_FILES
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-batches-py"]  # nothing downloaded


def test_cifar10_rows_are_channel_planes(tmp_path):
    """A row of "data" is the 1024 red, then green, then blue values, each plane row-major."""
    write_cifar10_batches(tmp_path, 1, 1, np.random.default_rng(0))
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    batch = pickle.loads(path.read_bytes())
    data = np.zeros_like(batch["data"])
    data[0, 5] = 10  # red, row 0, column 5
    data[0, 1024 + 32 * 2 + 7] = 20  # green, row 2, column 7
    data[0, 2048 + 32 * 31] = 30  # blue, row 31, column 0
    path.write_bytes(pickle.dumps({**batch, "data": data}))
    image = torchvision_cifar10(tmp_path).test_images[0]
    assert image[0, 5].tolist() == [10, 0, 0] and image[2, 7].tolist() == [0, 20, 0]
    assert image[31, 0].tolist() == [0, 0, 30] and int(image.sum()) == 60


def test_cifar10_reads_bytes_keys(cifar_root):
    root, written = cifar_root
    path = root / "cifar-10-batches-py" / "test_batch"
    batch = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps({key.encode(): value for key, value in batch.items()}))
    np.testing.assert_array_equal(torchvision_cifar10(root).test_labels, written.test_labels)


@pytest.mark.parametrize("damage,message", [
    (lambda path: path.unlink(), "data_batch_3 is missing"),
    (lambda path: path.write_bytes(path.read_bytes()[:500]), "data_batch_3 is not a CIFAR-10 batch file"),
    (lambda path: path.write_bytes(b"garbage"), "data_batch_3 is not a CIFAR-10 batch file"),
    (lambda path: path.write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8)})), "data_batch_3 is not"),
    (lambda path: path.write_bytes(pickle.dumps({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]})),
     "data_batch_3 does not hold uint8 N x 3072"),
])
def test_cifar10_damaged_folder_is_a_one_line_user_error(cifar_root, damage, message):
    root, _ = cifar_root
    damage(root / "cifar-10-batches-py" / "data_batch_3")
    with pytest.raises(UserError, match=message) as caught:
        torchvision_cifar10(root)
    assert "\n" not in str(caught.value) and "to download CIFAR-10 again" in str(caught.value)


def test_cifar10_missing_folder_downloads_with_torchvision(tmp_path, monkeypatch):
    """Without the folder the archive is fetched (here: a stand-in that writes the fixture)."""
    calls = []

    def fake_download(url, root, filename, md5):
        calls.append((url, filename, md5))
        write_cifar10_batches(root, 1, 1, np.random.default_rng(0))

    monkeypatch.setattr("torchvision.datasets.utils.download_and_extract_archive", fake_download)
    assert len(torchvision_cifar10(tmp_path / "raw").pool_labels) == 10
    assert calls == [("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "cifar-10-python.tar.gz",
                      "c58f30108f718f92721af3b95e74349a")]


def test_cifar10_failed_download_is_a_user_error(tmp_path, monkeypatch):
    def no_network(url, root, filename, md5):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>\nmore")

    monkeypatch.setattr("torchvision.datasets.utils.download_and_extract_archive", no_network)
    with pytest.raises(UserError, match="could not download CIFAR-10 into .*cifar-10-batches-py") as caught:
        torchvision_cifar10(tmp_path)
    assert "\n" not in str(caught.value)
