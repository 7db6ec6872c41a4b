"""Tiny random datasets for fast CPU tests, and methods built on them."""
import dataclasses

import numpy as np
import torch
import yaml
from imports import ROOT

from mitigate.core.config import Params, parse_section
from mitigate.core.errors import ConfigError
from mitigate.data.dataset import Split, TensorSplit, make_split
from mitigate.methods import method_hparams
from mitigate.training.loop import build_method
from mitigate.training.settings import TrainSettings

INPUT_SHAPE = (3, 28, 28)
NUM_CLASSES = 10


def tiny_split(n: int = 64, seed: int = 0) -> Split:
    """`n` random 28 x 28 RGB uint8 images with random labels and bias attributes in 0..9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28, 3), dtype=np.uint8)
    labels = rng.integers(0, NUM_CLASSES, size=n)
    bias = np.where(rng.random(n) < 0.8, labels, rng.integers(0, NUM_CLASSES, size=n))
    return make_split(images, labels, bias, np.arange(n))


def tiny_tensor_split(n: int = 64, seed: int = 0) -> TensorSplit:
    return TensorSplit(tiny_split(n, seed), torch.device("cpu"))


TINY_EPOCHS = 2
# Phases of 1 of TINY_EPOCHS epochs each (params.yaml's fractions round to 0 epochs of 2).
TINY_PHASES = {"dfa": {"swap_start": 0.5, "lr_decay_every": 0.5}, "nal": {"warmup": 0.5},
               "dividemix": {"warmup": 0.5, "rampup": 0.5}, "coteaching": {"ramp": 0.5},
               "pgd": {"biased_length": 0.5}, "jtt": {"identification_length": 0.5}}


def project_params() -> Params:
    """The bias track's params.yaml with the noisy-label track's `split_noise` and method
    hyper-parameters added (noisy/params.yaml): every registered method as its scenario sets it."""
    bias, noisy = (yaml.safe_load((ROOT / name).read_text()) for name in ("params.yaml", "noisy/params.yaml"))
    return Params({**bias, "split_noise": noisy["split_noise"], "hparams": {**noisy["hparams"], **bias["hparams"]}})


def tiny_hparams(params: Params, name: str, **changes):
    """params.yaml's hyper-parameters of method `name`, with TINY_PHASES and then `changes`."""
    return dataclasses.replace(method_hparams(params, name), **{**TINY_PHASES.get(name, {}), **changes})


def build_tiny_method(name: str, n: int = 64, epochs: int = TINY_EPOCHS, **changes):
    """Method `name` with params.yaml's settings and `tiny_hparams` (`changes` applied last),
    batch size 16, on `tiny_tensor_split(n)`; returns (method, training split)."""
    params = project_params()
    settings = dataclasses.replace(params.section(TrainSettings, "train"), epochs=epochs, batch_size=16)
    train = tiny_tensor_split(n)
    return build_method(name, tiny_hparams(params, name, **changes), settings, train, NUM_CLASSES, INPUT_SHAPE, seed=0), train


def rejected_key(cls, values: dict) -> str | None:
    """The sub-key whose one-line error `parse_section` raises for settings `cls` built from
    `values` (a dataclass instance's fields, or a mapping); None when they are valid."""
    raw = values if isinstance(values, dict) else {f.name: getattr(values, f.name) for f in dataclasses.fields(values)}
    try:
        parse_section(cls, raw, "section")
    except ConfigError as error:
        return error.key.removeprefix("section.")
    return None
