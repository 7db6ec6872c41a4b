"""Colored MNIST as in LfF (Nam et al. 2020): the digit is colored, the color is the bias."""
import numpy as np

# Mean colors (RGB in [0, 1]) of bias attributes 0..9, from the LfF code.
PALETTE = np.array([
    (0.9837, 0.3125, 0.1686), (0.9905, 0.9156, 0.3515), (0.6730, 0.4611, 0.5798),
    (0.7833, 0.8316, 0.6013), (0.0880, 0.7780, 0.9818), (0.3214, 0.9611, 0.4464),
    (0.0246, 0.2357, 0.7587), (0.5552, 0.1016, 0.7618), (0.2077, 0.3929, 0.0187),
    (0.8337, 0.2024, 0.2669),
])
# Std of the per-image color noise for severity 1..5 (LfF); the headline runs use severity 4.
COLOR_STD = {1: 0.05, 2: 0.02, 3: 0.01, 4: 0.005, 5: 0.002}


CHUNK = 2048  # images colored at once: bounds the float64 working copy (2048 x 28 x 28 x 3: 39 MB)


def colorize(gray: np.ndarray, colors: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """uint8 N x H x W x 3: each gray digit multiplied by its mean color plus per-image Gaussian
    noise, clamped to [0, 1]; the background stays black."""
    tint = np.clip(PALETTE[colors] + rng.normal(0.0, std, size=(len(colors), 3)), 0.0, 1.0)
    rgb = np.empty((*gray.shape, 3), dtype=np.uint8)
    for start in range(0, len(gray), CHUNK):
        part = slice(start, start + CHUNK)
        product = gray[part, ..., None] * tint[part, None, None, :]  # float64, exact for uint8 * float64
        rgb[part] = np.clip(np.rint(product, out=product), 0, 255, out=product)
    return rgb
