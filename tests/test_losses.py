"""Per-sample losses: GCE in closed form and as the LfF code writes it."""
import pytest
import torch
import torch.nn.functional as F

from mitigate.training.losses import cross_entropy, gce, gce_lff, mae


def random_batch(seed: int = 0, n: int = 16, classes: int = 10, scale: float = 3.0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, classes, generator=g, dtype=torch.float64) * scale
    y = torch.randint(0, classes, (n,), generator=g)
    return logits, y


def logit_grad(loss_fn, logits, y, q):
    logits = logits.clone().requires_grad_(True)
    loss_fn(logits, y, q).sum().backward()
    return logits.grad


@pytest.mark.parametrize("q", [0.1, 0.7, 1.0])
def test_lff_gce_gradient_is_q_times_closed_form_gradient(q):
    logits, y = random_batch()
    grad_closed = logit_grad(gce, logits, y, q)
    grad_lff = logit_grad(gce_lff, logits, y, q)
    assert grad_closed.abs().max() > 1e-3  # the comparison is not between two zero tensors
    torch.testing.assert_close(grad_lff, q * grad_closed)


def test_lff_gce_value_differs_from_closed_form():
    logits, y = random_batch(1)
    assert not torch.allclose(gce_lff(logits, y, 0.7), gce(logits, y, 0.7))


def test_gce_is_per_sample_and_bounded():
    logits, y = random_batch(2)
    for q in (0.1, 0.7, 1.0):
        loss = gce(logits, y, q)
        assert loss.shape == (len(y),)
        assert (loss >= 0).all() and (loss <= 1 / q).all()


def test_gce_with_q_one_is_one_minus_true_class_probability():
    logits, y = random_batch(3)
    p_y = F.softmax(logits, dim=1)[torch.arange(len(y)), y]
    torch.testing.assert_close(gce(logits, y, 1.0), 1 - p_y)
    # 1 - p_y is half the MAE between the softmax and the one-hot label
    mae = (F.softmax(logits, dim=1) - F.one_hot(y, 10)).abs().sum(1)
    torch.testing.assert_close(gce(logits, y, 1.0), mae / 2)


def test_gce_with_small_q_approaches_cross_entropy():
    logits, y = random_batch(4, scale=1.0)
    ce = cross_entropy(logits, y)
    torch.testing.assert_close(gce(logits, y, 1e-4), ce, atol=1e-3, rtol=0)
    # (1 - exp(-q CE)) / q = CE - q CE^2 / 2 + ...: below CE, by at most q CE^2 / 2
    gap = ce - gce(logits, y, 1e-4)
    assert (gap >= 0).all() and (gap <= 1e-4 * ce**2 / 2 + 1e-9).all()
    # and it is not already cross entropy at a large q
    assert (gce(logits, y, 0.7) - ce).abs().max() > 1e-2


def test_gce_by_hand():
    logits = torch.tensor([[0.0, 0.0]], dtype=torch.float64)  # p_y = 0.5
    y = torch.tensor([0])
    expected = (1 - 0.5 ** 0.5) / 0.5
    assert gce(logits, y, 0.5).item() == pytest.approx(expected, abs=1e-12)
    # LfF form: CE * p_y^q * q = ln 2 * 0.5^0.5 * 0.5
    assert gce_lff(logits, y, 0.5).item() == pytest.approx(0.6931471805599453 * 0.5 ** 0.5 * 0.5, abs=1e-12)


def test_mae_is_the_l1_distance_between_softmax_and_one_hot():
    logits, y = random_batch()
    expected = (F.softmax(logits, dim=1) - F.one_hot(y, 10)).abs().sum(1)
    torch.testing.assert_close(mae(logits, y), expected)
    assert (mae(logits, y) <= 2).all() and (mae(logits, y) >= 0).all()
