"""ResNet-20, timm backbones by name, and what the pipeline asks of them: settings validation,
seeded initialisation, DFA's two encoders, the GCE-biased model, checkpoints and CAMs."""
import copy
import dataclasses

import pytest
import torch
import yaml
from imports import ROOT
from tiny import INPUT_SHAPE, NUM_CLASSES, build_tiny_method, rejected_key, tiny_tensor_split

from mitigate.biaswap.cam import class_activation_maps
from mitigate.core.config import Params
from mitigate.core.errors import ConfigError
from mitigate.evaluation.predictor import load_predictor, save_predictor
from mitigate.methods import method_hparams
from mitigate.methods.gce import GCEHparams
from mitigate.models import build_model
from mitigate.models.inference import predict_logits
from mitigate.models.resnet import CifarResNet
from mitigate.models.timm_backbone import TimmClassifier
from mitigate.training.loop import build_method, fit
from mitigate.training.method import ModelFactory
from mitigate.training.settings import BiasedSettings, TrainSettings

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_resnet20_has_the_papers_layers_and_parameter_count():
    model = build_model("resnet20", (3, 32, 32), 10)
    assert isinstance(model, CifarResNet)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) + 1 == 20  # 19 convolutions (none in the shortcuts, option A) and fc
    assert [c.out_channels for c in convs] == [16] * 7 + [32] * 6 + [64] * 6
    assert sum(p.numel() for p in model.parameters()) == 269_722  # "0.27M" (He et al. 2016, table 6)


def test_resnet20_features_are_the_last_stage_map_and_pool_to_the_head():
    model = build_model("resnet20", (3, 32, 32), 10).eval()
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        features = model.forward_features(x)
        assert features.shape == (4, 64, 8, 8)
        assert torch.equal(model.pool(features), features.mean(dim=(2, 3)))
        assert torch.allclose(model(x), model.fc(features.mean(dim=(2, 3))))
    assert build_model("resnet20", (1, 28, 28), 2).forward_features(torch.rand(2, 1, 28, 28)).shape == (2, 64, 7, 7)


def test_resnet20_shortcut_subsamples_and_zero_pads_the_new_channels():
    block = build_model("resnet20", (3, 32, 32), 10).stages[3]  # first block of stage 2: 16 -> 32 channels, stride 2
    x = torch.rand(2, 16, 8, 8)
    shortcut = block.shortcut(x)
    assert shortcut.shape == (2, 32, 4, 4)
    assert torch.equal(shortcut[:, 8:24], x[:, :, ::2, ::2])
    assert shortcut[:, :8].abs().sum() == 0 and shortcut[:, 24:].abs().sum() == 0


def test_timm_backbone_by_name_gives_its_feature_map_and_our_head():
    model = build_model("timm/resnet18", (1, 64, 64), 3).eval()
    assert isinstance(model, TimmClassifier) and model.num_features == 512
    assert model.fc.in_features == 512 and model.fc.out_features == 3
    x = torch.rand(2, 1, 64, 64)  # in_chans follows the input shape
    with torch.no_grad():
        features = model.forward_features(x)
        assert features.shape == (2, 512, 2, 2)
        assert torch.allclose(model(x), model.fc(features.mean(dim=(2, 3))))


def test_unknown_timm_name_is_a_one_line_config_error_saying_how_to_list_names():
    with pytest.raises(ConfigError) as caught:
        build_model("timm/resnet_nope", INPUT_SHAPE, NUM_CLASSES)
    assert caught.value.key == "arch"
    assert "\n" not in str(caught.value) and "timm.list_models(" in str(caught.value)
    assert "'resnet_nope'" in str(caught.value)


@pytest.mark.parametrize("arch", ["resnet20", "timm/resnet18", "disentangled/resnet20", "disentangled/timm/resnet18"])
@pytest.mark.parametrize("section,cls", [("train", TrainSettings), ("biased", BiasedSettings)])
def test_settings_accept_resnet20_timm_and_disentangled_names(raw, section, cls, arch):
    changed = copy.deepcopy(raw)
    changed[section]["arch"] = arch
    assert Params(changed).section(cls, section).arch == arch


