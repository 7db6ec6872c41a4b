"""Class activation maps of a classifier and CAM-guided patch sampling (BiaSwap, Kim et al. 2021).

For a classifier whose head is global average pooling then a linear layer,
    f(x)_k = sum_{i,j} sum_c w_c^k A_c(i, j) / (W H) + b_k,
so CAM_k(i, j) = sum_c w_c^k A_c(i, j) averages, over positions, to the logit minus its bias.
BiaSwap samples patch centers with P(i, j) = softmax over positions of CAM(i, j).
"""
import torch
import torch.nn.functional as F

from ..core.errors import UserError
from ..models import Classifier


def class_activation_maps(model: Classifier, x: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """CAM of class `classes[n]` for image n: N x H' x W' over the last feature map."""
    features = model.forward_features(x)
    if features.ndim != 4:
        raise UserError(f"class activation maps need a convolutional architecture (e.g. cnn); "
                        f"{type(model).__name__} gives flat features")
    weights = model.fc.weight[classes]  # N x C
    return torch.einsum("nchw,nc->nhw", features, weights)


def patch_center_distribution(cam: torch.Tensor) -> torch.Tensor:
    """P(i, j) = softmax of the CAM over positions: N x H' x W', each map summing to 1."""
    n, h, w = cam.shape
    return F.softmax(cam.reshape(n, h * w), dim=1).reshape(n, h, w)


def uniform_distribution(n: int, h: int, w: int, device: torch.device) -> torch.Tensor:
    return torch.full((n, h, w), 1.0 / (h * w), device=device)


def sample_centers(distribution: torch.Tensor, image_size: tuple[int, int], num: int,
                   generator: torch.Generator) -> torch.Tensor:
    """`num` patch centers per image, N x num x 2 (row, column) in image pixels: a cell of the
    N x H' x W' map is drawn from `distribution`, then a pixel uniformly inside that cell."""
    n, h, w = distribution.shape
    height, width = image_size
    flat = distribution.reshape(n, h * w).cpu()
    cells = torch.multinomial(flat, num, replacement=True, generator=generator)  # N x num
    jitter = torch.rand(n, num, 2, generator=generator)
    rows = ((cells // w).float() + jitter[..., 0]) * (height / h)
    cols = ((cells % w).float() + jitter[..., 1]) * (width / w)
    centers = torch.stack([rows.floor().clamp(max=height - 1), cols.floor().clamp(max=width - 1)], dim=-1)
    return centers.long().to(distribution.device)


def crop_patches(images: torch.Tensor, centers: torch.Tensor, size: int) -> torch.Tensor:
    """Square `size` x `size` patches around `centers` (N x K x 2), zero-padded at the border:
    N x K x C x size x size."""
    n, c, height, width = images.shape
    k = centers.shape[1]
    half = size // 2
    padded = F.pad(images, (half, half, half, half))
    offsets = torch.arange(size, device=images.device)
    rows = (centers[..., 0, None] + offsets).reshape(n, k, size, 1).expand(n, k, size, size)
    cols = (centers[..., 1, None] + offsets).reshape(n, k, 1, size).expand(n, k, size, size)
    flat = (rows * (width + 2 * half) + cols).reshape(n, 1, k * size * size).expand(n, c, k * size * size)
    patches = padded.reshape(n, c, -1).gather(2, flat)
    return patches.reshape(n, c, k, size, size).permute(0, 2, 1, 3, 4)
