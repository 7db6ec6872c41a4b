"""Train-time augmentation of image batches, on the compute device, from a seeded generator.

`crop_flip` is the standard CIFAR recipe (He et al. 2016, sec. 4.2; LfF and DFA train Corrupted
CIFAR-10 with it): zero-pad 4 pixels on each side, crop a random window of the original size,
flip horizontally with probability 0.5.
"""
import torch
import torch.nn.functional as F

AUGMENTATIONS = ("none", "crop_flip")
CROP_PADDING = 4


def random_crop_flip(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Per sample of N x C x H x W `x`: an H x W window of `x` zero-padded by `padding`, at an
    offset drawn uniformly from 0..2 `padding` in each direction, mirrored left-right with
    probability 0.5. The draws come from `generator` (on the CPU), whatever the device of `x`."""
    n, _, height, width = x.shape
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(x.device)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    rows = offsets[:, :1] + torch.arange(height, device=x.device)  # N x H, rows of the padded image
    cols = offsets[:, 1:] + torch.arange(width, device=x.device)  # N x W
    cols = torch.where(flip[:, None], cols.flip(1), cols)  # a flipped window reads its columns backwards
    padded = F.pad(x, (padding, padding, padding, padding))
    samples = torch.arange(n, device=x.device)[:, None, None]
    return padded[samples, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()  # N x H x W x C -> N x C x H x W


def augment(x: torch.Tensor, name: str, generator: torch.Generator) -> torch.Tensor:
    """Training images `x` augmented as `name` (one of AUGMENTATIONS) says."""
    return random_crop_flip(x, CROP_PADDING, generator) if name == "crop_flip" else x
