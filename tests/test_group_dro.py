"""Group DRO: per-group losses, the exponentiated-gradient group weights, balanced sampling."""
import pytest
import torch
from tiny import build_tiny_method, rejected_key

from mitigate.methods import METHODS
from mitigate.methods.group_dro import GroupDROHparams, group_losses


def test_group_losses_average_within_groups_and_give_zero_to_absent_ones():
    losses = torch.tensor([1.0, 3.0, 5.0, 0.5])
    groups = torch.tensor([0, 0, 2, 3])
    assert group_losses(losses, groups, 5).tolist() == [2.0, 0.0, 5.0, 0.5, 0.0]


def build_group_dro(**changes):
    return build_tiny_method("group_dro", **changes)


def test_only_group_dro_is_marked_as_using_bias_labels():
    assert [name for name, cls in METHODS.items() if cls.uses_bias_labels] == ["group_dro"]


def test_group_weights_start_uniform_over_present_groups_and_move_towards_the_worst_group():
    method, train = build_group_dro(eta=1.0)
    groups = train.y * method.num_bias + train.bias
    present = torch.bincount(groups, minlength=method.num_groups) > 0
    assert torch.allclose(method.q[present], torch.full((int(present.sum()),), 1 / present.sum()))
    assert (method.q[~present] == 0).all()
    batch = train.batch(torch.arange(16))
    with torch.no_grad():
        per_group = group_losses(torch.nn.functional.cross_entropy(method.model(batch.x), batch.y, reduction="none"),
                                 batch.y * method.num_bias + batch.bias, method.num_groups)
    expected = method.q * torch.exp(per_group)
    expected /= expected.sum()
    out = method.update(batch)
    assert torch.allclose(method.q, expected)
    assert method.q.sum().item() == pytest.approx(1.0)
    assert method.q.argmax() == per_group.argmax()
    assert out["loss"].item() == pytest.approx((expected * per_group).sum().item(), rel=1e-5)


def test_balanced_sampling_gives_every_present_group_the_same_probability():
    method, train = build_group_dro(balanced_sampling=True)
    weights = method.sampling_weights()
    groups = train.y * method.num_bias + train.bias
    mass = torch.zeros(method.num_groups).index_add(0, groups, weights / weights.sum())
    present = mass > 0
    assert torch.allclose(mass[present], torch.full((int(present.sum()),), 1 / present.sum()))
    assert build_group_dro(balanced_sampling=False)[0].sampling_weights() is None


@pytest.mark.parametrize("key, value", [("eta", 0.0), ("group_adjustment", -1.0), ("weight_decay", -1.0)])
def test_hparams_out_of_range(key, value):
    good = {"eta": 0.01, "group_adjustment": 0.0, "balanced_sampling": True, "weight_decay": 0.1}
    assert rejected_key(GroupDROHparams, good) is None
    assert rejected_key(GroupDROHparams, good | {key: value}) == key
