"""docs/adding_a_method.md works as written: its module registers and trains, its params parse."""
import dataclasses
import importlib.util
import re
import sys

import pytest
import torch
import torch.nn.functional as F
import yaml
from imports import ROOT
from tiny import INPUT_SHAPE, NUM_CLASSES, project_params, tiny_tensor_split

from mitigate.core.config import parse_section
from mitigate.core.errors import ConfigError
from mitigate.methods import METHODS
from mitigate.training.loop import build_method, fit
from mitigate.training.settings import TrainSettings

PAGE = (ROOT / "docs/adding_a_method.md").read_text()


def code_block(language: str, index: int = 0) -> str:
    return re.findall(rf"```{language}\n(.*?)```", PAGE, re.S)[index]


@pytest.fixture
def bootstrap(tmp_path, monkeypatch):
    """The page's module, imported as mitigate.methods.bootstrap; the registry is restored after."""
    monkeypatch.setattr(METHODS, "_classes", dict(METHODS._classes))
    path = tmp_path / "bootstrap.py"
    path.write_text(code_block("python"))
    spec = importlib.util.spec_from_file_location("mitigate.methods.bootstrap", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return METHODS["bootstrap"]


def test_the_page_s_params_parse_and_bad_ones_name_their_key(bootstrap):
    params = yaml.safe_load(code_block("yaml"))
    assert params["methods"] == {"bootstrap": "dataset"}
    assert parse_section(bootstrap.Hparams, params["hparams"]["bootstrap"], "hparams.bootstrap").beta == 0.95
    with pytest.raises(ConfigError, match=r"^params.yaml: hparams.bootstrap.beta: must be in \(0, 1\], got 1.5$"):
        parse_section(bootstrap.Hparams, {"beta": 1.5}, "hparams.bootstrap")


def test_the_page_s_method_is_cross_entropy_at_beta_1_and_trains(bootstrap):
    settings = dataclasses.replace(project_params().section(TrainSettings, "train"), epochs=1, batch_size=16)
    train = tiny_tensor_split(32)

    def make(beta: float):
        return build_method("bootstrap", bootstrap.Hparams(beta=beta), settings, train, NUM_CLASSES, INPUT_SHAPE, seed=0)

    logits, y = torch.randn(8, NUM_CLASSES), torch.randint(0, NUM_CLASSES, (8,))
    torch.testing.assert_close(make(1.0).loss(logits, y), F.cross_entropy(logits, y, reduction="none"))
    # beta < 1 adds the prediction's entropy: the loss of a confident wrong prediction shrinks
    confident = torch.tensor([[10.0, 0.0, 0.0] + [0.0] * (NUM_CLASSES - 3)])
    assert make(0.5).loss(confident, torch.tensor([1])) < make(1.0).loss(confident, torch.tensor([1]))
    log = fit(make(0.95), train, train, settings, seed=0)
    assert log["train/loss"] > 0
