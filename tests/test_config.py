"""params.yaml validation and the one-line errors for bad or missing inputs."""
import copy
import math

import numpy as np
import pytest
import torch
import yaml
from imports import ROOT
from tiny import INPUT_SHAPE, NUM_CLASSES, tiny_split, tiny_tensor_split

from mitigate.core.config import DataSettings, Params, SplitSettings
from mitigate.core.errors import ConfigError, InputError, UserError
from mitigate.data.dataset import SPLITS, load_info, load_split, save_dataset
from mitigate.evaluation.predictor import load_predictor, save_predictor
from mitigate.methods import METHODS, method_hparams, method_names, training_set_of
from mitigate.training.loop import build_method
from mitigate.training.settings import BiasedSettings, TrainSettings

PARAMS = ROOT / "params.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(PARAMS.read_text())


def one_line(error: Exception) -> str:
    message = str(error)
    assert message and "\n" not in message, message
    return message


# --- the project's params.yaml --------------------------------------------------------------

def test_project_params_parse():
    params = Params.load(PARAMS)
    assert isinstance(params.seed, int) and params.seed >= 0
    assert isinstance(params.device, str)
    assert isinstance(params.data, DataSettings)
    assert isinstance(params.split, SplitSettings)
    assert isinstance(params.section(TrainSettings, "train"), TrainSettings)
    biased = params.section(BiasedSettings, "biased")
    assert isinstance(biased, BiasedSettings) and 0 < biased.q <= 1
    names = method_names(params)
    assert names and set(names) <= set(METHODS)


def test_every_registered_method_runs_in_a_scenario_with_valid_hyper_parameters():
    bias, noisy = Params.load(PARAMS), Params.load(ROOT / "noisy/params.yaml")
    assert set(method_names(bias)) | set(method_names(noisy)) == set(METHODS)
    for params in (bias, noisy):
        for name in method_names(params):
            assert isinstance(method_hparams(params, name), METHODS[name].Hparams)


def test_settings_are_frozen():
    params = Params.load(PARAMS)
    with pytest.raises(AttributeError):
        params.data.aligned_ratio = 0.5


def test_float_written_as_yaml_1_1_string_is_accepted(raw):
    changed = copy.deepcopy(raw)
    changed["train"]["lr"] = "1e-3"  # PyYAML reads 1e-3 as a string
    changed["train"]["weight_decay"] = 0  # an int where a float is expected
    settings = Params(changed).section(TrainSettings, "train")
    assert settings.lr == 0.001 and isinstance(settings.weight_decay, float)


def test_split_threshold_rules_and_numbers_are_accepted(raw):
    for value in ("mean", "otsu", 0, 0.5, 1):
        changed = copy.deepcopy(raw)
        changed["split"]["threshold"] = value
        assert Params(changed).split.threshold == value


# --- bad values: a ConfigError of one line naming the key -----------------------------------

def data(p):
    return p.data


def train(p):
    return p.section(TrainSettings, "train")


def biased(p):
    return p.section(BiasedSettings, "biased")


def split(p):
    return p.split


def methods(p):
    return method_names(p)


def biaswap_set(p):
    return training_set_of(p, "biaswap")


def lff(p):
    return method_hparams(p, "lff")


def seed(p):
    return p.seed


def setter(section, key, value):
    def change(raw):
        raw[section][key] = value
    return change


def deleter(section, key):
    def change(raw):
        del raw[section][key]
    return change


def top(key, value):
    def change(raw):
        raw[key] = value
    return change


