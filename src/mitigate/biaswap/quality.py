"""How good are the swaps, on Colored MNIST where the truth is known: does a swap take the color
of its style image (bias transfer) and keep the digit of its content image (content kept)?"""
import numpy as np
import torch

from ..data.colored_mnist import nearest_palette_color
from ..data.dataset import TensorSplit
from ..methods import Method
from ..training.loop import build_method, fit
from ..training.settings import TrainSettings


def gray(images: torch.Tensor) -> torch.Tensor:
    """The digit without its color: brightest channel, scaled so each image peaks at 1."""
    shape = images.amax(dim=1, keepdim=True)
    return shape / shape.flatten(1).amax(1).clamp(min=1e-6)[:, None, None, None]


def train_digit_judge(train: TensorSplit, valid: TensorSplit, epochs: int, seed: int) -> tuple[Method, float]:
    """A small CNN trained on the gray training digits: it cannot see color, so it tells whether
    a swap kept its content's digit. Returns it and its accuracy on the gray valid digits."""
    settings = TrainSettings(arch="cnn", epochs=epochs, batch_size=256, lr=1e-3, weight_decay=0.0, augment="none")
    gray_train, gray_valid = (data.with_images(torch.cat([gray(x) for x in data.image_chunks(4096)]))
                              for data in (train, valid))
    judge = build_method("vanilla", None, settings, gray_train, int(train.y.max()) + 1, gray_train.image_shape, seed)
    log = fit(judge, gray_train, gray_valid, settings, seed, desc="digit judge")
    return judge, log["valid/accuracy"]


def swap_pairs(data: TensorSplit, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each bias-aligned image of `data` as content, with a style image of another bias attribute."""
    bias = data.bias.cpu().numpy()
    content = np.flatnonzero(data.aligned.cpu().numpy())
    style = np.array([rng.choice(np.flatnonzero(bias != bias[i])) for i in content])
    return content, style


@torch.no_grad()
def swap_quality(autoencoder, judge: Method, data: TensorSplit, rng: np.random.Generator,
                 batch_size: int = 512) -> dict[str, float]:
    content, style = swap_pairs(data, rng)
    hits_bias, hits_content = [], []
    for start in range(0, len(content), batch_size):
        c, s = content[start : start + batch_size], style[start : start + batch_size]
        swaps = autoencoder.swap(data.images(c), data.images(s))
        hits_bias.append(nearest_palette_color(swaps) == data.bias[s])
        hits_content.append(judge.predict(gray(swaps)).argmax(1) == data.y[c])
    reconstruction_error = sum((autoencoder(x) - x).abs().sum() for x in data.image_chunks(batch_size)) / data.pixels.numel()
    return {
        "pairs": len(content),
        "bias_transfer": round(torch.cat(hits_bias).float().mean().item(), 6),
        "content_kept": round(torch.cat(hits_content).float().mean().item(), 6),
        "reconstruction_l1": round(reconstruction_error.item(), 6),
        # the two yardsticks on real images: how often they are right when nothing is swapped
        "color_measure_on_real": round((torch.cat([nearest_palette_color(x) for x in data.image_chunks(batch_size)])
                                        == data.bias).float().mean().item(), 6),
    }
