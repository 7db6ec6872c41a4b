"""Seconds of one training step of a method or of the swapping autoencoder, on random images:
what benchmarks/preset_times.py and benchmarks/pin_costs.py measure. Pins nothing: the importing
script has set the threads and CPU kernels before torch loads."""
import time

import numpy as np
import torch

from mitigate.biaswap.autoencoder_training import SwapAESettings, SwapAETrainer, uniform_cells
from mitigate.data.dataset import TensorSplit, make_split
from mitigate.training.loop import build_method
from mitigate.training.settings import TrainSettings


def random_split(n: int, shape: tuple[int, int, int], device: torch.device) -> TensorSplit:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, shape[1], shape[2], shape[0]), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n)
    return TensorSplit(make_split(images, labels, np.where(rng.random(n) < 0.9, labels, (labels + 1) % 10), np.arange(n)), device)


def seconds_per_step(update, batches) -> float:
    """Mean seconds of `update` over `batches[1:]`, after a warm-up on `batches[0]` (allocations,
    kernel selection)."""
    update(batches[0])
    started = time.perf_counter()
    for batch in batches[1:]:
        update(batch)
    return (time.perf_counter() - started) / (len(batches) - 1)


def method_step(name: str, hparams, settings: TrainSettings, shape, device, steps: int) -> float:
    data = random_split(settings.batch_size * (steps + 1), shape, device)
    method = build_method(name, hparams, settings, data, 10, shape, seed=0)
    method.train()
    return seconds_per_step(method.update, list(data.batches(settings.batch_size)))


def swapae_step(settings: SwapAESettings, shape, device, steps: int) -> float:
    data = random_split(settings.batch_size * (steps + 1), shape, device)
    trainer = SwapAETrainer(shape, settings, uniform_cells((shape[1] // 4, shape[2] // 4)), seed=0).to(device)
    return seconds_per_step(lambda batch: trainer.update(batch.x), list(data.batches(settings.batch_size)))