BAD = [
    ("data.aligned_ratio", setter("data", "aligned_ratio", 1.5), data),
    ("data.aligned_ratio", setter("data", "aligned_ratio", 0), data),
    ("data.aligned_ratio", setter("data", "aligned_ratio", "high"), data),
    ("data.aligned_ratio", setter("data", "aligned_ratio", True), data),
    ("data.dataset", setter("data", "dataset", "foo"), data),
    ("data.source", setter("data", "source", "bar"), data),
    ("data.severity", setter("data", "severity", 6), data),
    ("data.severity", setter("data", "severity", 4.0), data),
    ("data.valid_fraction", setter("data", "valid_fraction", 1.0), data),
    ("data.test_size", setter("data", "test_size", 0), data),
    ("data.label_noise", setter("data", "label_noise", "pairs"), data),
    ("data.noise_rate", setter("data", "noise_rate", 0.2), data),  # with label_noise none
    ("data.colour", setter("data", "colour", "red"), data),
    ("data.severity", deleter("data", "severity"), data),
    ("data", top("data", [1, 2]), data),
    ("data", lambda raw: raw.pop("data"), data),
    ("train.arch", setter("train", "arch", "nope"), train),
    ("train.epochs", setter("train", "epochs", 0), train),
    ("train.epochs", setter("train", "epochs", -1), train),
    ("train.epochs", setter("train", "epochs", 1.5), train),
    ("train.epochs", setter("train", "epochs", True), train),
    ("train.batch_size", setter("train", "batch_size", 0), train),
    ("train.lr", setter("train", "lr", 0.0), train),
    ("train.lr", setter("train", "lr", "fast"), train),
    ("train.weight_decay", setter("train", "weight_decay", -0.1), train),
    ("biased.q", setter("biased", "q", 0), biased),
    ("biased.q", setter("biased", "q", 1.5), biased),
    ("biased.arch", setter("biased", "arch", "nope"), biased),
    ("split.threshold", setter("split", "threshold", "median"), split),
    ("split.threshold", setter("split", "threshold", 1.5), split),
    ("split.threshold", setter("split", "threshold", True), split),
    ("methods", top("methods", {"vanilla": "dataset", "nope": "dataset"}), methods),
    ("methods", top("methods", {}), methods),
    ("methods", top("methods", ["vanilla", "lff"]), methods),
    ("methods.vanilla", top("methods", {"vanilla": "elsewhere"}), methods),
    ("methods.biaswap", top("methods", {"biaswap": "dataset"}), biaswap_set),
    ("hparams.lff", lambda raw: raw["hparams"].pop("lff"), lff),
    ("hparams.lff.q", lambda raw: raw["hparams"]["lff"].update(q=0), lff),
    ("hparams.lff.ema_alpha", lambda raw: raw["hparams"]["lff"].update(ema_alpha=1.0), lff),
    ("hparams.lff.beta", lambda raw: raw["hparams"]["lff"].update(beta=1.0), lff),
    ("seed", top("seed", -1), seed),
    ("seed", top("seed", "zero"), seed),
]


@pytest.mark.parametrize("key,change,parse", BAD, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(BAD)])
def test_bad_value_is_one_line_config_error_naming_the_key(raw, key, change, parse):
    changed = copy.deepcopy(raw)
    change(changed)
    with pytest.raises(ConfigError) as caught:
        parse(Params(changed))
    message = one_line(caught.value)
    assert caught.value.key == key
    assert message.startswith(f"params.yaml: {key}: "), message
    assert isinstance(caught.value, UserError)


def test_bad_value_read_from_a_file(raw, tmp_path):
    changed = copy.deepcopy(raw)
    changed["data"]["aligned_ratio"] = 1.5
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(changed))
    with pytest.raises(ConfigError) as caught:
        _ = Params.load(path).data
    assert str(caught.value) == "params.yaml: data.aligned_ratio: must be in (0, 1), got 1.5"


def test_a_bad_section_does_not_stop_another(raw):
    changed = copy.deepcopy(raw)
    changed["train"]["epochs"] = 0
    params = Params(changed)
    assert params.data.aligned_ratio == raw["data"]["aligned_ratio"]  # sections are parsed lazily
    with pytest.raises(ConfigError, match="train.epochs"):
        params.section(TrainSettings, "train")


@pytest.mark.parametrize("key", ["lr", "weight_decay"])
def test_nan_learning_rate_is_rejected(raw, key):
    changed = copy.deepcopy(raw)
    changed["train"][key] = math.nan
    with pytest.raises(ConfigError, match=f"train.{key}"):
        Params(changed).section(TrainSettings, "train")


# --- params.yaml itself missing or unreadable -----------------------------------------------

def test_missing_params_file(tmp_path):
    path = tmp_path / "params.yaml"
    with pytest.raises(InputError) as caught:
        Params.load(path)
    message = one_line(caught.value)
    assert str(path) in message and "missing" in message


