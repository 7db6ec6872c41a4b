"""PGD: the closed-form last-layer gradient norm, the sampling probabilities, the two phases."""
import pytest
import torch
import torch.nn.functional as F
from tiny import INPUT_SHAPE, NUM_CLASSES, build_tiny_method, rejected_key, tiny_tensor_split

from mitigate.methods.pgd import PGDHparams, last_layer_gradient_norms, sampling_probabilities
from mitigate.models import build_model


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_gradient_norm_matches_autograd_per_sample(arch):
    torch.manual_seed(0)
    model = build_model(arch, INPUT_SHAPE, NUM_CLASSES).eval()
    data = tiny_tensor_split(6)
    norms = last_layer_gradient_norms(model, data, batch_size=4)
    for i in range(len(data)):
        loss = F.cross_entropy(model(data.images(slice(i, i + 1))), data.y[i : i + 1])
        grads = torch.autograd.grad(loss, [model.fc.weight, model.fc.bias])
        expected = torch.sqrt(sum(g.square().sum() for g in grads))
        assert norms[i].item() == pytest.approx(expected.item(), rel=1e-4)


def test_probabilities_sum_to_one_and_follow_the_gradient_norm():
    norms = torch.tensor([0.01, 0.02, 3.0, 0.01])  # sample 2: the biased model fails on it
    p = sampling_probabilities(norms)
    assert p.sum().item() == pytest.approx(1.0)
    assert p.argmax().item() == 2 and p[2].item() == pytest.approx(3.0 / 3.04)
    assert p[1].item() == pytest.approx(2 * p[0].item())


def test_a_sample_the_biased_model_gets_wrong_is_drawn_more_often():
    """Hand-made case: a linear 'biased model' that predicts class 0 for every sample; the
    samples labeled 0 have small gradients, the one labeled 1 a large one."""
    data = tiny_tensor_split(8)
    data.y = torch.tensor([0, 0, 0, 0, 0, 0, 0, 1])
    model = build_model("mlp", INPUT_SHAPE, NUM_CLASSES)
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.copy_(torch.tensor([10.0] + [0.0] * (NUM_CLASSES - 1)))
    p = sampling_probabilities(last_layer_gradient_norms(model, data))
    assert p.sum().item() == pytest.approx(1.0)
    assert p[7] > 100 * p[:7].max()
    draws = data.batches(8, torch.Generator().manual_seed(0), weights=p)
    drawn = torch.cat([b.index for b in draws])
    assert len(drawn) == 8 and (drawn == 7).sum() >= 7


def test_biased_phase_trains_only_the_biased_model_then_resampling_trains_only_the_debiased_one():
    pgd, train = build_tiny_method("pgd", n=32, epochs=2, biased_length=0.5)
    assert pgd.num_epochs == 3 and pgd.sampling_weights() is None
    before = {k: v.clone() for k, v in pgd.state_dict().items()}
    assert set(pgd.update(train.batch(torch.arange(16)))) == {"loss", "loss_biased"}
    after = pgd.state_dict()
    assert not torch.equal(before["biased.fc.weight"], after["biased.fc.weight"])
    assert torch.equal(before["model.fc.weight"], after["model.fc.weight"])
    pgd.on_epoch_end(0, train)
    weights = pgd.sampling_weights()
    assert weights.shape == (len(train),) and weights.sum().item() == pytest.approx(1.0) and (weights > 0).all()
    before = {k: v.clone() for k, v in pgd.state_dict().items()}
    assert set(pgd.update(train.batch(torch.arange(16)))) == {"loss", "loss_debiased"}
    after = pgd.state_dict()
    assert torch.equal(before["biased.fc.weight"], after["biased.fc.weight"])
    assert not torch.equal(before["model.fc.weight"], after["model.fc.weight"])


def test_hparams_out_of_range():
    assert rejected_key(PGDHparams, {"q": 0.0, "biased_length": 1.0}) == "q"
    assert rejected_key(PGDHparams, {"q": 0.7, "biased_length": 0.0}) == "biased_length"
    assert rejected_key(PGDHparams, {"q": 1.0, "biased_length": 1.5}) is None
