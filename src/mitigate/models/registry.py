"""Classifiers by architecture name: the built-in ones register themselves with
`register_model`; `timm/<name>` builds a timm model and `disentangled/<arch>` DFA's two-encoder
classifier."""
from collections.abc import Callable

from ..core.config import Problems
from ..core.errors import ConfigError
from .classifier import Classifier
from .disentangled import disentangled
from .timm_backbone import TimmClassifier, timm_problems

MODELS: dict[str, Callable[..., Classifier]] = {}


def register_model(name: str):
    def add(factory):
        MODELS[name] = factory
        return factory
    return add


DISENTANGLED = "disentangled/"  # DFA's two-encoder classifier: "disentangled/<encoder arch>"
TIMM = "timm/"  # a timm model by name: "timm/<timm model name>"


def arch_problems(name: str, key: str = "arch") -> Problems:
    """Why `build_model` cannot build `name`, as (key, message); nothing when it can."""
    if name.startswith(DISENTANGLED):
        yield from arch_problems(name[len(DISENTANGLED):], key)
    elif name.startswith(TIMM):
        yield from timm_problems(name[len(TIMM):], key)
    elif name not in MODELS:
        yield key, (f"unknown architecture {name!r}; valid: {', '.join(sorted(MODELS))}, "
                    f"{TIMM}<timm model name> or {DISENTANGLED}<architecture>")


def build_model(name: str, input_shape: tuple[int, int, int], num_classes: int) -> Classifier:
    for key, message in arch_problems(name):
        raise ConfigError(key, message)
    input_shape = tuple(input_shape)
    if name.startswith(DISENTANGLED):
        encoder = name[len(DISENTANGLED):]
        return disentangled(build_model(encoder, input_shape, num_classes),
                            build_model(encoder, input_shape, num_classes), num_classes)
    if name.startswith(TIMM):
        return TimmClassifier(name[len(TIMM):], input_shape, num_classes)
    return MODELS[name](input_shape=input_shape, num_classes=num_classes)
