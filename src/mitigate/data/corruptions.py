"""The CIFAR-10-C corruptions (Hendrycks & Dietterich 2019, "Benchmarking neural network robustness
to common corruptions and perturbations"), with the parameters of their make_cifar_c.py for 32 x 32
images at severities 1-5. LfF (Nam et al. 2020) uses them, in the order of `TYPES`, as the bias
attribute of Corrupted CIFAR-10.

Every corruption is `(image uint8 H x W x 3, severity 1..5, rng) -> uint8 H x W x 3`. Like the
script (`np.uint8(corruption(img))`), results are clipped and truncated to uint8.

Deviations from make_cifar_c.py, all deliberate:
- random draws come from the `rng` passed in, not from numpy's global generator;
- ImageMagick (wand) is gone: motion blur and snow's motion blur use an OpenCV line kernel built
  as ImageMagick's MotionBlurImage builds it (see `_motion_kernel`);
- sizes the script fixes to 32 follow the image, so that 28 or 64 px images work too (frost
  texture scale, fog's fractal size, elastic's IMSIZE, glass blur's loop bounds); at 32 px they
  are the script's values;
- glass blur: the script's "swap" `x[h, w], x[h', w'] = x[h', w'], x[h, w]` swaps numpy views,
  so it only copies x[h', w'] into x[h, w]; CIFAR-10-C was made that way and so is this one,
  vectorized (with max_delta 1 every copy reads a pixel the scan has not written yet);
- spatter: the liquid layer is clipped to [0, 1] before its uint8 cast (the script lets values
  above 1 wrap around), and an empty layer adds no water (the script divides by zero).
"""
import functools
import io
import math
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib import metadata

import cv2
import numpy as np
from PIL import Image
from scipy.ndimage import map_coordinates, zoom
from skimage.color import hsv2rgb, rgb2hsv
from skimage.filters import gaussian
from skimage.util import random_noise
from tqdm import tqdm

from ..core.errors import InputError, UserError

SEVERITIES = (1, 2, 3, 4, 5)
Corruption = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


# --- helpers ---------------------------------------------------------------------------------

def check_severity(severity: int) -> None:
    if severity not in SEVERITIES:
        raise UserError(f"corruption severity must be one of 1, 2, 3, 4, 5, got {severity!r}")


def _level(table: Sequence, severity: int):
    """The parameters of `severity` in a table of five, one per severity."""
    check_severity(severity)
    return table[severity - 1]


def _unit(image: np.ndarray, dtype=np.float64) -> np.ndarray:
    return image.astype(dtype) / 255.0


def _from_unit(x: np.ndarray) -> np.ndarray:
    """[0, 1] floats to uint8, clipped and truncated like the script's `np.uint8(clip(x) * 255)`."""
    return (np.clip(x, 0, 1) * 255).astype(np.uint8)


def _clipped_zoom(x: np.ndarray, factor: float) -> np.ndarray:
    """Zoom the center of H x W x C `x` by `factor` (linear), cropped back to H x W."""
    h, w = x.shape[:2]
    crop_h, crop_w = math.ceil(h / factor), math.ceil(w / factor)
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    zoomed = zoom(x[top : top + crop_h, left : left + crop_w], (factor, factor, 1), order=1)
    top, left = (zoomed.shape[0] - h) // 2, (zoomed.shape[1] - w) // 2
    return zoomed[top : top + h, left : left + w]


def _motion_kernel(radius: float, sigma: float, angle: float) -> np.ndarray:
    """ImageMagick's MotionBlurImage as a 2-D correlation kernel: 2 ceil(radius) + 1 taps of a
    one-sided Gaussian exp(-i^2 / 2 sigma^2), tap i at (ceil(i cos a - 0.5), ceil(i sin a - 0.5))
    pixels (x right, y down) from the output pixel."""
    taps = np.arange(2 * math.ceil(radius) + 1)
    weights = np.exp(-(taps**2) / (2 * sigma**2))
    theta = math.radians(angle)
    dx = np.ceil(taps * math.cos(theta) - 0.5).astype(int)
    dy = np.ceil(taps * math.sin(theta) - 0.5).astype(int)
    reach = taps[-1]
    kernel = np.zeros((2 * reach + 1, 2 * reach + 1), np.float32)
    np.add.at(kernel, (reach + dy, reach + dx), weights / weights.sum())
    return kernel


