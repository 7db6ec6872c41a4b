"""How good are the swaps, on a split where the truth is known: does a swap take the bias
attribute of its style image (bias transfer) and keep the target of its content image (content
kept)? Measured by the judges of the train_judges stage (`biaswap.judges`), for any bias attribute."""
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..core import paths
from ..data.dataset import TensorSplit
from ..evaluation.predictor import load_predictor
from ..models.inference import predict_logits

Judge = Callable[[torch.Tensor], torch.Tensor]  # images -> logits


@dataclass(frozen=True)
class Judges:
    """The two yardsticks of the swaps (train_judges' classifiers, or any functions of images)."""
    bias: Judge  # logits over the bias attributes
    content: Judge  # logits over the targets


def load_judge(judge: str, device: torch.device, root: Path = Path()) -> Judge:
    """The `bias` or `content` judge that train_judges stored under project folder `root`."""
    return load_predictor(root / paths.judge_model(judge), device, stage="train_judges")


def load_judges(device: torch.device, root: Path = Path()) -> Judges:
    return Judges(bias=load_judge("bias", device, root), content=load_judge("content", device, root))


def bias_transfer(bias_judge: Judge, swaps: TensorSplit) -> float:
    """The share of `swaps` that the bias judge assigns their bias attribute (their style image's)."""
    return (predict_logits(bias_judge, swaps).argmax(1) == swaps.bias).float().mean().item()


def swap_pairs(data: TensorSplit, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each bias-aligned image of `data` as content, with a style image of another bias attribute."""
    bias = data.bias.cpu().numpy()
    content = np.flatnonzero(data.aligned.cpu().numpy())
    style = np.array([rng.choice(np.flatnonzero(bias != bias[i])) for i in content])
    return content, style


def share(hits: list[torch.Tensor]) -> float:
    return torch.cat(hits).float().mean().item()


@torch.no_grad()
def swap_quality(autoencoder, judges: Judges, data: TensorSplit, rng: np.random.Generator,
                 batch_size: int = 512) -> dict[str, float]:
    """Each bias-aligned image of `data` swapped with a style image of another bias attribute.
    bias_transfer: the share of swaps the bias judge assigns the style image's bias attribute;
    content_kept: the share the content judge assigns the content image's target, and relative to
    the content judge's accuracy on those content images themselves (0 if it reads none of them
    right); each judge's accuracy on the real images it is applied to (style images, content
    images); the autoencoder's mean L1 reconstruction error per pixel."""
    content, style = swap_pairs(data, rng)
    hits: dict[str, list[torch.Tensor]] = {"bias": [], "content": [], "bias_real": [], "content_real": []}
    for start in range(0, len(content), batch_size):
        c, s = content[start : start + batch_size], style[start : start + batch_size]
        content_images, style_images = data.images(c), data.images(s)
        swaps = autoencoder.swap(content_images, style_images)
        hits["bias"].append(judges.bias(swaps).argmax(1) == data.bias[s])
        hits["content"].append(judges.content(swaps).argmax(1) == data.y[c])
        hits["bias_real"].append(judges.bias(style_images).argmax(1) == data.bias[s])
        hits["content_real"].append(judges.content(content_images).argmax(1) == data.y[c])
    reconstruction_error = sum((autoencoder(x) - x).abs().sum() for x in data.image_chunks(batch_size)) / data.pixels.numel()
    kept, judge_on_real = share(hits["content"]), share(hits["content_real"])
    return {
        "pairs": len(content),
        "bias_transfer": round(share(hits["bias"]), 6),
        "content_kept": round(kept, 6),
        "content_kept_relative": round(kept / judge_on_real, 6) if judge_on_real else 0.0,
        "reconstruction_l1": round(reconstruction_error.item(), 6),
        "bias_judge_on_real": round(share(hits["bias_real"]), 6),
        "content_judge_on_real": round(judge_on_real, 6),
    }