@pytest.mark.parametrize("arch", ["timm/resnet_nope", "disentangled/nope", "resnet"])
def test_settings_reject_unknown_architectures_naming_the_key(raw, arch):
    changed = copy.deepcopy(raw)
    changed["train"]["arch"] = arch
    with pytest.raises(ConfigError) as caught:
        Params(changed).section(TrainSettings, "train")
    assert caught.value.key == "train.arch"


def test_dfa_encoder_may_be_resnet20_or_a_timm_model():
    hparams = method_hparams(Params.load(ROOT / "params.yaml"), "dfa")
    for encoder in ("resnet20", "timm/resnet18"):
        assert rejected_key(type(hparams), dataclasses.replace(hparams, encoder=encoder)) is None
    assert rejected_key(type(hparams), dataclasses.replace(hparams, encoder="timm/resnet_nope")) == "encoder"


@pytest.mark.parametrize("arch", ["resnet20", "timm/resnet18"])
def test_initial_weights_depend_only_on_seed_and_role(arch):
    def weights(seed, role="main"):
        return ModelFactory(arch, INPUT_SHAPE, NUM_CLASSES, seed, CPU)(role).state_dict()

    first, again, other_seed, other_role = weights(0), weights(0), weights(1), weights(0, "peer")
    assert all(torch.equal(first[k], again[k]) for k in first)
    float_keys = [k for k in first if first[k].is_floating_point() and first[k].std() > 0]
    assert all(not torch.equal(first[k], other_seed[k]) for k in float_keys)
    assert all(not torch.equal(first[k], other_role[k]) for k in float_keys)


def test_dfa_on_resnet20_encoders_every_parameter_learns():
    dfa, train = build_tiny_method("dfa", encoder="resnet20", swap_start=0.0)
    assert isinstance(dfa.model.intrinsic, CifarResNet) and dfa.model.fc.in_features == 128
    generator = torch.Generator().manual_seed(0)
    for batch in list(train.batches(16, generator))[:2]:
        losses = dfa.update(batch)
        assert all(torch.isfinite(v) for v in losses.values())
    missing = [name for name, p in dfa.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert missing == []


@pytest.mark.parametrize("arch", ["resnet20", "timm/resnet18"])
def test_gce_biased_model_trains_round_trips_and_gives_cams(raw, arch, tmp_path):
    """The train_biased stage's model (GCE, `biased` settings) on either architecture, then what
    the split stage does with it: load the checkpoint back and take class activation maps."""
    changed = copy.deepcopy(raw)
    changed["biased"] |= {"arch": arch, "augment": "crop_flip"}
    settings = dataclasses.replace(Params(changed).section(BiasedSettings, "biased"), epochs=1, batch_size=32)
    train, valid = tiny_tensor_split(64, seed=0), tiny_tensor_split(16, seed=1)
    method = build_method("gce", GCEHparams(q=settings.q), settings, train, NUM_CLASSES, INPUT_SHAPE, seed=0)
    log = fit(method, train, valid, settings, seed=0, progress=False)
    assert torch.isfinite(torch.tensor(log["train/loss"]))
    path = tmp_path / "biased.pt"
    save_predictor(path, method, INPUT_SHAPE, NUM_CLASSES)
    loaded = load_predictor(path, CPU, stage="train_biased")
    assert torch.equal(predict_logits(loaded, valid), predict_logits(method.predict, valid))
    model, classes = loaded.members[0], valid.y[:4]
    with torch.no_grad():
        cam = class_activation_maps(model, valid.images(slice(4)), classes)
        expected = model(valid.images(slice(4)))[torch.arange(4), classes] - model.fc.bias[classes]
    assert torch.allclose(cam.mean(dim=(1, 2)), expected, atol=1e-5)
