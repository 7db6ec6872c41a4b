"""Label noise: exact counts, the realised transition matrix, and how synthesize applies it."""
import dataclasses

import numpy as np
import pytest
from tiny import rejected_key

from mitigate.core.config import DataSettings
from mitigate.noisy.label_noise import ASYMMETRIC_FLIPS, corrupt_labels, transition_matrix, transition_report

C = 10
LABELS = np.repeat(np.arange(C), 90)  # 90 samples per class
FLIPS = ASYMMETRIC_FLIPS["mnist"]


def corrupt(kind, rate, seed=0, labels=LABELS):
    return corrupt_labels(labels, kind, rate, C, FLIPS, np.random.default_rng(seed))


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_symmetric_noise_flips_the_asked_fraction_of_every_class_to_other_classes_evenly(rate):
    noisy = corrupt("symmetric", rate)
    T = transition_matrix(LABELS, noisy, C)
    np.testing.assert_allclose(T.sum(1), 1)
    assert (noisy != LABELS).mean() == pytest.approx(round(90 * rate) / 90)
    assert transition_report(LABELS, noisy, C) == [[round(float(v), 6) for v in row] for row in T]
    np.testing.assert_allclose(np.diag(T), 1 - round(90 * rate) / 90)
    off = T[~np.eye(C, dtype=bool)].reshape(C, C - 1) * 90  # counts of each wrong label per class
    assert (off.max(1) - off.min(1) <= 1).all()  # spread evenly over the other 9 classes
    np.testing.assert_allclose(T, np.where(np.eye(C, dtype=bool), 1 - rate, rate / (C - 1)), atol=1 / 90)


def test_asymmetric_noise_flips_only_the_pairs():
    noisy = corrupt("asymmetric", 0.4)
    T = transition_matrix(LABELS, noisy, C)
    np.testing.assert_allclose(T.sum(1), 1)
    for source, target in FLIPS.items():
        assert T[source, target] == pytest.approx(36 / 90) and T[source, source] == pytest.approx(54 / 90)
    for clean in set(range(C)) - set(FLIPS):
        assert T[clean, clean] == 1
    assert (noisy != LABELS).sum() == 36 * len(FLIPS)


def test_no_noise_and_determinism():
    assert np.array_equal(corrupt("none", 0.0), LABELS)
    assert np.array_equal(corrupt("symmetric", 0.3, seed=1), corrupt("symmetric", 0.3, seed=1))
    assert not np.array_equal(corrupt("symmetric", 0.3, seed=1), corrupt("symmetric", 0.3, seed=2))


def test_transition_rows_of_absent_classes_are_identity():
    T = transition_matrix(np.array([0, 0, 1]), np.array([1, 0, 1]), 3)
    np.testing.assert_allclose(T, [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]])


def test_noise_settings_are_checked():
    base = DataSettings(dataset="colored_mnist", source="embedded", root="x", aligned_ratio=0.99, severity=4, corruption_type=0,
                        image_size=64, train_folder="", valid_fraction=0.1, test_size=1000, label_noise="symmetric", noise_rate=0.5,
                        noise_pairs="mnist")
    assert rejected_key(DataSettings, base) is None
    fields = dataclasses.asdict(base)
    assert rejected_key(DataSettings, fields | {"noise_rate": 0.0}) == "noise_rate"
    assert rejected_key(DataSettings, fields | {"noise_rate": 1.0}) == "noise_rate"
    assert rejected_key(DataSettings, fields | {"label_noise": "none"}) == "noise_rate"
    assert rejected_key(DataSettings, fields | {"label_noise": "pairs"}) == "label_noise"


def test_asymmetric_pairs_must_fit_the_images():
    base = DataSettings(dataset="colored_mnist", source="embedded", root="x", aligned_ratio=0.99, severity=4, corruption_type=0,
                        image_size=64, train_folder="", valid_fraction=0.1, test_size=1000, label_noise="asymmetric", noise_rate=0.4,
                        noise_pairs="mnist")
    fields = dataclasses.asdict(base)
    assert rejected_key(DataSettings, fields) is None
    assert rejected_key(DataSettings, fields | {"noise_pairs": "fashion_mnist"}) == "noise_pairs"  # the embedded digits are MNIST
    assert rejected_key(DataSettings, fields | {"source": "idx", "noise_pairs": "fashion_mnist"}) is None
    assert rejected_key(DataSettings, fields | {"source": "idx", "noise_pairs": "cifar10"}) == "noise_pairs"
    assert rejected_key(DataSettings, fields | {"dataset": "corrupted_cifar10", "source": "torchvision"}) == "noise_pairs"
    assert rejected_key(DataSettings, fields | {"noise_pairs": "kmnist"}) == "noise_pairs"
    assert rejected_key(DataSettings, fields | {"label_noise": "symmetric", "noise_pairs": "cifar10"}) is None  # unused


def test_every_pair_set_flips_ten_classes_to_other_classes():
    for name, flips in ASYMMETRIC_FLIPS.items():
        assert set(flips) | set(flips.values()) <= set(range(C)), name
        assert all(source != target for source, target in flips.items()), name
