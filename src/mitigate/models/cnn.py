import torch
from torch import nn

from .classifier import Classifier
from .registry import register_model


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


@register_model("cnn")
class SmallCNN(Classifier):
    """Three conv blocks (16-32-64 channels, two 2x poolings), global average pooling and a
    linear layer: the last conv features (7 x 7 on 28 px input) and `fc` give class activation
    maps."""

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, widths=(16, 32, 64)):
        super().__init__()
        c1, c2, c3 = widths
        self.body = nn.Sequential(
            conv_block(input_shape[0], c1), nn.MaxPool2d(2),
            conv_block(c1, c2), nn.MaxPool2d(2),
            conv_block(c2, c3),
        )
        self.num_features = c3
        self.fc = nn.Linear(c3, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def pool(self, features: torch.Tensor) -> torch.Tensor:
        return features.mean(dim=(2, 3))
