"""JTT's error set against the length of its identification phase (the paper's T).

JTT upweights the training samples its ERM identification model gets wrong; they should be the
bias-conflicting ones. This trains the identification model as `train@jtt` does (the project's
params.yaml, the synthesized `data/dataset`) and, after each epoch, scores its error set against
the bias-conflicting training samples (precision, recall, F1; the bias labels are read only
here). It reads neither the validation nor the test split: on the embedded default the
validation split holds no bias-conflicting sample, so JTT's own selection rule (worst-group
validation accuracy) cannot be applied there.

    dvc repro synthesize && python benchmarks/jtt_error_set.py --epochs 20 --seeds 0 1 2
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads

import argparse
import dataclasses
import os

import torch
from compute import cpu_model
from tables import publish

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.runtime import resolve_device, torch_generator
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.methods import method_hparams
from mitigate.methods.jtt import error_set
from mitigate.training.loop import build_method
from mitigate.training.settings import TrainSettings


def scores(errors: torch.Tensor, conflicting: torch.Tensor) -> tuple[int, float, float, float]:
    hits = (errors & conflicting).sum().item()
    precision, recall = hits / max(int(errors.sum()), 1), hits / max(int(conflicting.sum()), 1)
    return int(errors.sum()), precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    params = Params.load()
    settings = params.section(TrainSettings, "train")
    info, device = load_info(paths.DATASET), resolve_device(params.device)
    train = TensorSplit(load_split(paths.DATASET, "train"), device)
    hparams = dataclasses.replace(method_hparams(params, "jtt"), identification_length=args.epochs / settings.epochs)
    rows: dict[int, list] = {}
    for seed in args.seeds:
        jtt = build_method("jtt", hparams, settings, train, info["num_classes"], info["input_shape"], seed)
        order = torch_generator(seed, "batch_order")  # the order train@jtt's loop draws
        for epoch in range(1, args.epochs + 1):
            jtt.train()
            for batch in train.batches(settings.batch_size, order):
                jtt.update(batch)
            jtt.identification.eval()
            rows.setdefault(epoch, []).append(scores(error_set(jtt.identification, train), ~train.aligned))
    lines = ["# JTT: the error set against the identification phase", "",
             f"Made by `python benchmarks/jtt_error_set.py --epochs {args.epochs} --seeds {' '.join(map(str, args.seeds))}`; "
             f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads; params.yaml's data "
             f"({params.get('data')['source']}, aligned ratio {params.get('data')['aligned_ratio']}: {int((~train.aligned).sum())} "
             f"of {len(train):,} training samples bias-conflicting), train.batch_size {settings.batch_size}, lr {settings.lr}; "
             f"mean over seeds {', '.join(map(str, args.seeds))}.", "",
             "| identification epochs (T) | error set size | precision | recall | F1 |", "|---|---|---|---|---|"]
    for epoch, per_seed in rows.items():
        size, precision, recall, f1 = (sum(values) / len(values) for values in zip(*per_seed))
        lines.append(f"| {epoch} | {size:.0f} | {precision:.3f} | {recall:.3f} | {f1:.3f} |")
    publish("\n".join(lines) + "\n", "benchmarks/results/jtt_error_set.md")


if __name__ == "__main__":
    main()
