"""Classifiers behind one interface and a registry (after timm's).

Every classifier splits into `forward_features` (a feature map, N x C x H x W, or a feature
vector, N x D), `pool` (to N x D) and the final linear layer `fc`, so CAM, DFA and LfF can reach
each part.
"""
from typing import Callable

import torch
from torch import nn

from ..config import Problems
from ..errors import ConfigError


class Classifier(nn.Module):
    fc: nn.Linear
    num_features: int  # size of the pooled features that `fc` reads

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def pool(self, features: torch.Tensor) -> torch.Tensor:
        return features

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


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


from . import cnn, mlp, resnet  # noqa: E402,F401  (register the built-in architectures)
from .disentangled import disentangled  # noqa: E402
from .timm_backbone import TimmClassifier, timm_problems  # noqa: E402
