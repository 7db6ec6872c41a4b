"""Presets: every shipped preset is valid params once applied, and reaches DVC as `-S` overrides
that `dvc exp run` applies exactly as `apply_preset` does."""
import subprocess
from pathlib import Path

import pytest
import yaml
from imports import ROOT
from tiny_project import project_environment

from mitigate.biaswap.autoencoder_training import SwapAESettings
from mitigate.biaswap.swaps import AugmentSettings
from mitigate.core.compute import parse_compute
from mitigate.core.config import Params
from mitigate.core.errors import ConfigError, InputError, UserError
from mitigate.evaluation.embedding import EmbedSettings
from mitigate.methods import method_hparams, method_names
from mitigate.noisy.detection import NoiseSplitSettings
from mitigate.presets import apply_preset, available, load_preset, set_param_arguments
from mitigate.training.settings import BiasedSettings, TrainSettings

PRESETS = ROOT / "presets"
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
SECTIONS = ((BiasedSettings, "biased"), (TrainSettings, "train"), (TrainSettings, "judges"), (SwapAESettings, "swapae"),
            (AugmentSettings, "augment"), (EmbedSettings, "embed"), (NoiseSplitSettings, "split_noise"))


def every_section(raw: dict) -> None:
    """Parse every section of the file that a stage parses, as the stages do (raises on the first bad value)."""
    params = Params(raw)
    parse_compute(params.get("compute"))
    for key in ("seed", "device", "data") + (("split",) if "split" in raw else ()):
        getattr(params, key)
    for cls, key in SECTIONS:
        if key in raw:
            params.section(cls, key)
    for method in method_names(params):
        method_hparams(params, method)


def commit_and_run(where: Path, command: list[str]) -> None:
    """Make `where` a committed git + DVC repository, then run `command` there."""
    env = project_environment(where) | dict(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    for step in (["git", "init", "-q"], ["dvc", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "init"], command):
        subprocess.run(step, cwd=where, env=env, check=True, capture_output=True)


@pytest.mark.parametrize("name", available(PRESETS))
def test_every_preset_gives_valid_params(name):
    preset = load_preset(name, PRESETS)
    every_section(apply_preset(yaml.safe_load((ROOT / preset["params"]).read_text()), preset))


def test_presets_ship():
    assert {"colored_fashion_mnist_cpu", "colored_fashion_mnist", "colored_mnist", "corrupted_cifar10", "bffhq",
            "noisy_fashion_mnist_cpu"} <= set(available(PRESETS))
    assert load_preset("noisy_fashion_mnist_cpu", PRESETS)["params"] == "noisy/params.yaml"


def test_overrides_and_removals_as_dvc_arguments(tmp_path):
    (tmp_path / "p.yaml").write_text("set:\n  train.epochs: 5\n  data.root: /a/b\n  swapae_samplings: [cam, uniform]\n"
                                     "  methods.vanilla: dataset\nremove: [methods.pgd]\n")
    preset = load_preset("p", tmp_path)
    assert set_param_arguments(preset) == ["-S", "train.epochs=5", "-S", "data.root=/a/b", "-S", 'swapae_samplings=["cam","uniform"]',
                                           "-S", "methods.vanilla=dataset", "-S", "~methods.pgd"]
    merged = apply_preset(PARAMS, preset)
    assert merged["train"]["epochs"] == 5 and merged["swapae_samplings"] == ["cam", "uniform"] and "pgd" not in merged["methods"]
    assert PARAMS["train"]["epochs"] != 5 and "pgd" in PARAMS["methods"]  # the original is untouched


def test_unknown_key_and_spaces_are_one_line_errors(tmp_path):
    (tmp_path / "typo.yaml").write_text("set:\n  train.epoch: 5\n")
    with pytest.raises(ConfigError, match="train.epoch: not in the preset's params file"):
        apply_preset(PARAMS, load_preset("typo", tmp_path))
    (tmp_path / "space.yaml").write_text("set:\n  data.root: /my data\n")
    with pytest.raises(ConfigError, match="holds a space"):
        set_param_arguments(load_preset("space", tmp_path))
    (tmp_path / "where.yaml").write_text("params: noisy/params\nset:\n  train.epochs: 5\n")
    with pytest.raises(InputError, match="`params` must be a params file's path"):
        load_preset("where", tmp_path)
    with pytest.raises(UserError, match="available: space, typo, where"):
        load_preset("nope", tmp_path)


def test_dvc_exp_run_applies_the_arguments_as_apply_preset_does(tmp_path):
    params = {"train": {"epochs": 3, "lr": 0.001}, "methods": {"vanilla": "dataset", "gce": "dataset"},
              "swapae": {"samplings": ["cam", "uniform"]}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (tmp_path / "dvc.yaml").write_text("stages:\n  echo:\n    cmd: python -c \"print(1)\" > out.txt\n    params: [train, methods, swapae]\n"
                                       "    outs:\n      - out.txt\n")
    (tmp_path / "p.yaml").write_text("set:\n  train.epochs: 5\n  train.lr: 0.01\n  swapae.samplings: [cam]\nremove: [methods.gce]\n")
    preset = load_preset("p", tmp_path)
    commit_and_run(tmp_path, ["dvc", "exp", "run", *set_param_arguments(preset)])
    assert yaml.safe_load((tmp_path / "params.yaml").read_text()) == apply_preset(params, preset)


def test_a_preset_of_another_params_file_reaches_that_file(tmp_path):
    (tmp_path / "track").mkdir()
    params = {"train": {"epochs": 3}, "methods": {"vanilla": "dataset", "gce": "dataset"}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "track" / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "track" / "dvc.yaml").write_text("stages:\n  echo:\n    cmd: python -c \"print(1)\" > out.txt\n"
                                                 "    params: [train, methods]\n    outs:\n      - out.txt\n")
    (tmp_path / "p.yaml").write_text("params: track/params.yaml\nset:\n  train.epochs: 5\nremove: [methods.gce]\n")
    preset = load_preset("p", tmp_path)
    assert set_param_arguments(preset) == ["-S", "track/params.yaml:train.epochs=5", "-S", "track/params.yaml:~methods.gce"]
    commit_and_run(tmp_path, ["dvc", "exp", "run", "track/dvc.yaml", *set_param_arguments(preset)])
    assert yaml.safe_load((tmp_path / "track" / "params.yaml").read_text()) == apply_preset(params, preset)
    assert yaml.safe_load((tmp_path / "params.yaml").read_text()) == params  # the other file is untouched
