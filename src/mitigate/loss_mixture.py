"""Clean / noisy division of training samples by their losses: a two-component Gaussian mixture
on min-max normalised per-sample losses (DivideMix, Li et al. 2020, sec. 3.1); the posterior of
the component with the smaller mean is each sample's probability of being clean."""
import numpy as np


def clean_probability(losses: np.ndarray, seed: int = 0) -> np.ndarray:
    """p(clean | loss) per sample, with DivideMix's GMM settings (max_iter 10, tol 1e-2,
    reg_covar 5e-4)."""
    from sklearn.mixture import GaussianMixture

    losses = np.asarray(losses, dtype=np.float64)
    span = losses.max() - losses.min()
    if span <= 0:  # all losses equal: nothing to divide
        return np.ones_like(losses)
    normalised = ((losses - losses.min()) / span)[:, None]
    gmm = GaussianMixture(n_components=2, max_iter=10, tol=1e-2, reg_covar=5e-4, random_state=seed).fit(normalised)
    return gmm.predict_proba(normalised)[:, gmm.means_.argmin()]
