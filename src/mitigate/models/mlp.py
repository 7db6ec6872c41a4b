from math import prod

import torch
from torch import nn

from . import Classifier, register_model


@register_model("mlp")
class MLP(Classifier):
    """The Colored MNIST MLP of LfF: 2352-100-100-100, ReLU, then a linear classifier."""

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, width: int = 100, depth: int = 3):
        super().__init__()
        layers, size = [], prod(input_shape)
        for _ in range(depth):
            layers += [nn.Linear(size, width), nn.ReLU()]
            size = width
        self.body = nn.Sequential(nn.Flatten(), *layers)
        self.num_features = width
        self.fc = nn.Linear(width, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
