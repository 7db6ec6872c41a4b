"""Exact-count, seeded index sampling shared by the dataset builders."""
import numpy as np


def round_half_up(x: float) -> int:
    """Python's round() rounds half to even; counts in the papers round half up."""
    return int(np.floor(x + 0.5))


def spread_evenly(n: int, choices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`n` values from `choices`, each used n // k times; the n % k extra uses go to distinct
    choices drawn at random. Returned in random order."""
    choices = np.asarray(choices)
    k = len(choices)
    values = np.concatenate([np.tile(choices, n // k), rng.choice(choices, n % k, replace=False)])
    return rng.permutation(values)


def stratified_subset(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of `size` samples, each class represented in proportion to its frequency
    (largest-remainder rounding, so the total is exactly `size`)."""
    classes, counts = np.unique(labels, return_counts=True)
    if not 0 < size < len(labels):
        raise ValueError(f"subset size {size} must be between 1 and {len(labels) - 1}")
    quotas = counts * size / len(labels)
    take = np.floor(quotas).astype(int)
    by_remainder = np.argsort(-(quotas - take), kind="stable")
    take[by_remainder[: size - take.sum()]] += 1
    chosen = [rng.choice(np.flatnonzero(labels == c), t, replace=False) for c, t in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


def assign_biased_attributes(labels: np.ndarray, aligned_ratio: float, num_attributes: int,
                             rng: np.random.Generator) -> np.ndarray:
    """LfF's biased assignment: per class c, exactly round(n_c * aligned_ratio) samples (chosen by a
    seeded permutation) take attribute c; the rest are spread evenly over the other attributes."""
    attributes = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_aligned = round_half_up(len(members) * aligned_ratio)
        attributes[members[:n_aligned]] = c
        others = np.array([k for k in range(num_attributes) if k != c])
        attributes[members[n_aligned:]] = spread_evenly(len(members) - n_aligned, others, rng)
    return attributes


def assign_balanced_attributes(labels: np.ndarray, num_attributes: int, rng: np.random.Generator) -> np.ndarray:
    """The unbiased test set: within each class every attribute is equally frequent."""
    attributes = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        attributes[members] = spread_evenly(len(members), np.arange(num_attributes), rng)
    return attributes