def test_invalid_yaml(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data:\n  dataset: [colored_mnist\n  source: embedded\n")
    with pytest.raises(InputError) as caught:
        Params.load(path)
    message = one_line(caught.value)
    assert str(path) in message and "not valid YAML" in message


def test_yaml_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(InputError) as caught:
        Params.load(path)
    assert "mapping" in one_line(caught.value)


# --- the stored dataset missing or corrupt --------------------------------------------------

@pytest.fixture
def dataset(tmp_path):
    directory = tmp_path / "dataset"
    splits = {name: tiny_split(8, seed=i) for i, name in enumerate(SPLITS)}
    save_dataset(directory, splits, NUM_CLASSES, NUM_CLASSES)
    return directory, splits


def test_dataset_round_trip(dataset):
    directory, splits = dataset
    assert load_info(directory) == {"num_classes": NUM_CLASSES, "num_bias": NUM_CLASSES, "input_shape": [3, 28, 28]}
    for name, split in splits.items():
        loaded = load_split(directory, name)
        np.testing.assert_array_equal(loaded.images, split.images)
        assert loaded.table.equals(split.table)


def assert_regenerate_hint(error: InputError, path) -> None:
    message = one_line(error)
    assert str(path) in message, message
    assert "`dvc repro`" in message, message


def test_load_split_of_a_missing_directory(tmp_path):
    with pytest.raises(InputError) as caught:
        load_split(tmp_path / "nowhere", "train")
    assert_regenerate_hint(caught.value, tmp_path / "nowhere" / "train")
    assert "missing" in str(caught.value)


def test_load_split_with_garbage_images(dataset):
    directory, _ = dataset
    (directory / "train" / "images.npy").write_bytes(b"this is not a numpy file\x00\x01\x02")
    with pytest.raises(InputError) as caught:
        load_split(directory, "train")
    assert_regenerate_hint(caught.value, directory / "train")
    assert "corrupt" in str(caught.value)


def test_load_split_with_truncated_images(dataset):
    directory, _ = dataset
    path = directory / "valid" / "images.npy"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(InputError) as caught:
        load_split(directory, "valid")
    assert_regenerate_hint(caught.value, directory / "valid")


def test_load_split_with_a_table_that_disagrees(dataset):
    directory, _ = dataset
    table = directory / "test" / "samples.csv"
    table.write_text("\n".join(table.read_text().splitlines()[:-2]) + "\n")  # two rows fewer than images
    with pytest.raises(InputError) as caught:
        load_split(directory, "test")
    assert_regenerate_hint(caught.value, directory / "test")


def test_load_split_with_an_empty_table(dataset):
    directory, _ = dataset
    (directory / "test" / "samples.csv").write_text("")
    with pytest.raises(InputError) as caught:
        load_split(directory, "test")
    assert_regenerate_hint(caught.value, directory / "test")


def test_load_info_missing_and_corrupt(dataset):
    directory, _ = dataset
    (directory / "info.json").write_text("{not json")
    with pytest.raises(InputError) as caught:
        load_info(directory)
    assert_regenerate_hint(caught.value, directory / "info.json")
    (directory / "info.json").unlink()
    with pytest.raises(InputError) as caught:
        load_info(directory)
    assert_regenerate_hint(caught.value, directory / "info.json")


# --- a stored predictor missing or corrupt --------------------------------------------------

@pytest.fixture
def checkpoint(tmp_path):
    params = Params.load(PARAMS)
    settings = params.section(TrainSettings, "train")
    method = build_method("vanilla", method_hparams(params, "vanilla"), settings, tiny_tensor_split(8),
                          NUM_CLASSES, INPUT_SHAPE, seed=0)
    path = tmp_path / "vanilla.pt"
    save_predictor(path, method, INPUT_SHAPE, NUM_CLASSES)
    return path


def test_load_predictor_of_a_missing_file(tmp_path):
    path = tmp_path / "model.pt"
    with pytest.raises(InputError) as caught:
        load_predictor(path, torch.device("cpu"), "train@lff")
    message = one_line(caught.value)
    assert str(path) in message and "missing" in message and "`dvc repro train@lff`" in message


def test_load_predictor_of_a_truncated_file(checkpoint):
    checkpoint.write_bytes(checkpoint.read_bytes()[:300])
    with pytest.raises(InputError) as caught:
        load_predictor(checkpoint, torch.device("cpu"), "train@vanilla")
    message = one_line(caught.value)
    assert str(checkpoint) in message and "corrupt" in message and "`dvc repro train@vanilla`" in message


@pytest.mark.parametrize("content", [b"", {"arch": "mlp"}, "wrong-shape"], ids=["empty", "no-members", "wrong-shape"])
def test_load_predictor_of_a_wrong_checkpoint(checkpoint, content):
    if content == "wrong-shape":
        stored = torch.load(checkpoint, weights_only=True)
        stored["num_classes"] = 3  # the saved weights are for 10 classes
        torch.save(stored, checkpoint)
    elif isinstance(content, dict):
        torch.save(content, checkpoint)
    else:
        checkpoint.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_predictor(checkpoint, torch.device("cpu"), "train_biased")
    message = one_line(caught.value)
    assert str(checkpoint) in message and "`dvc repro train_biased`" in message


def test_load_predictor_of_a_garbage_file(checkpoint):
    checkpoint.write_bytes(b"garbage, not a checkpoint\x00\x01")
    with pytest.raises(InputError):
        load_predictor(checkpoint, torch.device("cpu"), "train_biased")
