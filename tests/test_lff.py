"""Learning from Failure: the class-wise loss EMA and the relative-difficulty weight."""
import pytest
import torch
from tiny import INPUT_SHAPE, NUM_CLASSES, rejected_key, tiny_tensor_split

from mitigate.methods.lff import LfF, LfFHparams
from mitigate.training.loop import build_method
from mitigate.training.loss_ema import ClasswiseLossEMA
from mitigate.training.losses import cross_entropy, gce_lff
from mitigate.training.settings import TrainSettings

SETTINGS = TrainSettings(arch="mlp", epochs=1, batch_size=16, lr=1e-3, weight_decay=0.0, augment="none")


# --- ClasswiseLossEMA -----------------------------------------------------------------------

def hand_example() -> ClasswiseLossEMA:
    ema = ClasswiseLossEMA(torch.tensor([0, 0, 1, 1]), num_classes=2, alpha=0.7)
    ema.update(torch.tensor([0, 2]), torch.tensor([2.0, 4.0]))
    return ema


def test_first_visit_sets_the_loss_and_unvisited_stay_zero():
    ema = hand_example()
    assert ema.values.tolist() == [2.0, 0.0, 4.0, 0.0]
    assert ema.visited.tolist() == [True, False, True, False]


def test_second_visit_is_exponential_average():
    ema = hand_example()
    ema.update(torch.tensor([0]), torch.tensor([1.0]))
    # 0.7 * 2.0 + 0.3 * 1.0 = 1.7; the others are untouched
    assert ema.values.tolist() == pytest.approx([1.7, 0.0, 4.0, 0.0], abs=1e-6)
    # a third visit averages again: 0.7 * 1.7 + 0.3 * 0.5 = 1.34
    ema.update(torch.tensor([0]), torch.tensor([0.5]))
    assert ema.values[0].item() == pytest.approx(1.34, abs=1e-6)


def test_first_visit_of_one_sample_next_to_a_revisit():
    ema = hand_example()
    ema.update(torch.tensor([1, 2]), torch.tensor([3.0, 1.0]))
    # sample 1: first visit -> 3.0; sample 2: 0.7 * 4.0 + 0.3 * 1.0 = 3.1
    assert ema.values.tolist() == pytest.approx([2.0, 3.0, 3.1, 0.0], abs=1e-6)


def test_normalized_divides_by_the_class_max_over_all_its_samples():
    ema = hand_example()
    ema.update(torch.tensor([0]), torch.tensor([1.0]))
    assert ema.class_max().tolist() == pytest.approx([1.7, 4.0], abs=1e-6)
    assert ema.normalized(torch.tensor([0, 1, 2, 3])).tolist() == pytest.approx([1.0, 0.0, 1.0, 0.0], abs=1e-6)
    # the max is over the whole class, not over the index asked for
    ema.update(torch.tensor([1]), torch.tensor([3.4]))
    assert ema.normalized(torch.tensor([0])).tolist() == pytest.approx([0.5], abs=1e-6)
    assert ema.normalized(torch.tensor([1, 3])).tolist() == pytest.approx([1.0, 0.0], abs=1e-6)


def test_update_detaches_the_loss():
    ema = ClasswiseLossEMA(torch.tensor([0, 1]), num_classes=2, alpha=0.5)
    loss = torch.tensor([1.0, 2.0], requires_grad=True) * 2
    ema.update(torch.tensor([0, 1]), loss)
    assert not ema.values.requires_grad
    assert ema.values.tolist() == [2.0, 4.0]


# --- the LfF method -------------------------------------------------------------------------

def build_lff(alpha: float = 0.7, n: int = 64):
    train = tiny_tensor_split(n)
    method = build_method("lff", LfFHparams(q=0.7, ema_alpha=alpha), SETTINGS, train, NUM_CLASSES, INPUT_SHAPE, seed=0)
    assert isinstance(method, LfF)
    return method, train


