"""Clean / noisy label detection: folds, the GMM, the transition posterior and cleanlab on
out-of-sample probabilities."""
import dataclasses

import numpy as np
import pytest
from tiny import NUM_CLASSES, project_params, tiny_tensor_split

from mitigate.core.config import parse_section
from mitigate.core.errors import ConfigError
from mitigate.methods import method_hparams
from mitigate.noisy.detection import (
    FoldTraining,
    NoiseSplitSettings,
    cleanlab_noisy,
    cross_entropies,
    detection_metrics,
    fold_of_each_sample,
    gmm_noisy_scores,
    label_clean_posterior,
    out_of_sample_probabilities,
    transition_noisy_scores,
)
from mitigate.noisy.loss_mixture import clean_probability
from mitigate.training.settings import TrainSettings


def test_folds_are_stratified_by_label():
    labels = np.repeat(np.arange(3), 8)
    fold = fold_of_each_sample(labels, 4, np.random.default_rng(0))
    for c in range(3):
        assert np.bincount(fold[labels == c], minlength=4).tolist() == [2, 2, 2, 2]


def probabilities_with_wrong_labels(n: int = 200, wrong: int = 20, seed: int = 0):
    """A confident model that is right about the true class; the first `wrong` labels are flipped."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 5, n)
    probabilities = np.full((n, 5), 0.02)
    probabilities[np.arange(n), true] = 0.92
    labels = true.copy()
    labels[:wrong] = (true[:wrong] + 1) % 5
    truth = np.zeros(n, dtype=bool)
    truth[:wrong] = True
    return probabilities, labels, truth


def test_gmm_transition_and_cleanlab_find_the_flipped_labels():
    probabilities, labels, truth = probabilities_with_wrong_labels()
    gmm = gmm_noisy_scores(probabilities, labels, seed=0)
    assert ((gmm > 0.5) == truth).all()
    assert ((transition_noisy_scores(probabilities, labels) > 0.5) == truth).all()
    flags, scores = cleanlab_noisy(probabilities, labels)
    assert (flags == truth).all() and scores[truth].min() > scores[~truth].max()


def test_gmm_flags_most_labels_at_80_percent_noise_where_the_k_means_start_does_not():
    """A weak model (about half right) and 800 of 1,000 labels flipped to a random other class:
    the given labels' losses have no second mode. With its clean component from the every-class
    losses the GMM finds 90% of the noisy labels; DivideMix's GMM from k-means spends a component
    on the noisy tail."""
    rng = np.random.default_rng(0)
    true = rng.integers(0, 10, 1000)
    logits = rng.normal(0, 2.0, (1000, 10))
    logits[np.arange(1000), true] += 3.0
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    truth = np.arange(1000) < 800
    labels = np.where(truth, (true + rng.integers(1, 10, 1000)) % 10, true)
    flags = gmm_noisy_scores(probabilities, labels, seed=0) > 0.5
    assert flags[truth].mean() > 0.85 and truth[flags].mean() > 0.85
    k_means_start = clean_probability(cross_entropies(probabilities)[np.arange(1000), labels], seed=0) < 0.5
    assert k_means_start[truth].mean() < 0.7


def test_label_clean_posterior_by_hand():
    """Two classes, T = [[0.6, 0.4], [0, 1]] (40% of class 0 labelled 1), p = (0.7, 0.3):
    label 0 is clean for sure (no 1 is ever labelled 0); label 1 is clean with probability
    1 * 0.3 / (0.4 * 0.7 + 1 * 0.3) = 0.3 / 0.58."""
    transition = np.array([[0.6, 0.4], [0.0, 1.0]])
    probabilities = np.array([[0.7, 0.3], [0.7, 0.3]])
    np.testing.assert_allclose(label_clean_posterior(probabilities, np.array([0, 1]), transition), [1.0, 0.3 / 0.58])
    no_noise = label_clean_posterior(probabilities, np.array([0, 1]), np.eye(2))
    np.testing.assert_allclose(no_noise, [1.0, 1.0])


def test_with_symmetric_noise_the_label_posterior_ranks_labels_by_their_loss():
    """T_ii = 0.5, T_ij = 0.5 / 4: p(clean) = 0.5 p_j / (0.5 p_j + 0.125 (1 - p_j)), increasing in
    p_j, so it flags exactly the labels with p_j < 0.2 (loss > 1.6 nats)."""
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(5), 200)
    labels = rng.integers(0, 5, 200)
    transition = np.full((5, 5), 0.125) + np.eye(5) * 0.375
    clean = label_clean_posterior(probabilities, labels, transition)
    given = probabilities[np.arange(200), labels]
    assert (np.argsort(clean, kind="stable") == np.argsort(given, kind="stable")).all()
    assert ((clean < 0.5) == (given < 0.2)).all()


def test_detection_metrics_by_hand():
    truth = np.array([True, True, False, False])
    metrics = detection_metrics(np.array([True, False, True, False]), np.array([0.9, 0.4, 0.6, 0.1]), truth)
    assert metrics == {"flagged": 2, "precision": 0.5, "recall": 0.5, "f1": 0.5, "auc": 0.75}
    assert detection_metrics(np.zeros(4, bool), np.zeros(4), np.zeros(4, bool))["auc"] is None


@pytest.mark.parametrize("method", ["vanilla", "elr"])
def test_out_of_sample_probabilities_cover_every_sample_once(method):
    train = tiny_tensor_split(40)
    params = project_params()
    settings = dataclasses.replace(params.section(TrainSettings, "train"), epochs=1, batch_size=16)
    training = FoldTraining(method, method_hparams(params, method), settings, folds=4)
    probabilities = out_of_sample_probabilities(train, training, num_classes=NUM_CLASSES, seed=0)
    assert probabilities.shape == (40, NUM_CLASSES)
    np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-5)
    again = out_of_sample_probabilities(train, training, num_classes=NUM_CLASSES, seed=0)
    assert np.array_equal(probabilities, again)


def test_fold_method_must_train_on_the_dataset():
    with pytest.raises(ConfigError, match="split_noise.method: biaswap trains on the augmented set, not on labels alone"):
        parse_section(NoiseSplitSettings, {"folds": 4, "epochs": 1, "method": "biaswap"}, "split_noise")
