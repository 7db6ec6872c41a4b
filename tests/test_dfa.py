"""DFA: the bias-feature swap, the detach pattern of its two heads, its schedule."""
import pytest
import torch
from tiny import build_tiny_method

from mitigate.methods.dfa import swap_bias_features


def build_dfa(**changes):
    return build_tiny_method("dfa", **changes)


def test_swap_keeps_labels_with_the_bias_features_they_came_from():
    y = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    z_b = torch.stack([y.float(), 10 * y.float()], dim=1)  # each row remembers its sample's label
    swapped, y_swapped = swap_bias_features(z_b, y, torch.Generator().manual_seed(0))
    assert torch.equal(swapped[:, 0].long(), y_swapped) and torch.equal(swapped[:, 1], 10 * y_swapped.float())
    assert sorted(y_swapped.tolist()) == sorted(y.tolist()) and not torch.equal(y_swapped, y)


def test_each_head_trains_only_its_own_encoder():
    dfa, train = build_dfa()
    z_i, z_b = dfa.model.encode(train.images(slice(8)))
    logits_i, logits_b = dfa.heads(z_i, z_b)
    grad_i = torch.autograd.grad(logits_i.sum(), [*dfa.model.intrinsic.parameters(), *dfa.model.bias.parameters()],
                                 allow_unused=True)
    n_i = len(list(dfa.model.intrinsic.parameters()))
    assert all(g is not None and g.abs().sum() > 0 for g in grad_i[:n_i])
    assert all(g is None for g in grad_i[n_i:])  # C_i sees z_b detached
    grad_b = torch.autograd.grad(logits_b.sum(), [*dfa.model.intrinsic.parameters(), *dfa.model.bias.parameters()],
                                 allow_unused=True)
    assert all(g is None for g in grad_b[:n_i])  # C_b sees z_i detached
    assert all(g is not None and g.abs().sum() > 0 for g in grad_b[n_i:])


@pytest.mark.parametrize("start", [0, 1])
def test_swap_losses_start_at_the_scheduled_epoch_and_every_part_learns(start):
    dfa, train = build_dfa(swap_start=start / 2)  # swap from epoch 0 or 1 of 2
    before = {name: p.detach().clone() for name, p in dfa.named_parameters()}
    losses = dfa.update(next(iter(train.batches(16, torch.Generator().manual_seed(0)))))
    assert all(torch.isfinite(v) for v in losses.values())
    assert (losses["swap_intrinsic"] > 0) == (start == 0) and (losses["swap_bias"] > 0) == (start == 0)
    assert [name for name, p in dfa.named_parameters() if torch.equal(p, before[name])] == []


def test_learning_rate_halves_every_decay_period_after_the_swap_starts():
    dfa, train = build_dfa(epochs=10, lr=0.01, swap_start=0.2, lr_decay_every=0.3, lr_decay=0.5)  # epochs 2 and 3
    rates = []
    for epoch in range(9):
        dfa.on_epoch_end(epoch, train)
        rates.append(dfa.optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([0.01] * 4 + [0.005] * 3 + [0.0025] * 2)


def test_without_disentangling_both_heads_learn_with_plain_unweighted_cross_entropy():
    dfa, train = build_dfa(disentangle=False)
    batch = train.batch(torch.arange(16))
    with torch.no_grad():
        logits_i, logits_b = dfa.heads(*dfa.model.encode(batch.x))
    losses = dfa.update(batch)
    assert losses["weight"].item() == 1.0
    assert losses["dis_intrinsic"].item() == pytest.approx(torch.nn.functional.cross_entropy(logits_i, batch.y).item(), rel=1e-5)
    expected_bias = dfa.hparams.lambda_dis * torch.nn.functional.cross_entropy(logits_b, batch.y)
    assert losses["dis_bias"].item() == pytest.approx(expected_bias.item(), rel=1e-5)
