"""Expected time of each preset's bias track on this machine: the optimisation steps each training
stage takes under the preset, times the seconds of one step measured here on random images of the
preset's size (the model, batch size and method as the preset sets them).

Training dominates every stage of the bias track; data preparation, the split, augment and
evaluate (seconds to a few minutes at 60k) are not counted, so the real run takes somewhat longer
(compare benchmarks/results/full_size_colored_fashion_mnist_cpu.md, a measured run).

    python benchmarks/preset_times.py [PRESET ...]
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads

import argparse
import math
import os
from pathlib import Path

import torch
from compute import cpu_model
from steps import method_step, swapae_step
from tables import publish

from mitigate.biaswap.autoencoder_training import SwapAESettings
from mitigate.biaswap.swaps import AugmentSettings, swap_count
from mitigate.core.config import Params
from mitigate.core.runtime import resolve_device
from mitigate.methods import method_hparams, method_names, training_sets
from mitigate.methods.gce import GCEHparams
from mitigate.presets import DEFAULT_PARAMS, apply_preset, available, load_preset
from mitigate.training.settings import BiasedSettings, TrainSettings

ROOT = Path(__file__).resolve().parents[1]
# training images after the 10 % valid split: MNIST / Fashion-MNIST 60,000, CIFAR-10 50,000;
# bFFHQ's 0.5 % split: 19,104 aligned + 96 conflicting (Kim et al. 2021)
TRAIN_SIZES = {"colored_mnist": 54_000, "corrupted_cifar10": 45_000, "attributes": 19_200}
INPUT_SIZES = {"colored_mnist": 28, "corrupted_cifar10": 32}
MEASURED_STEPS = 3


def preset_rows(name: str, device: torch.device) -> list[tuple[str, int, float]]:
    """(stage, steps, seconds per step) of each training stage of the preset's bias track."""
    params = Params(apply_preset(Params.load(ROOT / "params.yaml").raw, load_preset(name, ROOT / "presets")))
    size = params.data.image_size if params.data.dataset == "attributes" else INPUT_SIZES[params.data.dataset]
    shape, n = (3, size, size), TRAIN_SIZES[params.data.dataset]
    biased, train = params.section(BiasedSettings, "biased"), params.section(TrainSettings, "train")
    swapae = params.section(SwapAESettings, "swapae")
    augment = params.section(AugmentSettings, "augment")
    judges = params.section(TrainSettings, "judges")
    rows = [("train_biased", biased.epochs * math.ceil(n / biased.batch_size),
             method_step("gce", GCEHparams(q=biased.q), biased, shape, device, MEASURED_STEPS)),
            ("train_judges (bias and content)", 2 * judges.epochs * math.ceil(n / judges.batch_size),
             method_step("vanilla", None, judges, shape, device, MEASURED_STEPS)),
            ("train_swapae", swapae.steps, swapae_step(swapae, shape, device, MEASURED_STEPS))]
    sets = training_sets(params)
    for method in method_names(params):
        images = n + (swap_count(augment.swap_fraction, n) if sets[method] == "augmented" else 0)
        steps = train.epochs * math.ceil(images / train.batch_size)
        rows.append((f"train@{method}", steps, method_step(method, method_hparams(params, method), train, shape, device, MEASURED_STEPS)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bias_track = [name for name in available(ROOT / "presets") if load_preset(name, ROOT / "presets")["params"] == DEFAULT_PARAMS]
    parser.add_argument("presets", nargs="*", default=bias_track, help="presets of the bias track (params.yaml)")
    args = parser.parse_args()
    device = resolve_device("auto")
    where = f"{torch.cuda.get_device_name()}" if device.type == "cuda" else f"{cpu_model()}, {torch.get_num_threads()} threads"
    lines = ["# Expected time of each preset's bias track", "",
             f"Made by `python benchmarks/preset_times.py`; measured on {where} ({os.cpu_count()} CPUs), "
             f"torch {torch.__version__}. Steps x seconds per step (mean of {MEASURED_STEPS} steps after a warm-up, "
             "random images of the preset's size); data preparation, split, augment and evaluate not counted.", ""]
    for name in args.presets:
        rows = preset_rows(name, device)
        total = sum(steps * seconds for _, steps, seconds in rows)
        lines += [f"## `{name}`: about {total / 3600:.1f} h ({total / 60:.0f} min)", "",
                  "| stage | steps | seconds per step | expected minutes |", "|---|---|---|---|"]
        lines += [f"| {stage} | {steps:,} | {seconds:.4f} | {steps * seconds / 60:.1f} |" for stage, steps, seconds in rows]
        lines.append("")
        print(f"{name}: {total / 60:.0f} min", flush=True)
    publish("\n".join(lines), f"benchmarks/results/preset_times{'_cuda' if device.type == 'cuda' else ''}.md")


if __name__ == "__main__":
    main()
