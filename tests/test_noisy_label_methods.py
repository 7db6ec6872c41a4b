"""ELR's targets and regularizer, the noise adaptation layer, and the training report of NAL."""
import pytest
import torch
import torch.nn.functional as F
from tiny import NUM_CLASSES, build_tiny_method, tiny_tensor_split

from mitigate.methods.coteaching import forget_rate_at, small_loss_selection
from mitigate.methods.elr import TargetEMA
from mitigate.methods.nal import NoiseAdaptationLayer, confusion, identity_leaning
from mitigate.training.loop import memorization


def test_elr_target_update_by_hand():
    targets = TargetEMA(num_samples=3, num_classes=2, beta=0.5, device=torch.device("cpu"))
    first = targets.update(torch.tensor([1]), torch.tensor([[0.2, 0.6]]))  # not normalised: sums to 0.8
    torch.testing.assert_close(first, torch.tensor([[0.5 * 0.25, 0.5 * 0.75]]))
    second = targets.update(torch.tensor([1]), torch.tensor([[0.5, 0.5]]))
    torch.testing.assert_close(second, torch.tensor([[0.5 * 0.125 + 0.25, 0.5 * 0.375 + 0.25]]))
    assert targets.values[0].sum() == 0 and targets.values[2].sum() == 0  # untouched samples


def test_elr_loss_is_cross_entropy_plus_lambda_times_the_regularizer_by_hand():
    elr, train = build_tiny_method("elr", beta=0.0, lam=2.0)  # beta 0: t = the current normalised prediction
    batch = train.batch(torch.arange(8))
    with torch.no_grad():
        logits = elr.model(batch.x)
    p = F.softmax(logits, dim=1).clamp(1e-4, 1 - 1e-4)
    t = p / p.sum(1, keepdim=True)
    ce = F.cross_entropy(logits, batch.y)
    regularizer = torch.log(1 - (t * p).sum(1)).mean()
    out = elr.update(batch)
    assert out["cross_entropy"].item() == pytest.approx(ce.item(), rel=1e-5)
    assert out["elr"].item() == pytest.approx(regularizer.item(), rel=1e-5)
    assert out["loss"].item() == pytest.approx((ce + 2.0 * regularizer).item(), rel=1e-5)
    torch.testing.assert_close(elr.targets.values[:8], t)


def test_noise_layer_outputs_distributions_and_reduces_to_the_base_model_with_identity():
    clean = F.softmax(torch.randn(5, NUM_CLASSES, generator=torch.Generator().manual_seed(0)), dim=1)
    layer = NoiseAdaptationLayer(identity_leaning(NUM_CLASSES, 0.7))
    torch.testing.assert_close(layer.transition().sum(1), torch.ones(NUM_CLASSES))
    noisy = layer(clean)
    assert (noisy >= 0).all()
    torch.testing.assert_close(noisy.sum(1), torch.ones(5))
    layer.reset(torch.eye(NUM_CLASSES))
    torch.testing.assert_close(layer(clean), clean, atol=1e-4, rtol=0)  # T = identity (up to the 1e-6 floor)


def test_identity_leaning_and_confusion_are_row_stochastic():
    T = identity_leaning(4, 0.85)
    torch.testing.assert_close(T.sum(1), torch.ones(4))
    assert T[0, 0] == pytest.approx(0.85) and T[0, 1] == pytest.approx(0.05)
    C = confusion(torch.tensor([0, 0, 0, 1]), torch.tensor([0, 0, 2, 1]), 3)
    torch.testing.assert_close(C, torch.tensor([[2 / 3, 0, 1 / 3], [0, 1, 0], [0, 0, 1]]))


def test_nal_warms_up_then_takes_its_transition_from_the_confusion_and_reports_it():
    nal, train = build_tiny_method("nal", init="confusion")  # warm-up: 1 of 2 epochs
    assert not nal.adapting
    before = nal.noise_layer.transition().detach().clone()
    nal.update(train.batch(torch.arange(16)))
    torch.testing.assert_close(nal.noise_layer.transition(), before)  # the layer is not trained in warm-up
    nal.on_epoch_end(0, train)
    assert nal.adapting
    predicted = nal.model(train.images()).argmax(1)
    torch.testing.assert_close(nal.noise_layer.transition(), confusion(predicted, train.y, NUM_CLASSES), atol=1e-5, rtol=0)
    nal.update(train.batch(torch.arange(16)))
    learned = nal.report()["learned_transition"]
    assert learned.shape == (NUM_CLASSES, NUM_CLASSES)
    torch.testing.assert_close(learned.sum(1), torch.ones(NUM_CLASSES))


def test_coteaching_forget_rate_ramps_linearly_then_stays():
    assert [forget_rate_at(t, 0.4, 10) for t in (0, 5, 10, 20)] == pytest.approx([0.0, 0.2, 0.4, 0.4])
    assert forget_rate_at(0, 0.4, 0) == 0.4


def test_small_loss_selection_keeps_the_smallest_fraction():
    losses = torch.tensor([0.9, 0.1, 0.5, 0.3, 2.0])
    assert small_loss_selection(losses, 0.6).tolist() == [1, 3, 2]
    assert small_loss_selection(losses, 0.0).tolist() == [1]


def test_each_coteaching_network_learns_only_from_its_peers_selection():
    method, train = build_tiny_method("coteaching", forget_rate=0.5, ramp=0.0)
    batch = train.batch(torch.arange(16))
    with torch.no_grad():
        ce_peer = F.cross_entropy(method.peer(batch.x), batch.y, reduction="none")
        expected = F.cross_entropy(method.model(batch.x), batch.y, reduction="none")[small_loss_selection(ce_peer, 0.5)].mean()
    out = method.update(batch)
    assert out["kept"].item() == 0.5
    assert out["loss_main"].item() == pytest.approx(expected.item(), rel=1e-5)


def test_memorization_fractions_of_the_noisy_samples_by_hand():
    train = tiny_tensor_split(6)
    train.true_y = torch.tensor([0, 1, 2, 3, 4, 5])
    train.y = torch.tensor([0, 1, 7, 8, 9, 6])  # samples 2..5 are noisy
    predictions = torch.tensor([0, 1, 2, 8, 9, 0])  # true, noisy, noisy, other on the noisy ones

    def predict(x):
        rows = [int((train.images() == xi).flatten(1).all(1).nonzero()) for xi in x]
        return F.one_hot(predictions[rows], NUM_CLASSES).float()

    assert memorization(predict, train) == {"memorization/true_label": 0.25, "memorization/noisy_label": 0.5,
                                            "memorization/other": 0.25}
