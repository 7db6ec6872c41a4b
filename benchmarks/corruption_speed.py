"""Speed of the Corrupted CIFAR-10 corruptions at severity 5 on 32 x 32 images: images/s per
corruption in one process, then the wall time of `corrupt_images` in one process and over both
cores for each corruption type (the type's 10 corruptions in turn, as a Corrupted CIFAR-10 dataset draws them)
and that time extrapolated to CIFAR-10's 60,000 images.

    python benchmarks/corruption_speed.py     # about 1 min on 2 cores
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads

import argparse
import os
import time

import cv2
import numpy as np
from skimage import data
from tables import publish

from mitigate.data.corruptions import TYPES, corrupt, corrupt_images

SEVERITY = 5
CIFAR_IMAGES = 60_000


def photo_crops(n: int, seed: int) -> np.ndarray:
    """`n` 32 x 32 crops of a real photo (scikit-image ships it), at random places."""
    photo = cv2.resize(data.astronaut(), (128, 128), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(seed)
    tops, lefts = rng.integers(0, 128 - 32, size=(2, n))
    return np.stack([photo[top : top + 32, left : left + 32] for top, left in zip(tops, lefts)])


def images_per_second(images: np.ndarray, name: str) -> float:
    corrupt(images[0], name, SEVERITY, np.random.default_rng(0))  # load frost textures, warm caches
    start = time.perf_counter()
    for i, image in enumerate(images):
        corrupt(image, name, SEVERITY, np.random.default_rng(i))
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=300, help="images per corruption for images/s")
    parser.add_argument("--batch", type=int, default=CIFAR_IMAGES, help="images per type for the corrupt_images run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/corruption_speed.md")
    args = parser.parse_args()
    images = photo_crops(args.images, seed=0)
    lines = [f"Corruption speed at severity {SEVERITY}, 32 x 32 images, one process, {args.images} images each", "",
             "| type | corruption | images/s |", "|---|---|---|"]
    for kind, names in TYPES.items():
        lines += [f"| {kind} | {name} | {images_per_second(images, name):,.0f} |" for name in names]
    lines += ["", f"`corrupt_images` on {args.batch:,} images per type (its 10 corruptions in turn), chunks of 500, "
              f"spawned worker processes, their start-up included; load average before: {os.getloadavg()[0]:.1f} "
              "(other jobs on the same cores slow the 2-worker run)", "",
              "| type | workers | wall time (s) | images/s | 60,000 images |", "|---|---|---|---|---|"]
    batch = photo_crops(args.batch, seed=1)
    for kind, names in TYPES.items():
        for workers in sorted({1, args.workers}):
            start = time.perf_counter()
            corrupt_images(batch, [names[i % len(names)] for i in range(len(batch))], SEVERITY, seed=0,
                           workers=workers, progress=False)
            wall = time.perf_counter() - start
            lines.append(f"| {kind} | {workers} | {wall:.1f} | {len(batch) / wall:,.0f} | "
                         f"{wall * CIFAR_IMAGES / len(batch):.0f} s{'' if len(batch) == CIFAR_IMAGES else ' (extrapolated)'} |")
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
