"""Stage synthesize: the biased train / valid splits, the unbiased test split and, for synthesized
datasets, the training images without their bias (`balanced`, for the swap judges)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.fileio import atomic_path, write_json
from mitigate.core.stage import run_stage
from mitigate.core.viz import save_png
from mitigate.data.build import build_dataset, split_counts
from mitigate.data.dataset import save_dataset
from mitigate.data.figures import sample_grid
from mitigate.noisy.label_noise import transition_report


def main() -> None:
    params = Params.load()
    settings, seed = params.data, params.seed
    splits = build_dataset(settings, seed)
    num_classes, num_bias = (1 + max(int(split.table[column].max()) for split in splits.values())
                             for column in ("true_label", "bias"))
    with atomic_path(paths.DATASET) as tmp:
        save_dataset(tmp, splits, num_classes, num_bias)
    write_json(paths.SYNTH_METRICS, {name: split_counts(split) for name, split in splits.items()})
    write_json(paths.LABEL_NOISE_METRICS, {"label_noise": settings.label_noise, "asked_rate": settings.noise_rate} | {
        f"{name}_transition": transition_report(split.table["true_label"].to_numpy(), split.table["label"].to_numpy(), num_classes)
        for name, split in splits.items() if name in ("train", "valid")})
    save_png(paths.SAMPLES_PNG, sample_grid(splits["train"], num_classes))
    for name, split in splits.items():
        print(f"{name}: {split_counts(split)}")


if __name__ == "__main__":
    run_stage(main)
