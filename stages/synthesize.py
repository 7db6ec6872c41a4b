"""Stage synthesize: the biased train / valid splits and the unbiased test split."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads
import numpy as np

from mitigate import paths
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.data.dataset import save_dataset
from mitigate.data.label_noise import transition_report
from mitigate.data.synthesize import split_counts, synthesize
from mitigate.fileio import atomic_path, write_json
from mitigate.viz import save_png, tile

SAMPLES_PER_KIND = 6


def sample_grid(split, num_classes: int) -> np.ndarray:
    """One row per class: up to 6 bias-aligned, then up to 6 bias-conflicting training images."""
    rows = []
    for c in range(num_classes):
        of_class = split.table["label"] == c
        cells = []
        for aligned in (True, False):
            idx = split.table.index[of_class & (split.table["aligned"] == aligned)][:SAMPLES_PER_KIND]
            cells += [split.images[i] for i in idx] + [None] * (SAMPLES_PER_KIND - len(idx))
        rows.append(cells)
    return tile(rows)


def main() -> None:
    params = Params.load()
    settings, seed = params.data, params.seed
    splits = synthesize(settings, seed)
    num_classes, num_bias = (1 + max(int(split.table[column].max()) for split in splits.values())
                             for column in ("true_label", "bias"))
    with atomic_path(paths.DATASET) as tmp:
        save_dataset(tmp, splits, num_classes, num_bias)
    write_json(paths.SYNTH_METRICS, {name: split_counts(split) for name, split in splits.items()})
    write_json(paths.LABEL_NOISE_METRICS, {"label_noise": settings.label_noise, "asked_rate": settings.noise_rate} | {
        f"{name}_transition": transition_report(split.table["true_label"].to_numpy(), split.table["label"].to_numpy(), num_classes)
        for name, split in splits.items() if name != "test"})
    save_png(paths.SAMPLES_PNG, sample_grid(splits["train"], num_classes))
    for name, split in splits.items():
        print(f"{name}: {split_counts(split)}")


if __name__ == "__main__":
    run_stage(main)
