"""Every registered training method, built as the stages build it, on a tiny random dataset."""
import copy
import dataclasses

import pytest
import torch
from tiny import INPUT_SHAPE, NUM_CLASSES, TINY_EPOCHS, project_params, tiny_hparams, tiny_tensor_split

from mitigate.core.config import Params
from mitigate.core.curves import Curves
from mitigate.evaluation.predictor import load_predictor, save_predictor
from mitigate.methods import METHODS
from mitigate.models import MODELS
from mitigate.models.inference import predict_logits
from mitigate.training.loop import build_method, fit
from mitigate.training.settings import TrainSettings

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def params() -> Params:
    return project_params()


def settings_for(params: Params, **changes) -> TrainSettings:
    settings = params.section(TrainSettings, "train")
    return dataclasses.replace(settings, **{"epochs": TINY_EPOCHS, "batch_size": 16, **changes})


def make(params, name: str, train, seed: int = 0, **changes):
    settings = settings_for(params, **changes)
    method = build_method(name, tiny_hparams(params, name), settings, train, NUM_CLASSES, INPUT_SHAPE, seed)
    return method, settings


@pytest.mark.parametrize("arch", sorted(MODELS))
@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_updates_train_its_predictors(params, name, arch):
    train = tiny_tensor_split(64)
    method, settings = make(params, name, train, arch=arch)
    assert method.name == name
    predictors = method.predictors()
    assert predictors
    before = [copy.deepcopy(m.state_dict(keep_vars=False)) for m in predictors]
    generator = torch.Generator().manual_seed(0)
    for epoch in range(method.num_epochs):  # a method with phases (PGD) trains its predictor last
        method.train()
        for batch in list(train.batches(settings.batch_size, generator, method.sampling_weights()))[:3]:
            losses = method.update(batch)
            assert "loss" in losses and next(iter(losses)) == "loss"
            for key, value in losses.items():
                assert isinstance(value, torch.Tensor) and value.dim() == 0, key
                assert torch.isfinite(value), key
                assert not value.requires_grad, key
        method.on_epoch_end(epoch, train)
    for model, old in zip(predictors, before):
        for pname, p in model.named_parameters():
            if p.requires_grad:
                assert not torch.equal(p.detach(), old[pname]), f"{name}/{arch}: {pname} did not change"
    method.eval()
    with torch.no_grad():
        logits = method.predict(train.images(slice(8)))
    assert logits.shape == (8, NUM_CLASSES)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_optimizer_is_the_fused_adam(params, name):
    """The unfused Adam's square root comes from MKL, whose bytes follow the CPU (training/optimizer.py)."""
    method, _ = make(params, name, tiny_tensor_split(8))
    optimizers = [value for value in vars(method).values() if isinstance(value, torch.optim.Optimizer)]
    assert optimizers and all(isinstance(o, torch.optim.Adam) and o.defaults["fused"] for o in optimizers)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_fit_logs_and_is_deterministic(params, name):
    train, valid = tiny_tensor_split(64, seed=0), tiny_tensor_split(32, seed=1)
    runs = []
    for seed in (0, 0, 1):
        method, settings = make(params, name, train, seed=seed)
        curves = Curves()
        log = fit(method, train, valid, settings, seed, curves=curves, progress=False)
        runs.append((method, log, curves))
    (first, log, curves), (second, log2, _), (other, _, _) = runs
    assert "train/loss" in log and "valid/accuracy" in log
    assert 0 <= log["valid/accuracy"] <= 1
    assert all(isinstance(v, float) and torch.isfinite(torch.tensor(v)) for v in log.values())
    assert [epoch for epoch, _ in curves.rows["train/loss"]] == list(range(first.num_epochs))
    assert curves.rows["train/loss"][-1][1] == log["train/loss"]
    assert log2 == log
    a, b, c = first.state_dict(), second.state_dict(), other.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert any(not torch.equal(a[key], c[key]) for key in a)  # another seed trains another model


@pytest.mark.parametrize("arch", sorted(MODELS))
@pytest.mark.parametrize("name", sorted(METHODS))
def test_saved_predictor_predicts_exactly_like_the_method(params, name, arch, tmp_path):
    train = tiny_tensor_split(64)
    method, settings = make(params, name, train, arch=arch)
    method.train()
    for batch in list(train.batches(16))[:2]:
        method.update(batch)
    method.eval()
    path = tmp_path / f"{name}.pt"
    save_predictor(path, method, INPUT_SHAPE, NUM_CLASSES)
    loaded = load_predictor(path, CPU, stage=f"train@{name}")
    assert not loaded.training
    expected = predict_logits(method.predict, train)
    got = predict_logits(loaded, train)
    assert torch.equal(got, expected)
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["method"] == name and checkpoint["arch"] == method.predictor_arch()
    assert checkpoint["input_shape"] == list(INPUT_SHAPE) and checkpoint["num_classes"] == NUM_CLASSES
