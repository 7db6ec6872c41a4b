"""The loss GMM whose clean component is known from reference losses (the split_noise stage)."""
import numpy as np

from mitigate.noisy.loss_mixture import clean_probability_from_clean_mode


def test_clean_mode_stays_where_the_reference_puts_it_while_the_noisy_one_moves():
    rng = np.random.default_rng(0)
    reference = np.concatenate([rng.normal(0, 1, 1000), rng.normal(8, 1, 9000)])
    losses = np.concatenate([rng.normal(0, 1, 500), rng.normal(4, 0.5, 500)])  # noisy mode at 4, not 8
    p = clean_probability_from_clean_mode(losses, reference)
    assert (p[:500] > 0.5).mean() > 0.97 and (p[500:] < 0.5).mean() > 0.97
    assert np.array_equal(p, clean_probability_from_clean_mode(losses, reference))


def test_all_losses_of_the_clean_mode_are_clean():
    rng = np.random.default_rng(1)
    reference = np.concatenate([rng.normal(0, 1, 1000), rng.normal(8, 1, 9000)])
    p = clean_probability_from_clean_mode(rng.normal(0, 1, 500), reference)
    assert (p > 0.5).mean() > 0.97
    assert (clean_probability_from_clean_mode(np.full(3, 0.2), np.full(6, 0.2)) == 1).all()