def test_lff_updates_return_finite_losses_and_weights_in_unit_range():
    method, train = build_lff()
    method.train()
    generator = torch.Generator().manual_seed(0)
    seen = torch.zeros(len(train), dtype=torch.bool)
    for batch in list(train.batches(16, generator))[:3]:
        out = method.update(batch)
        seen[batch.index] = True
        assert set(out) == {"loss", "loss_biased", "loss_debiased", "weight"}
        for key, value in out.items():
            assert value.dim() == 0 and torch.isfinite(value), key
            assert not value.requires_grad, key
        assert 0 <= out["weight"].item() <= 1
        assert out["loss"].item() == pytest.approx(out["loss_biased"].item() + out["loss_debiased"].item(), rel=1e-5)
    # both EMAs record exactly the samples seen so far
    assert torch.equal(method.ema_biased.visited, seen)
    assert torch.equal(method.ema_debiased.visited, seen)
    assert (method.ema_biased.values[~seen] == 0).all() and (method.ema_biased.values[seen] > 0).all()


def single(train, i: int):
    return train.batch(torch.tensor([i]))


def test_lff_weight_is_larger_for_a_sample_the_biased_model_finds_harder():
    method, train = build_lff(alpha=0.99)
    method.train()
    label = train.y[0].item()
    same = torch.nonzero(train.y == label).flatten()
    hard, easy = same[0].item(), same[1].item()
    # both samples already visited: the biased model found `hard` hard and `easy` easy, the
    # debiased model found them equally hard
    for ema, values in ((method.ema_biased, {hard: 10.0, easy: 0.1}), (method.ema_debiased, {hard: 1.0, easy: 1.0})):
        for i, v in values.items():
            ema.values[i] = v
            ema.visited[i] = True
    w_hard = method.update(single(train, hard))["weight"].item()
    w_easy = method.update(single(train, easy))["weight"].item()
    assert 0 <= w_easy < w_hard <= 1
    assert w_hard == pytest.approx(0.5, abs=0.02)  # normalized EMAs both ~1
    assert w_easy < 0.05  # ~0.1 / 10 of the biased max


def test_lff_weight_and_losses_by_hand_on_a_first_visit():
    method, train = build_lff()
    method.train()
    batch = single(train, 5)
    with torch.no_grad():
        logits_b, logits_d = method.biased(batch.x), method.model(batch.x)
    ce_b, ce_d = cross_entropy(logits_b, batch.y).item(), cross_entropy(logits_d, batch.y).item()
    out = method.update(batch)
    # first visit of the only sample of its class seen: both normalized EMAs are 1 -> w = 1 / (2 + 1e-8)
    assert out["weight"].item() == pytest.approx(0.5, abs=1e-6)
    assert out["loss_debiased"].item() == pytest.approx(0.5 * ce_d, rel=1e-5)
    assert out["loss_biased"].item() == pytest.approx(gce_lff(logits_b, batch.y, 0.7).item(), rel=1e-5)
    assert method.ema_biased.values[5].item() == pytest.approx(ce_b, rel=1e-5)
    assert method.ema_debiased.values[5].item() == pytest.approx(ce_d, rel=1e-5)


def test_lff_predicts_with_the_debiased_model_only():
    method, train = build_lff()
    assert method.predictors() == [method.model]
    assert method.biased is not method.model
    with torch.no_grad():
        assert torch.equal(method.predict(train.images(slice(4))), method.model(train.images(slice(4))))
        assert not torch.equal(method.predict(train.images(slice(4))), method.biased(train.images(slice(4))))


def test_lff_optimizer_trains_both_models():
    method, train = build_lff()
    before = {k: v.clone() for k, v in method.state_dict().items()}
    method.train()
    method.update(train.batch(torch.arange(16)))
    for name in ("model.fc.weight", "biased.fc.weight"):
        assert not torch.equal(before[name], method.state_dict()[name]), name


@pytest.mark.parametrize("q,alpha,key", [(0.0, 0.7, "q"), (1.5, 0.7, "q"), (0.7, 1.0, "ema_alpha"), (0.7, -0.1, "ema_alpha")])
def test_lff_hparams_out_of_range(q, alpha, key):
    assert rejected_key(LfFHparams, {"q": q, "ema_alpha": alpha}) == key


def test_lff_hparams_valid_edges():
    assert rejected_key(LfFHparams, {"q": 1.0, "ema_alpha": 0.0}) is None
