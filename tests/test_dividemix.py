"""DivideMix: the loss GMM, sharpening, the co-divide schedule and one MixMatch step."""
import numpy as np
import pytest
import torch
from tiny import build_tiny_method

from mitigate.methods.dividemix import sharpen
from mitigate.noisy.loss_mixture import clean_probability


def test_gmm_calls_the_low_loss_mode_clean_on_a_bimodal_set():
    rng = np.random.default_rng(0)
    losses = np.concatenate([rng.normal(0.1, 0.05, 80), rng.normal(2.0, 0.3, 20)]).clip(0)
    p = clean_probability(losses)
    assert (p[:80] > 0.9).all() and (p[80:] < 0.1).all()
    assert np.array_equal(p, clean_probability(losses))
    assert (clean_probability(np.full(5, 0.3)) == 1).all()


def test_sharpen_keeps_distributions_and_lowers_entropy():
    p = torch.tensor([[0.5, 0.3, 0.2]])
    s = sharpen(p, 0.5)
    torch.testing.assert_close(s, p**2 / (p**2).sum())
    assert s.max() > p.max() and s.sum().item() == pytest.approx(1.0)


def test_warm_up_then_each_network_trains_on_its_peers_division():
    method, train = build_tiny_method("dividemix")  # warm-up: 1 of 2 epochs
    first = method.update(train.batch(torch.arange(16)))
    assert set(first) == {"loss", "labeled_loss"} and method.clean_probabilities is None
    method.on_epoch_end(0, train)
    assert [p.shape for p in method.clean_probabilities] == [(len(train),), (len(train),)]
    assert all(((p >= 0) & (p <= 1)).all() for p in method.clean_probabilities)
    method.train()
    before = [{k: v.clone() for k, v in net.state_dict().items()} for net in method.networks]
    out = method.update(train.batch(torch.arange(32)))
    assert {"labeled_loss", "unlabeled_loss", "penalty", "labeled_fraction"} <= set(out)
    assert all(torch.isfinite(v) for v in out.values())
    for net, old in zip(method.networks, before):
        assert all(not torch.equal(p, old[name]) for name, p in net.state_dict().items())
