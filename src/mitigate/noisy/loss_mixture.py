"""Clean / noisy division of training samples by their losses: a two-component Gaussian mixture
on min-max normalised per-sample losses (DivideMix, Li et al. 2020, sec. 3.1); the posterior of
the component with the smaller mean is each sample's probability of being clean. A variant
keeps the clean component fixed where reference losses put it (the split_noise stage)."""
import numpy as np

VARIANCE_FLOOR = 5e-4  # DivideMix's reg_covar


def clean_probability(losses: np.ndarray, seed: int = 0) -> np.ndarray:
    """p(clean | loss) per sample, with DivideMix's GMM settings (max_iter 10, tol 1e-2,
    reg_covar 5e-4)."""
    from sklearn.mixture import GaussianMixture

    losses = np.asarray(losses, dtype=np.float64)
    span = losses.max() - losses.min()
    if span <= 0:  # all losses equal: nothing to divide
        return np.ones_like(losses)
    normalised = ((losses - losses.min()) / span)[:, None]
    gmm = GaussianMixture(n_components=2, max_iter=10, tol=1e-2, reg_covar=VARIANCE_FLOOR, random_state=seed).fit(normalised)
    return gmm.predict_proba(normalised)[:, gmm.means_.argmin()]


def clean_probability_from_clean_mode(losses: np.ndarray, reference: np.ndarray, seed: int = 0,
                                      iterations: int = 10) -> np.ndarray:
    """p(clean | loss) per sample from a two-component GMM whose clean component is known: the
    lower mode of a GMM fitted to `reference` losses, kept fixed. EM fits only the mixing weights
    (from 1/2) and the noisy component (from the reference's upper mode), for DivideMix's 10
    iterations with its variance floor; both sets are min-max normalised by the reference's
    range. The noisy component is free because where wrong labels fall depends on how they were
    made (a random class or a look-alike one)."""
    from sklearn.mixture import GaussianMixture

    reference = np.asarray(reference, dtype=np.float64)
    low, span = reference.min(), reference.max() - reference.min()
    if span <= 0:  # all losses equal: nothing to divide
        return np.ones(len(losses))
    modes = GaussianMixture(n_components=2, reg_covar=VARIANCE_FLOOR, random_state=seed).fit(((reference - low) / span)[:, None])
    order = np.argsort(modes.means_.ravel())
    means, variances = modes.means_.ravel()[order], modes.covariances_.ravel()[order]  # [clean, noisy]
    weights = np.array([0.5, 0.5])
    x = (np.asarray(losses, dtype=np.float64) - low) / span
    for _ in range(iterations):
        posterior = _posterior(x, weights, means, variances)
        weights = posterior.mean(0)
        noisy = posterior[:, 1]
        means[1] = (noisy * x).sum() / noisy.sum()
        variances[1] = (noisy * (x - means[1]) ** 2).sum() / noisy.sum() + VARIANCE_FLOOR
    return _posterior(x, weights, means, variances)[:, 0]


def _posterior(x: np.ndarray, weights: np.ndarray, means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """N x 2 responsibilities of two 1-D Gaussians (log domain, so far tails do not underflow)."""
    log_joint = np.log(weights) - 0.5 * (np.log(2 * np.pi * variances) + (x[:, None] - means) ** 2 / variances)
    return np.exp(log_joint - np.logaddexp(log_joint[:, 0], log_joint[:, 1])[:, None])
