"""Stage augment: swap bias-aligned training images (content) with bias-conflicting ones (style)
as the split stage assigned them, and store the swaps (train@biaswap reads them after the
training split: `augment.with_swaps`)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads
import pandas as pd
import torch

from mitigate import paths
from mitigate.augment import AugmentSettings, make_swaps, swap_count, swap_partners
from mitigate.data.swaps import swap_split
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.data.colored_mnist import nearest_palette_color
from mitigate.data.dataset import TensorSplit, load_split
from mitigate.errors import InputError
from mitigate.fileio import atomic_path, write_json
from mitigate.models.swapae import load_autoencoder
from mitigate.runtime import numpy_rng, resolve_device


def main() -> None:
    params = Params.load()
    settings, seed = params.section(AugmentSettings, "augment"), params.seed
    device = resolve_device(params.device)
    train = load_split(paths.DATASET, "train")
    num_swaps = swap_count(settings.swap_fraction, len(train))
    try:
        assignment = pd.read_csv(paths.SPLIT_TABLE)
        conflicting = assignment["conflicting"].to_numpy(dtype=bool)
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as error:
        raise InputError(f"{paths.SPLIT_TABLE} is missing or corrupt ({type(error).__name__}); regenerate it with `dvc repro split`") from None
    if len(conflicting) != len(train):
        raise InputError(f"{paths.SPLIT_TABLE} does not match the training split; regenerate it with `dvc repro split`")
    autoencoder = load_autoencoder(paths.swapae_model(settings.swapae), device, f"train_swapae@{settings.swapae}")
    content, style = swap_partners(conflicting, num_swaps, numpy_rng(seed, "augment/partners"))
    swaps = swap_split(train, make_swaps(autoencoder, TensorSplit(train, device), content, style), content, style)
    with atomic_path(paths.AUGMENTED) as tmp:
        swaps.save(tmp / paths.SWAPS_SPLIT)
    intended = torch.tensor(swaps.table["bias"].to_numpy())
    measured = torch.cat([nearest_palette_color(x) for x in TensorSplit(swaps, device).image_chunks(4096)]).cpu()
    metrics = {
        "swaps": len(swaps), "content_images": int(len(set(content))), "style_images": int(len(set(style))),
        "conflicting_by_design": round(float((~swaps.table["aligned"].to_numpy()).mean()), 6),
        "bias_transfer": round((measured == intended).float().mean().item(), 6),
    }
    write_json(paths.AUGMENT_METRICS, metrics)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
