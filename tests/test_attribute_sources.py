"""Real datasets with target and bias labels: the bFFHQ folder layout and the CSV manifest."""
import shutil

import numpy as np
import pytest
from fixtures import random_pixels, write_attribute_folders, write_manifest, write_png
from PIL import Image
from tiny import rejected_key

from mitigate.core.config import DataSettings
from mitigate.core.errors import UserError
from mitigate.data.attribute_sources import attribute_folders, attribute_manifest
from mitigate.data.build import build_dataset

# bFFHQ-like: target = age, bias = gender; aligned when the two agree
LABELS = {
    "align": [(0, 0), (0, 0), (1, 1), (1, 1), (1, 1)],
    "conflict": [(0, 1), (1, 0)],
    "valid": [(0, 0), (1, 0), (1, 1)],
    "test": [(0, 1), (1, 0), (0, 0), (1, 1)],
}


def resized(pixels: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(pixels).resize((size, size), Image.Resampling.BILINEAR))


def assert_one_line_error(call, message: str) -> None:
    with pytest.raises(UserError, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


# --- folders --------------------------------------------------------------------------------

@pytest.fixture
def bffhq(tmp_path):
    return tmp_path, write_attribute_folders(tmp_path, LABELS, np.random.default_rng(0))


def test_folders_read_the_bffhq_layout(bffhq):
    root, written = bffhq
    data = attribute_folders(root, image_size=6)
    assert (data.num_classes, data.num_bias) == (2, 2)
    assert {name: len(split) for name, split in data.splits.items()} == {"train": 7, "valid": 3, "test": 4}
    for split in data.splits.values():
        assert split.images.dtype == np.uint8 and split.images.shape == (len(split), 6, 6, 3)
        assert split.targets.dtype == np.int64 and split.bias.dtype == np.int64
        assert split.paths == sorted(split.paths)
        for i, path in enumerate(split.paths):
            target, bias = (int(part) for part in path.removesuffix(".png").split("_")[-2:])
            assert (split.targets[i], split.bias[i]) == (target, bias)
            np.testing.assert_array_equal(split.images[i], resized(written[path], 6))
    train = data.splits["train"]
    # train = align + conflict, align first
    assert train.paths == sorted(p for p in written if p.startswith("0.5pct/align/")) + \
        sorted(p for p in written if p.startswith("0.5pct/conflict/"))
    assert train.paths[0] == "0.5pct/align/0/0_0_0.png"
    assert data.splits["valid"].paths == ["valid/7_0_0.png", "valid/8_1_0.png", "valid/9_1_1.png"]
    assert (train.targets == train.bias).sum() == 5  # the aligned ones
    # the test split is kept whole (conflicting and aligned)
    assert data.splits["test"].targets.tolist() == [0, 1, 0, 1] and data.splits["test"].bias.tolist() == [1, 0, 0, 1]


def test_folders_keep_pixels_at_their_size(tmp_path):
    written = write_attribute_folders(tmp_path, LABELS, np.random.default_rng(1), size=(8, 8))
    data = attribute_folders(tmp_path, image_size=8)
    for split in data.splits.values():
        for path, image in zip(split.paths, split.images):
            np.testing.assert_array_equal(image, written[path])


def test_resizing_is_bilinear_and_antialiased(tmp_path):
    """A 1-pixel checkerboard halved in size averages to gray (up to edge effects), where a
    filter without antialiasing would keep black and white pixels."""
    write_attribute_folders(tmp_path, LABELS, np.random.default_rng(0), size=(8, 8))
    checkerboard = np.repeat(((np.indices((8, 8)).sum(0) % 2) * 255).astype(np.uint8)[..., None], 3, axis=2)
    write_png(tmp_path / "0.5pct/align/0/0_0_0.png", checkerboard)
    image = attribute_folders(tmp_path, image_size=4).splits["train"].images[0]
    assert np.abs(image.astype(int) - 128).max() <= 5


def test_folders_are_read_deterministically(bffhq):
    root, _ = bffhq
    first, second = attribute_folders(root, 6), attribute_folders(root, 6)
    for name in ("train", "valid", "test"):
        a, b = first.splits[name], second.splits[name]
        assert a.paths == b.paths and a.images.tobytes() == b.images.tobytes()
        assert a.targets.tolist() == b.targets.tolist() and a.bias.tolist() == b.bias.tolist()


def test_folders_skip_hidden_and_non_image_files(bffhq):
    root, _ = bffhq
    (root / "0.5pct/align/0/.DS_Store").write_bytes(b"\0\0")
    (root / "0.5pct/align/0/._0_0_0.png").write_bytes(b"mac resource fork")
    (root / "valid/README.txt").write_text("not an image")
    write_png(root / "valid/.ipynb_checkpoints/7_0_0-checkpoint.png", np.zeros((4, 4, 3), np.uint8))
    data = attribute_folders(root, 6)
    assert len(data.splits["train"]) == 7 and len(data.splits["valid"]) == 3


def test_train_folder_found_or_named(tmp_path):
    """Colored MNIST / Corrupted CIFAR-10 copies: several `<pct>` folders, each with its valid/."""
    for pct, seed in (("1pct", 0), ("5pct", 1)):
        scratch = tmp_path / "scratch" / pct
        write_attribute_folders(scratch, LABELS, np.random.default_rng(seed), train_folder=pct)
        (scratch / "valid").rename(scratch / pct / "valid")
        (scratch / pct).rename(tmp_path / pct)
    (scratch / "test").rename(tmp_path / "test")
    shutil.rmtree(tmp_path / "scratch")
    assert_one_line_error(lambda: attribute_folders(tmp_path, 6), r"several folders .* \(1pct, 5pct\); set train_folder")
    data = attribute_folders(tmp_path, 6, train_folder="5pct")
    assert data.splits["train"].paths[0].startswith("5pct/align/")
    assert data.splits["valid"].paths[0].startswith("5pct/valid/")
    assert data.splits["test"].paths[0].startswith("test/")
    assert_one_line_error(lambda: attribute_folders(tmp_path, 6, train_folder="2pct"), "2pct lacks align/ and conflict/")


def test_align_and_conflict_directly_under_root(tmp_path):
    write_attribute_folders(tmp_path, LABELS, np.random.default_rng(0), train_folder=".")
    data = attribute_folders(tmp_path, 6)
    assert data.splits["train"].paths[0] == "align/0/0_0_0.png" and len(data.splits["train"]) == 7


@pytest.mark.parametrize("damage,message", [
    (lambda root: root.rename(root.with_name("elsewhere")), "dataset folder .* does not exist"),
    (lambda root: (root / "0.5pct/conflict").rename(root / "0.5pct/conflicting"), "no align/ and conflict/ folders in"),
    (lambda root: (root / "test").rename(root / "testing"), "no test/ folder in"),
    (lambda root: (root / "0.5pct/valid").mkdir(), "both .*0.5pct/valid and .*valid exist; keep only one valid/"),
    (lambda root: (root / "valid/7_0_0.png").rename(root / "valid/7_0.png"),
     r"7_0.png: name does not match <idx>_<target>_<bias>.png"),
    (lambda root: (root / "valid/7_0_0.png").rename(root / "valid/7_a_0.png"), "7_a_0.png: name does not match"),
    (lambda root: [p.unlink() for p in (root / "test").iterdir()], "the test split is empty: no images in .*test"),
    (lambda root: (root / "valid/8_1_0.png").write_bytes(b"not a png"), r"8_1_0.png: cannot read the image"),
    (lambda root: (root / "valid/8_1_0.png").write_bytes((root / "valid/8_1_0.png").read_bytes()[:60]),
     r"8_1_0.png: cannot read the image"),
    (lambda root: write_png(root / "test/99_2_0.png", np.zeros((4, 4, 3), np.uint8)),
     r"test/99_2_0.png \(test\): target 2 / bias 0 outside the train split's 0..1 / 0..1"),
])
def test_folder_errors_are_one_line_user_errors(bffhq, damage, message):
    root, _ = bffhq
    damage(root)
    assert_one_line_error(lambda: attribute_folders(root, 6), message)


# --- manifest -------------------------------------------------------------------------------

ROWS = [("test", 1, 0), ("train", 0, 0), ("train", 1, 1), ("valid", 1, 0), ("train", 0, 1), ("test", 0, 1),
        ("valid", 0, 0), ("train", 2, 2)]


@pytest.fixture
def manifest(tmp_path):
    return tmp_path / "manifest.csv", write_manifest(tmp_path, ROWS, np.random.default_rng(0))


def test_manifest_reads_splits_sorted_by_path(manifest):
    csv_path, written = manifest
    data = attribute_manifest(csv_path, image_size=5)
    assert (data.num_classes, data.num_bias) == (3, 3)
    assert {name: len(split) for name, split in data.splits.items()} == {"train": 4, "valid": 2, "test": 2}
    train = data.splits["train"]
    assert train.paths == ["images/train/001.png", "images/train/002.png", "images/train/004.png", "images/train/007.png"]
    assert train.targets.tolist() == [0, 1, 0, 2] and train.bias.tolist() == [0, 1, 1, 2]
    assert data.splits["test"].targets.tolist() == [1, 0] and data.splits["test"].bias.tolist() == [0, 1]
    for split in data.splits.values():
        assert split.images.dtype == np.uint8 and split.images.shape == (len(split), 5, 5, 3)
        assert split.targets.dtype == np.int64 and split.bias.dtype == np.int64
        for path, image in zip(split.paths, split.images):
            np.testing.assert_array_equal(image, resized(written[path], 5))


def test_manifest_order_does_not_depend_on_row_order(manifest):
    csv_path, _ = manifest
    first = attribute_manifest(csv_path, 5)
    lines = csv_path.read_text().splitlines()
    csv_path.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    second = attribute_manifest(csv_path, 5)
    for name in ("train", "valid", "test"):
        assert first.splits[name].paths == second.splits[name].paths
        assert first.splits[name].images.tobytes() == second.splits[name].images.tobytes()


def test_manifest_absolute_paths_gray_images_and_extra_columns(tmp_path):
    gray = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    Image.fromarray(gray).save(tmp_path / "gray.png")
    rgb = random_pixels(np.random.default_rng(0), (4, 4))
    (tmp_path / "sub").mkdir()
    write_png(tmp_path / "sub" / "rgb.png", rgb)
    csv_path = tmp_path / "sub" / "list.csv"
    csv_path.write_text(f"split,path,bias,target,note\ntrain,{tmp_path / 'gray.png'},1,0,x\n"
                        f"train,rgb.png,0,1,x\nvalid,rgb.png,0,1,y\ntest,rgb.png, 1 , 1 ,z\n")
    data = attribute_manifest(csv_path, 4)
    assert data.splits["train"].paths == [str(tmp_path / "gray.png"), "rgb.png"]
    np.testing.assert_array_equal(data.splits["train"].images[0], np.repeat(gray[..., None], 3, axis=2))
    np.testing.assert_array_equal(data.splits["valid"].images[0], rgb)
    assert data.splits["test"].targets.tolist() == [1] and data.splits["test"].bias.tolist() == [1]


ROW_3 = r"manifest.csv row 3 \(after the header\)"  # images/train/002.png


def rewrite(csv_path, old: str, new: str) -> None:
    text = csv_path.read_text()
    assert old in text
    csv_path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("damage,message", [
    (lambda csv: csv.unlink(), "manifest .*manifest.csv does not exist; write a CSV with columns path, target, bias, split"),
    (lambda csv: csv.write_text(""), "manifest.csv is not a readable CSV"),
    (lambda csv: rewrite(csv, "path,target,bias,split", "file,target,group,split"), "lacks column\\(s\\) path, bias"),
    (lambda csv: rewrite(csv, ",valid", ",val"),
     r"manifest.csv row 4 \(after the header\): unknown split 'val'; use one of train, valid, test"),
    (lambda csv: rewrite(csv, "images/train/002.png", "images/train/missing.png"),
     ROW_3 + r": image .*images/train/missing.png does not exist; fix its path"),
    (lambda csv: rewrite(csv, "images/train/002.png,1,", "images/train/002.png,1.0,"), ROW_3 + r": target '1.0' is not"),
    (lambda csv: rewrite(csv, "images/train/002.png,1,1", "images/train/002.png,1,-1"), ROW_3 + r": bias '-1' is not"),
    (lambda csv: rewrite(csv, "images/train/002.png,1,1", "images/train/002.png,1,"), ROW_3 + r": bias '' is not"),
    (lambda csv: rewrite(csv, "images/train/002.png,1,1", "images/train/002.png,one,1"), ROW_3 + r": target 'one'"),
    (lambda csv: csv.write_text("\n".join(line for line in csv.read_text().splitlines() if ",valid" not in line) + "\n"),
     r"the valid split is empty: no images in .*manifest.csv \(rows with split valid\)"),
    (lambda csv: (csv.parent / "images/test/000.png").write_bytes(b"garbage"), r"000.png: cannot read the image"),
    (lambda csv: rewrite(csv, "images/test/005.png,0,1", "images/test/005.png,0,3"),
     r"images/test/005.png \(test\): target 0 / bias 3 outside the train split's 0..2 / 0..2"),
])
def test_manifest_errors_are_one_line_user_errors(manifest, damage, message):
    csv_path, _ = manifest
    damage(csv_path)
    assert_one_line_error(lambda: attribute_manifest(csv_path, 5), message)


# --- through synthesize ---------------------------------------------------------------------

def attribute_settings(root, **changes) -> DataSettings:
    values = dict(dataset="attributes", source="folders", root=str(root), aligned_ratio=0.99, severity=4,
                  corruption_type=0, image_size=16, train_folder="", valid_fraction=0.1, test_size=1000,
                  label_noise="none", noise_rate=0.0, noise_pairs="mnist")
    return DataSettings(**{**values, **changes})


def test_synthesize_keeps_an_attribute_datasets_own_splits(bffhq):
    root, _ = bffhq
    splits = build_dataset(attribute_settings(root), seed=0)
    assert {name: len(split) for name, split in splits.items()} == {"train": 7, "valid": 3, "test": 4}
    train = splits["train"].table
    assert train["aligned"].sum() == 5 and not train["noisy"].any()
    assert train["path"].str.contains("/align/").sum() == 5 and splits["train"].images.shape == (7, 16, 16, 3)
    assert list(splits["test"].table["aligned"]) == [target == bias for target, bias in LABELS["test"]]


def test_symmetric_noise_on_an_attribute_dataset_leaves_test_clean(bffhq):
    root, _ = bffhq
    splits = build_dataset(attribute_settings(root, label_noise="symmetric", noise_rate=0.5), seed=0)
    train = splits["train"].table
    assert train["noisy"].sum() == 4  # per class, round half up: 3 x 0.5 -> 2 of class 0, 4 x 0.5 -> 2 of class 1
    assert not splits["test"].table["noisy"].any()
    assert rejected_key(DataSettings, attribute_settings(root, label_noise="asymmetric", noise_rate=0.4)) == "label_noise"
