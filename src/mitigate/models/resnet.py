"""ResNet-20 for CIFAR (He et al. 2016, "Deep Residual Learning for Image Recognition", sec. 4.2):
a 3x3 convolution with 16 filters, three stages of 3 basic blocks with 16, 32 and 64 filters
(the second and third start with stride 2), global average pooling and a linear layer; about
0.27M parameters. LfF's and DFA's Corrupted CIFAR-10 ResNet-20 is this network (alinlab/LfF
module/resnet.py, copied by kakaoenterprise/Learning-Debiased-Disentangled), shortcuts and
initialisation included.
"""
import torch
import torch.nn.functional as F
from torch import nn

from .classifier import Classifier
from .registry import register_model


def conv3x3(c_in: int, c_out: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers plus the input (sec. 3.3). Where the block subsamples and widens,
    the shortcut is option A (sec. 3.3, used for CIFAR in sec. 4.2): the input taken at stride 2
    with the new channels zero, half of them on each side, so shortcuts add no parameters."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(c_in, c_out, stride), nn.BatchNorm2d(c_out)
        self.conv2, self.bn2 = conv3x3(c_out, c_out), nn.BatchNorm2d(c_out)
        self.stride, self.extra_channels = stride, c_out - c_in

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        half = self.extra_channels // 2
        return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, half, self.extra_channels - half))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class CifarResNet(Classifier):
    """The 6n + 2 layer CIFAR ResNet of sec. 4.2 (n blocks per stage); `forward_features` is the
    last stage's map, N x 64 x H/4 x W/4."""

    widths = (16, 32, 64)

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, blocks_per_stage: int):
        super().__init__()
        c_in = self.widths[0]
        self.stem = nn.Sequential(conv3x3(input_shape[0], c_in), nn.BatchNorm2d(c_in), nn.ReLU())
        blocks = []
        for stage, width in enumerate(self.widths):
            for i in range(blocks_per_stage):
                blocks.append(BasicBlock(c_in, width, stride=2 if stage > 0 and i == 0 else 1))
                c_in = width
        self.stages = nn.Sequential(*blocks)
        self.num_features = c_in
        self.fc = nn.Linear(c_in, num_classes)
        for module in self.modules():  # He et al. 2015 normal init of every weight, as LfF's code does
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))

    def pool(self, features: torch.Tensor) -> torch.Tensor:
        return features.mean(dim=(2, 3))


@register_model("resnet20")
def resnet20(input_shape, num_classes) -> CifarResNet:
    """ResNet-20 (n = 3): LfF's Corrupted CIFAR-10 classifier."""
    return CifarResNet(input_shape, num_classes, blocks_per_stage=3)
