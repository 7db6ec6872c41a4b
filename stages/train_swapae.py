"""Stage train_swapae@<sampling>: the swapping autoencoder of BiaSwap, its patch discriminator fed
with crops centered by the biased model's CAM (`cam`) or uniformly (`uniform`); measures the swaps
on the validation split and draws them."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads
import sys

from mitigate import paths
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.curves import Curves
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.errors import UserError
from mitigate.fileio import atomic_path
from mitigate.resume import stage_checkpoint
from mitigate.runtime import numpy_rng, resolve_device
from mitigate.checkpoint import load_predictor
from mitigate.swap_figures import patch_figure, swap_grid
from mitigate.swap_quality import swap_quality, train_digit_judge
from mitigate.models.swapae import SAMPLINGS, save_autoencoder
from mitigate.swapping import SwapAESettings, SwapAETrainer, patch_centers, train_swapae


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
    train_swapae(trainer, train, seed, curves, desc=f"swapae@{sampling}", checkpoint=checkpoint)
    judge, judge_accuracy = train_digit_judge(train, valid, settings.judge_epochs, seed)
    quality = swap_quality(trainer.autoencoder, judge, valid, numpy_rng(seed, "swapae/quality_pairs"))
    quality["digit_judge_on_real"] = round(judge_accuracy, 6)

    with atomic_path(paths.swapae_model(sampling)) as tmp:
        save_autoencoder(tmp, trainer.autoencoder, info["input_shape"], settings)
    curves.save(paths.swapae_log(sampling), summary=quality)
    swap_grid(paths.swapae_figure(sampling, "swaps"), trainer.autoencoder, valid)
    patch_figure(paths.swapae_figure(sampling, "patches"), trainer, train)
    checkpoint.remove()
    print(quality)


if __name__ == "__main__":
    run_stage(main)
