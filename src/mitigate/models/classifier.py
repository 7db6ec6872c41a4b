"""The interface every classifier implements (after timm's): `forward_features` (a feature map,
N x C x H x W, or a feature vector, N x D), `pool` (to N x D) and the final linear layer `fc`,
so CAM, DFA and LfF can reach each part."""
import torch
from torch import nn


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
