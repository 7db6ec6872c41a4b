"""Swapping autoencoder (Park et al. 2020), scaled down for 28-32 px images.

The encoder splits an image into a spatial content code (H/4 x W/4) and a global style vector;
the generator decodes (content, style) with style-modulated convolutions (adaptive instance
normalisation), so decoding the content of one image with the style of another swaps them.
An image discriminator judges whole images; the patch co-occurrence discriminator judges
whether a patch comes from the same image as a set of reference patches.
"""
import pickle
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..core.errors import InputError

SAMPLINGS = ("cam", "uniform")  # how crops for the patch discriminator are centered


def lrelu() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.2)


def down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), lrelu())


class Encoder(nn.Module):
    def __init__(self, channels: int, width: int, content_channels: int, style_dim: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, width, 3, padding=1), lrelu(),
                                  down(width, 2 * width), down(2 * width, 4 * width))
        self.content = nn.Conv2d(4 * width, content_channels, 1)
        self.style = nn.Sequential(down(4 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                   nn.Linear(4 * width, style_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.content(h), self.style(h)


class ModulatedBlock(nn.Module):
    """conv 3x3 -> instance norm -> per-channel scale and shift predicted from the style."""

    def __init__(self, c_in: int, c_out: int, style_dim: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.norm = nn.InstanceNorm2d(c_out)
        self.affine = nn.Linear(style_dim, 2 * c_out)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine(style)[:, :, None, None].chunk(2, dim=1)
        return F.leaky_relu(self.norm(self.conv(x)) * (1 + scale) + shift, 0.2)


class Generator(nn.Module):
    def __init__(self, channels: int, width: int, content_channels: int, style_dim: int):
        super().__init__()
        self.stem = nn.Conv2d(content_channels, 4 * width, 1)
        self.blocks = nn.ModuleList([ModulatedBlock(4 * width, 4 * width, style_dim),
                                     ModulatedBlock(4 * width, 2 * width, style_dim),
                                     ModulatedBlock(2 * width, width, style_dim)])
        self.to_image = nn.Conv2d(width, channels, 1)
        self.to_image_scale = nn.Linear(style_dim, width)  # style-modulated output layer (StyleGAN2's toRGB)

    def forward(self, content: torch.Tensor, style: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        h = self.stem(content)
        for i, block in enumerate(self.blocks):
            if i > 0:  # H/4 -> H/2 -> H
                h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = block(h, style)
        if h.shape[-2:] != size:
            h = F.interpolate(h, size=size, mode="bilinear", align_corners=False)
        h = h * (1 + self.to_image_scale(style)[:, :, None, None])
        return torch.sigmoid(self.to_image(h))  # images live in [0, 1]


class SwappingAutoencoder(nn.Module):
    def __init__(self, input_shape: tuple[int, int, int], width: int, content_channels: int, style_dim: int):
        super().__init__()
        channels, height, width_px = input_shape
        self.size = (height, width_px)
        self.encoder = Encoder(channels, width, content_channels, style_dim)
        self.generator = Generator(channels, width, content_channels, style_dim)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x)

    def decode(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return self.generator(content, style, self.size)

    def swap(self, content_images: torch.Tensor, style_images: torch.Tensor) -> torch.Tensor:
        """The content (shape) of `content_images` with the style (bias) of `style_images`."""
        return self.decode(self.encode(content_images)[0], self.encode(style_images)[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(*self.encode(x))


class ImageDiscriminator(nn.Module):
    def __init__(self, channels: int, width: int):
        super().__init__()
        self.body = nn.Sequential(down(channels, width), down(width, 2 * width), down(2 * width, 4 * width),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).squeeze(1)


class PatchCooccurrenceDiscriminator(nn.Module):
    """Logit that `patches` (N x K x C x p x p) co-occur with `references` (N x R x C x p x p),
    i.e. come from the same image: each patch's features, the mean reference features and their
    absolute difference, through an MLP."""

    def __init__(self, channels: int, width: int):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(channels, width, 3, padding=1), lrelu(),
                                      down(width, 2 * width), down(2 * width, 4 * width),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(12 * width, 4 * width), lrelu(), nn.Linear(4 * width, 1))

    def embed(self, patches: torch.Tensor) -> torch.Tensor:
        n, k = patches.shape[:2]
        return self.features(patches.flatten(0, 1)).reshape(n, k, -1)

    def forward(self, patches: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
        target = self.embed(patches)  # N x K x D
        reference = self.embed(references).mean(dim=1, keepdim=True).expand_as(target)
        pair = torch.cat([target, reference, (target - reference).abs()], dim=-1)  # |difference| makes co-occurrence easy to learn
        return self.head(pair).squeeze(-1)  # N x K


def save_autoencoder(path, autoencoder: SwappingAutoencoder, input_shape, settings) -> None:
    torch.save({"input_shape": list(input_shape), "width": settings.width, "content_channels": settings.content_channels,
                "style_dim": settings.style_dim, "state": autoencoder.state_dict()}, path)


def load_autoencoder(path, device: torch.device, stage: str) -> SwappingAutoencoder:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} is missing; regenerate it with `dvc repro {stage}`")
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
        model = SwappingAutoencoder(checkpoint["input_shape"], checkpoint["width"], checkpoint["content_channels"],
                                    checkpoint["style_dim"])
        model.load_state_dict(checkpoint["state"])
    except (RuntimeError, KeyError, EOFError, OSError, ValueError, pickle.UnpicklingError) as error:
        raise InputError(f"{path} is corrupt ({type(error).__name__}); regenerate it with `dvc repro {stage}`") from None
    return model.to(device).eval()
