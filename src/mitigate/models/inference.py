"""A forward pass of any model (a network, a method's `predict`) over a split, in batches."""
from collections.abc import Callable

import torch

from ..data.dataset import TensorSplit


@torch.no_grad()
def predict_logits(predict: Callable[[torch.Tensor], torch.Tensor], data: TensorSplit, batch_size: int = 1024) -> torch.Tensor:
    return torch.cat([predict(images) for images in data.image_chunks(batch_size)])
