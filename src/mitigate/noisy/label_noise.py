"""Label noise with a known transition T_ij = p(noisy = j | true = i), drawn with exact counts.

symmetric: in each class exactly round(n_c * rate) samples (a seeded permutation picks them)
get another class, spread evenly over the other C - 1: T_ii = 1 - rate, T_ij = rate / (C - 1).
A flip never keeps the true class (DivideMix's symmetric noise may, so its real rate is
rate * (C - 1) / C); here the realised rate is the asked one up to rounding.
asymmetric: in each source class of the flip pairs (data.noise_pairs), exactly round(n_c * rate) samples
get the paired class; the other classes stay clean (Patrini et al. 2017).
"""
import numpy as np

from ..data.sampling import round_half_up, spread_evenly

# Class-pair flips (source -> noisy class), by the class set of data.noise_pairs:
# MNIST 2->7, 3->8, 5<->6, 7->1 and CIFAR-10 truck->automobile, bird->airplane, deer->horse,
# cat<->dog (Patrini et al. 2017; PROTOCOLS.md); Fashion-MNIST ankle boot->sneaker,
# sneaker->sandal, pullover->shirt, coat<->dress (Zhang & Sabuncu 2018, GCE, sec. 4).
ASYMMETRIC_FLIPS = {"mnist": {2: 7, 3: 8, 5: 6, 6: 5, 7: 1},
                    "fashion_mnist": {9: 7, 7: 5, 2: 6, 4: 3, 3: 4},
                    "cifar10": {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}}


def corrupt_labels(labels: np.ndarray, kind: str, rate: float, num_classes: int, flips: dict[int, int],
                   rng: np.random.Generator) -> np.ndarray:
    """The noisy labels of `labels` (a copy; see the module docstring)."""
    noisy = labels.copy()
    if kind == "none":
        return noisy
    for c in np.unique(labels):
        if kind == "asymmetric" and c not in flips:
            continue
        members = rng.permutation(np.flatnonzero(labels == c))
        flipped = members[: round_half_up(len(members) * rate)]
        if kind == "symmetric":
            others = np.array([k for k in range(num_classes) if k != c])
            noisy[flipped] = spread_evenly(len(flipped), others, rng)
        else:
            noisy[flipped] = flips[c]
    return noisy


def transition_matrix(true: np.ndarray, noisy: np.ndarray, num_classes: int) -> np.ndarray:
    """Realised T: row i is the distribution of noisy labels among samples of true class i (a
    class with no samples gets the identity row, so every row sums to 1)."""
    counts = np.zeros((num_classes, num_classes))
    np.add.at(counts, (true, noisy), 1)
    totals = counts.sum(1, keepdims=True)
    return np.where(totals > 0, counts / np.maximum(totals, 1), np.eye(num_classes))


def compare_transitions(learned: np.ndarray, true: np.ndarray) -> dict:
    """A learned transition matrix beside the realised one and how far apart they are."""
    difference = np.abs(learned - true)
    return {"mean_abs_difference": round(float(difference.mean()), 6), "max_abs_difference": round(float(difference.max()), 6),
            "learned": rounded(learned), "true": rounded(true)}


def rounded(matrix: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 6) for v in row] for row in matrix]


def transition_report(true: np.ndarray, noisy: np.ndarray, num_classes: int) -> list[list[float]]:
    """The realised transition matrix, rounded for a metrics file."""
    return rounded(transition_matrix(true, noisy, num_classes))
