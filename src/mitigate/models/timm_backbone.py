"""Any convolutional timm model as a classifier, by name: arch `timm/<timm model name>`, e.g.
`timm/resnet18`, the ResNet-18 of He et al. 2016 (sec. 4.1, table 1) that DFA's Corrupted
CIFAR-10 runs train from scratch. Randomly initialised with timm's own scheme (no pretrained
weights: stages never reach the network). Deviation: DFA's code builds torchvision's resnet18,
whose residual branches start at full scale; timm's ResNets zero the last BatchNorm weight of
each block (`zero_init_last`). timm is imported on first use: it pulls in torchvision, about
1.5 s that stages without a timm architecture need not pay."""
import torch
from torch import nn

from ..core.config import Problems
from .classifier import Classifier

LIST_NAMES = "list the names with: python -c \"import timm; print(timm.list_models('resnet*'))\""


def timm_problems(name: str, key: str) -> Problems:
    import timm
    if not timm.is_model(name):
        yield key, f"unknown timm model {name!r}; {LIST_NAMES}"


class TimmClassifier(Classifier):
    """timm's feature extractor (its classifier and pooling removed: `forward_features` is the
    last feature map, N x C x H x W), global average pooling and our own `fc`."""

    def __init__(self, name: str, input_shape: tuple[int, int, int], num_classes: int):
        import timm
        super().__init__()
        self.body = timm.create_model(name, pretrained=False, num_classes=0, global_pool="", in_chans=input_shape[0])
        self.num_features = self.body.num_features
        self.fc = nn.Linear(self.num_features, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def pool(self, features: torch.Tensor) -> torch.Tensor:
        return features.mean(dim=(2, 3))
