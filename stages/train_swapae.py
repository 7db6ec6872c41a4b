"""Stage train_swapae@<sampling>: the swapping autoencoder of BiaSwap, its patch discriminator fed
with crops centered by the biased model's CAM (`cam`) or uniformly (`uniform`); measures the swaps
on the validation split and draws them."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

import sys

from mitigate.biaswap.autoencoder import SAMPLINGS, save_autoencoder
from mitigate.biaswap.autoencoder_training import SwapAESettings, SwapAETrainer, patch_centers, train_swapae
from mitigate.biaswap.figures import patch_figure, swap_grid
from mitigate.biaswap.quality import load_judges, swap_quality
from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.curves import Curves
from mitigate.core.errors import UserError
from mitigate.core.fileio import atomic_path
from mitigate.core.resume import stage_checkpoint
from mitigate.core.runtime import numpy_rng, resolve_device
from mitigate.core.stage import run_stage
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.evaluation.predictor import load_predictor


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in SAMPLINGS:
        raise UserError(f"usage: python stages/train_swapae.py {{{','.join(SAMPLINGS)}}}")
    sampling = sys.argv[1]
    params = Params.load()
    settings, seed, device = params.section(SwapAESettings, "swapae"), params.seed, resolve_device(params.device)
    info = load_info(paths.DATASET)
    train = TensorSplit(load_split(paths.DATASET, "train"), device)
    valid = TensorSplit(load_split(paths.DATASET, "valid"), device)
    biased = load_predictor(paths.BIASED_MODEL, device, stage="train_biased").members[0]
    biased.requires_grad_(False)
    centers = patch_centers(sampling, biased, tuple(info["input_shape"][1:]))
    trainer = SwapAETrainer(info["input_shape"], settings, centers, seed).to(device)
    curves = Curves()
    checkpoint = stage_checkpoint(f"train_swapae@{sampling}", [paths.DATASET, paths.BIASED_MODEL], device)
    judges = load_judges(device)
    train_swapae(trainer, train, seed, curves, desc=f"swapae@{sampling}", checkpoint=checkpoint)
    quality = swap_quality(trainer.autoencoder, judges, valid, numpy_rng(seed, "swapae/quality_pairs"))

    with atomic_path(paths.swapae_model(sampling)) as tmp:
        save_autoencoder(tmp, trainer.autoencoder, info["input_shape"], settings)
    curves.save(paths.swapae_log(sampling), summary=quality)
    swap_grid(paths.swapae_figure(sampling, "swaps"), trainer.autoencoder, valid)
    patch_figure(paths.swapae_figure(sampling, "patches"), trainer, train)
    checkpoint.remove()
    print(quality)


if __name__ == "__main__":
    run_stage(main)
