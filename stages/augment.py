"""Stage augment: swap bias-aligned training images (content) with bias-conflicting ones (style)
as the split stage assigned them, and store the swaps (train@biaswap reads them after the
training split: `data.training_sets.load_training_split`)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

from mitigate.biaswap.autoencoder import load_autoencoder
from mitigate.biaswap.quality import bias_transfer, load_judge
from mitigate.biaswap.split import read_conflicting
from mitigate.biaswap.swaps import AugmentSettings, make_swaps, swap_count, swap_partners
from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.fileio import atomic_path, write_json
from mitigate.core.runtime import numpy_rng, resolve_device
from mitigate.core.stage import run_stage
from mitigate.data.dataset import TensorSplit, load_split
from mitigate.data.training_sets import swap_split


def main() -> None:
    params = Params.load()
    settings, seed = params.section(AugmentSettings, "augment"), params.seed
    device = resolve_device(params.device)
    train = load_split(paths.DATASET, "train")
    num_swaps = swap_count(settings.swap_fraction, len(train))
    conflicting = read_conflicting(paths.SPLIT_TABLE, len(train))
    autoencoder = load_autoencoder(paths.swapae_model(settings.swapae), device, f"train_swapae@{settings.swapae}")
    bias_judge = load_judge("bias", device)
    content, style = swap_partners(conflicting, num_swaps, numpy_rng(seed, "augment/partners"))
    swaps = swap_split(train, make_swaps(autoencoder, TensorSplit(train, device), content, style), content, style)
    with atomic_path(paths.AUGMENTED) as tmp:
        swaps.save(tmp / paths.SWAPS_SPLIT)
    metrics = {
        "swaps": len(swaps), "content_images": int(len(set(content))), "style_images": int(len(set(style))),
        "conflicting_by_design": round(float((~swaps.table["aligned"].to_numpy()).mean()), 6),
        "bias_transfer": round(bias_transfer(bias_judge, TensorSplit(swaps, device)), 6),
    }
    write_json(paths.AUGMENT_METRICS, metrics)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
