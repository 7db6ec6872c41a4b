"""Swap quality against training steps of BiaSwap's swapping autoencoder at full size.

Reads a project copy that holds a synthesized dataset, a biased model and the judges (by default
the scratch copy `benchmarks/full_size.py PRESET` leaves) and its params.yaml; trains the
autoencoder with that copy's `swapae` settings (CAM patch sampling) and, after each number of
steps in `--steps`, measures the swaps on the validation split as the train_swapae stage does
(bias transfer, content kept by the content judge, reconstruction L1), with the seconds of
training so far.
Each segment continues the same autoencoder and optimizers, its batch order seeded afresh.

    python benchmarks/swapae_steps.py colored_fashion_mnist_cpu --steps 600 1200 2400 4800
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads

import argparse
import dataclasses
import os
import time
from pathlib import Path

import torch
from compute import cpu_model
from tables import publish

from mitigate.biaswap.autoencoder_training import SwapAESettings, SwapAETrainer, patch_centers, train_swapae
from mitigate.biaswap.quality import load_judges, swap_quality
from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.runtime import numpy_rng, resolve_device
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.evaluation.predictor import load_predictor

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", help="the preset whose full_size.py scratch copy holds the data")
    parser.add_argument("--steps", type=int, nargs="+", default=[600, 1200, 2400, 4800])
    parser.add_argument("--scratch", type=Path, help="default benchmarks/.scratch/PRESET")
    args = parser.parse_args()
    where = args.scratch or ROOT / "benchmarks" / ".scratch" / args.preset
    params = Params.load(where / "params.yaml")
    settings, seed, device = params.section(SwapAESettings, "swapae"), params.seed, resolve_device(params.device)
    info = load_info(where / paths.DATASET)
    train = TensorSplit(load_split(where / paths.DATASET, "train"), device)
    valid = TensorSplit(load_split(where / paths.DATASET, "valid"), device)
    biased = load_predictor(where / paths.BIASED_MODEL, device, stage="train_biased").members[0].requires_grad_(False)
    judges = load_judges(device, where)
    trainer = SwapAETrainer(info["input_shape"], settings, patch_centers("cam", biased, tuple(info["input_shape"][1:])), seed).to(device)
    rows, seconds = [], 0.0
    for segment, steps in enumerate(sorted(args.steps)):
        trainer.settings = dataclasses.replace(settings, steps=steps)
        started = time.perf_counter()
        train_swapae(trainer, train, seed + segment, desc=f"swapae to {steps} steps")
        seconds += time.perf_counter() - started
        rows.append((steps, seconds, swap_quality(trainer.autoencoder, judges, valid, numpy_rng(seed, "swapae/quality_pairs"))))
        publish(report(args, settings, len(train), len(valid), rows),  # after each row: an interrupted run keeps its rows
                f"benchmarks/results/swapae_steps_{args.preset}.md")


def report(args, settings: SwapAESettings, train_size: int, valid_size: int, rows: list) -> str:
    lines = [f"# Swap quality against steps: preset `{args.preset}`", "",
             f"Made by `python benchmarks/swapae_steps.py {args.preset} --steps {' '.join(map(str, sorted(args.steps)))}`; "
             f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads; {train_size:,} training images, "
             f"batch {settings.batch_size}, CAM patches; measured on the {valid_size:,} validation images. "
             f"On the real images they are applied to, the bias judge scores {rows[0][2]['bias_judge_on_real']:.3f}, "
             f"the content judge {rows[0][2]['content_judge_on_real']:.3f}.", "",
             "| steps | training minutes | bias transfer | content kept | relative to the judge | reconstruction L1 |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {steps:,} | {seconds / 60:.1f} | {q['bias_transfer']:.3f} | {q['content_kept']:.3f} | {q['content_kept_relative']:.3f} "
              f"| {q['reconstruction_l1']:.4f} |" for steps, seconds, q in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