def _motion_blur(image: np.ndarray, radius: float, sigma: float, angle: float) -> np.ndarray:
    """uint8 in, uint8 out (rounded, as ImageMagick's 8-bit PNG was); edge pixels are repeated
    like ImageMagick's default virtual pixels."""
    return cv2.filter2D(image, -1, _motion_kernel(radius, sigma, angle), borderType=cv2.BORDER_REPLICATE)


def _plasma_fractal(size: int, wibble_decay: float, rng: np.random.Generator) -> np.ndarray:
    """Diamond-square height map, `size` x `size` (a power of two) in [0, 1]; make_cifar_c.py's
    plasma_fractal (after FLHerne/mapgen), with its wibble * uniform(-wibble, wibble) noise."""
    grid = np.zeros((size, size))
    step, wibble = size, 100.0

    def wibbled_mean(total: np.ndarray) -> np.ndarray:
        return total / 4 + wibble * rng.uniform(-wibble, wibble, total.shape)

    while step >= 2:
        half = step // 2
        corners = grid[0::step, 0::step].copy()
        squares = corners + np.roll(corners, -1, axis=0)
        grid[half::step, half::step] = wibbled_mean(squares + np.roll(squares, -1, axis=1))
        centers = grid[half::step, half::step]
        grid[0::step, half::step] = wibbled_mean(centers + np.roll(centers, 1, axis=0)
                                                 + corners + np.roll(corners, -1, axis=1))
        grid[half::step, 0::step] = wibbled_mean(centers + np.roll(centers, 1, axis=1)
                                                 + corners + np.roll(corners, -1, axis=0))
        step //= 2
        wibble /= wibble_decay
    grid -= grid.min()
    return grid / grid.max()


FROST_FILES = ("frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg", "frost6.jpg")


@functools.cache
def _frost_texture(index: int, scale: float) -> np.ndarray:
    """Frost photo `index` (RGB), resized by `scale`. The photos ship inside the `imagecorruptions`
    wheel; they are located through its metadata, because importing that package fails on
    current setuptools (it needs pkg_resources)."""
    fix = "install them with `pip install --no-deps -r requirements-frost.txt`"
    try:
        path = metadata.distribution("imagecorruptions").locate_file(f"imagecorruptions/frost/{FROST_FILES[index]}")
    except metadata.PackageNotFoundError:
        raise InputError(f"the frost texture photos (package imagecorruptions) are not installed; {fix}") from None
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise InputError(f"frost texture {path} is missing or unreadable; {fix}")
    return cv2.resize(bgr, (0, 0), fx=scale, fy=scale)[..., ::-1]


# --- type 1: noise, blur, original -----------------------------------------------------------
# Each follows the function of the same name in make_cifar_c.py (Hendrycks & Dietterich 2019).

