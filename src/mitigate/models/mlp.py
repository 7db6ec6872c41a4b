from math import prod

import torch
from torch import nn

from .classifier import Classifier
from .registry import register_model


class MLP(Classifier):
    """Fully connected ReLU layers of the given widths, then a linear classifier."""

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, widths: tuple[int, ...]):
        super().__init__()
        layers, size = [], prod(input_shape)
        for width in widths:
            layers += [nn.Linear(size, width), nn.ReLU()]
            size = width
        self.body = nn.Sequential(nn.Flatten(), *layers)
        self.num_features = size
        self.fc = nn.Linear(size, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


@register_model("mlp")
def mlp(input_shape, num_classes) -> MLP:
    """The Colored MNIST MLP of LfF: 2352-100-100-100, then the classifier."""
    return MLP(input_shape, num_classes, (100, 100, 100))


@register_model("mlp_dfa")
def mlp_dfa(input_shape, num_classes) -> MLP:
    """DFA's Colored MNIST encoder: 2352-100-100-16 (its 16 features feed DFA's heads)."""
    return MLP(input_shape, num_classes, (100, 100, 16))
