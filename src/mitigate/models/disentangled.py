"""DFA's classifier (Lee et al. 2021): two encoders of one architecture, intrinsic E_i and bias
E_b, whose features are concatenated, z = [z_i ; z_b], and a linear head on z."""
import torch
from torch import nn

from .classifier import Classifier


def encoder_of(model: Classifier) -> Classifier:
    """`model` without its final layer: it then returns its pooled features."""
    model.fc = nn.Identity()
    return model


class DisentangledClassifier(Classifier):
    def __init__(self, intrinsic: Classifier, bias: Classifier, head: nn.Linear):
        super().__init__()
        self.intrinsic, self.bias, self.fc = intrinsic, bias, head

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(z_i, z_b)."""
        return self.intrinsic(x), self.bias(x)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(self.encode(x), dim=1)


def disentangled(encoder: Classifier, other: Classifier, num_classes: int) -> DisentangledClassifier:
    """From two freshly built classifiers of the encoder architecture; a new head of the right size."""
    size = encoder.num_features + other.num_features
    return DisentangledClassifier(encoder_of(encoder), encoder_of(other), nn.Linear(size, num_classes))