def gaussian_noise(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    scale = _level((0.04, 0.06, 0.08, 0.09, 0.10), severity)
    x = _unit(image)
    return _from_unit(x + rng.normal(scale=scale, size=x.shape))


def shot_noise(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    photons = _level((500, 250, 100, 75, 50), severity)
    return _from_unit(rng.poisson(_unit(image) * photons) / photons)


def impulse_noise(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    amount = _level((0.01, 0.02, 0.03, 0.05, 0.07), severity)
    return _from_unit(random_noise(_unit(image), mode="s&p", amount=amount, rng=rng))


def speckle_noise(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    scale = _level((0.06, 0.10, 0.12, 0.16, 0.20), severity)
    x = _unit(image)
    return _from_unit(x + x * rng.normal(scale=scale, size=x.shape))


def gaussian_blur(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    sigma = _level((0.4, 0.6, 0.7, 0.8, 1.0), severity)
    return _from_unit(gaussian(_unit(image), sigma=sigma, channel_axis=-1))


def defocus_blur(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    radius, alias_blur = _level(((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)), severity)
    # the script's disk(): a 17 x 17 aliased disk smoothed by a 3 x 3 Gaussian (its branch for
    # radii above 8 is never taken at these radii)
    offsets = np.arange(-8, 9)
    disk = (offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2).astype(np.float32)
    kernel = cv2.GaussianBlur(disk / disk.sum(), ksize=(3, 3), sigmaX=alias_blur)
    return _from_unit(cv2.filter2D(_unit(image), -1, kernel))


def glass_blur(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    sigma, max_delta, iterations = _level(((0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)),
                                          severity)
    x = _from_unit(gaussian(_unit(image), sigma=sigma, channel_axis=-1))
    h, w = x.shape[:2]
    rows = np.arange(h - max_delta, max_delta, -1)[:, None]
    cols = np.arange(w - max_delta, max_delta, -1)[None, :]
    for _ in range(iterations):
        # the script's per-pixel "swap" is a copy from a neighbour (see the module docstring)
        dy, dx = rng.integers(-max_delta, max_delta, size=(2, rows.size, cols.size))
        x[rows, cols] = x[rows + dy, cols + dx]
    return _from_unit(gaussian(_unit(x), sigma=sigma, channel_axis=-1))


def motion_blur(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    # deviation: an OpenCV line kernel in place of ImageMagick's motion_blur (wand)
    radius, sigma = _level(((6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)), severity)
    return _motion_blur(image, radius, sigma, rng.uniform(-45, 45))


def zoom_blur(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    # the script's np.arange stops, float rounding included (each range ends at its stop)
    stop = _level((1.06, 1.11, 1.16, 1.21, 1.26), severity)
    factors = np.arange(1, stop, 0.01)
    x = _unit(image, np.float32)
    zoomed = sum(_clipped_zoom(x, factor) for factor in factors)
    return _from_unit((x + zoomed) / (len(factors) + 1))


def original(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """No corruption: LfF's tenth type-1 attribute."""
    check_severity(severity)
    return image.copy()


# --- type 0: weather and digital -------------------------------------------------------------

def snow(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    # deviation: snow's ImageMagick motion blur is an OpenCV line kernel (`_motion_blur`)
    loc, scale, zoom_factor, threshold, radius, sigma, keep = _level(
        ((0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9), (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
         (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85), (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8)), severity)
    x = _unit(image, np.float32)
    flakes = _clipped_zoom(rng.normal(loc, scale, size=(*x.shape[:2], 1)), zoom_factor)[..., 0]
    flakes[flakes < threshold] = 0
    flakes = _motion_blur(_from_unit(flakes), radius, sigma, rng.uniform(-135, -45))[..., None] / 255.0
    gray = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)[..., None]
    x = keep * x + (1 - keep) * np.maximum(x, gray * 1.5 + 0.5)
    return _from_unit(x + flakes + np.rot90(flakes, k=2))


def frost(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    image_weight, frost_weight = _level(((1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)), severity)
    h, w = image.shape[:2]
    # the script draws randint(5): the sixth photo is never used; 0.2 is its scale for 32 px
    texture = _frost_texture(int(rng.integers(5)), 0.2 * max(h, w) / 32)
    top, left = rng.integers(0, texture.shape[0] - h), rng.integers(0, texture.shape[1] - w)
    crop = texture[top : top + h, left : left + w]
    return np.clip(image_weight * image + frost_weight * crop, 0, 255).astype(np.uint8)


def fog(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    thickness, wibble_decay = _level(((0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)), severity)
    x = _unit(image)
    h, w = x.shape[:2]
    brightest = x.max()
    size = 1 << (max(h, w) - 1).bit_length()  # 32 for CIFAR, as in the script
    x = x + thickness * _plasma_fractal(size, wibble_decay, rng)[:h, :w, None]
    return _from_unit(x * brightest / (brightest + thickness))


def _adjust_hsv(image: np.ndarray, channel: int, adjust: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`image` with HSV channel `channel` replaced by adjust(channel), clipped to [0, 1]."""
    hsv = rgb2hsv(_unit(image))
    hsv[..., channel] = np.clip(adjust(hsv[..., channel]), 0, 1)
    return _from_unit(hsv2rgb(hsv))


def brightness(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    shift = _level((0.05, 0.1, 0.15, 0.2, 0.3), severity)
    return _adjust_hsv(image, 2, lambda value: value + shift)


def contrast(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    factor = _level((0.75, 0.5, 0.4, 0.3, 0.15), severity)
    x = _unit(image)
    means = x.mean(axis=(0, 1), keepdims=True)
    return _from_unit((x - means) * factor + means)


def spatter(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    loc, scale, sigma, threshold, strength, is_mud = _level(
        ((0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0), (0.65, 0.3, 1, 0.69, 0.5, 0),
         (0.65, 0.1, 0.7, 0.69, 0.6, 1), (0.65, 0.1, 0.5, 0.68, 0.6, 1)), severity)
    x = _unit(image, np.float32)
    liquid = gaussian(rng.normal(loc, scale, size=x.shape[:2]), sigma=sigma)
    liquid[liquid < threshold] = 0
    if is_mud:
        return _from_unit(_mud(x, liquid > threshold, strength))
    return _from_unit(_water(x, liquid, strength))


WATER_COLOR = np.float32([175, 238, 238]) / 255  # pale turquoise
MUD_COLOR = np.float32([63, 42, 20]) / 255  # brown
RIDGE_KERNEL = np.float32([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])


def _water(x: np.ndarray, liquid: np.ndarray, strength: float) -> np.ndarray:
    """Spatter at severities 1-3: shaded drops, from the distance to the drops' edges."""
    liquid = _from_unit(liquid)
    distance = cv2.distanceTransform(255 - cv2.Canny(liquid, 50, 150), cv2.DIST_L2, 5)
    _, distance = cv2.threshold(distance, 20, 20, cv2.THRESH_TRUNC)
    distance = cv2.equalizeHist(cv2.blur(distance, (3, 3)).astype(np.uint8))
    distance = cv2.filter2D(distance, cv2.CV_8U, RIDGE_KERNEL)
    drops = liquid * cv2.blur(distance, (3, 3)).astype(np.float32)
    peak = drops.max()
    if peak > 0:
        drops *= strength / peak
    return x + drops[..., None] * WATER_COLOR


def _mud(x: np.ndarray, blots: np.ndarray, sigma: float) -> np.ndarray:
    """Spatter at severities 4-5: opaque brown blots."""
    mask = gaussian(blots.astype(np.float32), sigma=sigma)
    mask[mask < 0.8] = 0
    mask = mask[..., None]
    return x * (1 - mask) + MUD_COLOR * mask


def elastic_transform(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    size = min(h, w)  # the script's IMSIZE = 32
    alpha, sigma, max_shift = (size * f for f in _level(
        ((0, 0, 0.08), (0.05, 0.2, 0.07), (0.08, 0.06, 0.06), (0.1, 0.04, 0.05), (0.1, 0.03, 0.03)), severity))
    x = _unit(image, np.float32)
    # a random affine map of three points around the center ...
    center, half = np.float32([w // 2, h // 2]), size // 3
    source = np.float32([center + half, [center[0] + half, center[1] - half], center - half])
    target = source + rng.uniform(-max_shift, max_shift, size=source.shape).astype(np.float32)
    x = cv2.warpAffine(x, cv2.getAffineTransform(source, target), (w, h), borderMode=cv2.BORDER_REFLECT_101)
    # ... then a smooth random displacement field
    dx, dy = (gaussian(rng.uniform(-1, 1, size=(h, w)), sigma, mode="reflect", truncate=3) * alpha for _ in range(2))
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    coordinates = np.stack([rows + dy, cols + dx]).astype(np.float32)
    channels = [map_coordinates(x[..., c], coordinates, order=1, mode="reflect") for c in range(x.shape[2])]
    return _from_unit(np.stack(channels, axis=-1))


def jpeg_compression(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    quality = _level((80, 65, 58, 50, 40), severity)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.array(Image.open(buffer).convert("RGB"))


def pixelate(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    factor = _level((0.95, 0.9, 0.85, 0.75, 0.65), severity)
    h, w = image.shape[:2]
    small = Image.fromarray(image).resize((int(w * factor), int(h * factor)), Image.Resampling.BOX)
    return np.array(small.resize((w, h), Image.Resampling.BOX))


def saturate(image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    gain, offset = _level(((0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)), severity)
    return _adjust_hsv(image, 1, lambda saturation: saturation * gain + offset)


# --- registry --------------------------------------------------------------------------------

CORRUPTIONS: dict[str, Corruption] = {fn.__name__: fn for fn in (
    snow, frost, fog, brightness, contrast, spatter, elastic_transform, jpeg_compression, pixelate, saturate,
    gaussian_noise, shot_noise, impulse_noise, speckle_noise, gaussian_blur, defocus_blur, glass_blur,
    motion_blur, zoom_blur, original)}

# LfF's Corrupted CIFAR-10 bias attributes: attribute k of type t is TYPES[t][k]
TYPES: dict[int, tuple[str, ...]] = {
    0: ("snow", "frost", "fog", "brightness", "contrast", "spatter", "elastic_transform", "jpeg_compression",
        "pixelate", "saturate"),
    1: ("gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "gaussian_blur", "defocus_blur",
        "glass_blur", "motion_blur", "zoom_blur", "original"),
}


def corruption(name: str) -> Corruption:
    if name not in CORRUPTIONS:
        raise UserError(f"unknown corruption {name!r}; valid names: {', '.join(CORRUPTIONS)}")
    return CORRUPTIONS[name]


def corrupt(image: np.ndarray, name: str, severity: int, rng: np.random.Generator) -> np.ndarray:
    """`image` (uint8 H x W x 3) under corruption `name` at `severity` (1..5)."""
    return corruption(name)(image, severity, rng)


def _corrupt_chunk(images: np.ndarray, names: Sequence[str], severity: int, seed: int, start: int) -> np.ndarray:
    """Images start, start + 1, ... of a batch; image i draws from default_rng([seed, i])."""
    return np.stack([corrupt(image, name, severity, np.random.default_rng([seed, start + i]))
                     for i, (image, name) in enumerate(zip(images, names))])


def corrupt_images(images: np.ndarray, names: Sequence[str], severity: int, seed: int, workers: int = 2,
                   progress: bool = True, chunk: int = 500) -> np.ndarray:
    """Image i (N x H x W x 3 uint8) under corruption names[i] at `severity`, in chunks of `chunk`
    images over `workers` processes. Image i's random draws depend only on `seed` and i, so the
    bytes are the same for any `workers` or `chunk`."""
    names = list(names)
    if len(names) != len(images):
        raise UserError(f"one corruption name per image is needed: {len(images)} images, {len(names)} names")
    for name in set(names):
        corruption(name)
    check_severity(severity)
    out = np.empty_like(images)
    with tqdm(total=len(images), desc=f"corrupting at severity {severity}", unit="img", disable=not progress) as bar:
        for start, corrupted in _chunk_results(images, names, severity, seed, workers, chunk):
            out[start : start + len(corrupted)] = corrupted
            bar.update(len(corrupted))
    return out


def _chunk_results(images: np.ndarray, names: list[str], severity: int, seed: int, workers: int,
                   chunk: int) -> Iterator[tuple[int, np.ndarray]]:
    """(start, corrupted images start, start + 1, ...) per chunk, in the order they finish. Each
    worker runs OpenCV on one thread: on 32 px images its thread pool only adds overhead."""
    starts = range(0, len(images), chunk)
    jobs = [(images[s : s + chunk], names[s : s + chunk], severity, seed, s) for s in starts]
    if workers <= 1:
        yield from zip(starts, (_corrupt_chunk(*job) for job in jobs))
        return
    # spawned workers: a forked copy of a parent that has run torch or OpenCV threads can hang
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=cv2.setNumThreads, initargs=(1,)) as pool:
        futures = {pool.submit(_corrupt_chunk, *job): start for start, job in zip(starts, jobs)}
        for future in as_completed(futures):
            yield futures[future], future.result()
