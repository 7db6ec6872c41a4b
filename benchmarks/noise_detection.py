"""Clean / noisy label detection on the noisy-label track's data (noisy/params.yaml: embedded, no color bias):
the split_noise stage's three detectors on the same out-of-sample probabilities (loss GMM, the
label posterior under the estimated transition matrix, cleanlab), per noise setting, mean +- std
over seeds of precision / recall / F1 / AUC of "noisy"; flagging every label is the floor F1 must
beat to mean anything (at 80% noise it is 0.89). One more row is the GMM exactly as DivideMix
fits it (raw given-label losses, EM from k-means, both components free), to show what the
stage's clean component from the every-class losses changes; another is an oracle, the loss
threshold with the best F1 chosen on the true labels: the ceiling of any rule that thresholds
the given label's loss, GMMs included. The "no noise" setting shows which share of entirely
clean labels each detector flags.

The stage itself scores its detectors on one setting (noisy/metrics/split_noise.json); this
script adds the oracle and DivideMix's GMM, which no stage computes, over every setting.

    python benchmarks/noise_detection.py     # about 2 min on 2 cores (--seeds 3 4 5 for fresh seeds)
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads

import argparse
import dataclasses

import numpy as np
import torch
from tables import mean_std, publish

from mitigate.core.config import Params
from mitigate.data.build import NUM_CLASSES, build_dataset
from mitigate.data.dataset import TensorSplit
from mitigate.methods import method_hparams
from mitigate.noisy.detection import (
    NoiseSplitSettings,
    cross_entropies,
    detect_noisy_labels,
    detection_metrics,
    fold_training,
    out_of_sample_probabilities,
)
from mitigate.noisy.loss_mixture import clean_probability
from mitigate.training.settings import TrainSettings

KEYS = ("precision", "recall", "f1", "auc")
CLEAN = {"no noise": ("none", 0.0)}
SETTINGS = {"symmetric 20%": ("symmetric", 0.2), "symmetric 50%": ("symmetric", 0.5),
            "symmetric 80%": ("symmetric", 0.8), "asymmetric 40%": ("asymmetric", 0.4)}
DETECTORS = {"gmm": "loss GMM", "transition": "transition posterior", "cleanlab": "cleanlab"}  # stage name: row


def best_loss_threshold(losses: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Flags of the loss threshold with the highest F1 against the truth (an oracle, not a detector;
    it may split tied losses, which can only raise its F1, so it stays a ceiling)."""
    order = np.argsort(-losses, kind="stable")
    true_positives = np.cumsum(truth[order])
    f1 = 2 * true_positives / (np.arange(1, len(losses) + 1) + truth.sum())
    flags = np.zeros(len(losses), dtype=bool)
    if truth.any():
        flags[order[: f1.argmax() + 1]] = True
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--params", default="noisy/params.yaml")
    parser.add_argument("--out", default="benchmarks/results/noise_detection.md")
    args = parser.parse_args()
    params = Params.load(args.params)
    split_settings = params.section(NoiseSplitSettings, "split_noise")
    training = fold_training(split_settings, params.section(TrainSettings, "train"), method_hparams(params, split_settings.method))
    lines = [f"Noisy-label detection, {params.data.source} data, aligned ratio {params.data.aligned_ratio}, "
             f"{training.folds}-fold out-of-sample "
             f"probabilities (fold models: {training.method}), seeds {args.seeds}, mean ± std", "",
             "| setting | detector | flagged | " + " | ".join(KEYS) + " |", "|---" * (len(KEYS) + 3) + "|"]
    for name, (kind, rate) in {**CLEAN, **SETTINGS}.items():
        results = {"loss GMM": [], "loss GMM as DivideMix fits it": [], "best loss threshold (oracle)": [],
                   "transition posterior": [], "cleanlab": [], "flag every label": []}
        for seed in args.seeds:
            data = dataclasses.replace(params.data, label_noise=kind, noise_rate=rate)
            train = TensorSplit(build_dataset(data, seed)["train"], torch.device("cpu"))
            probabilities = out_of_sample_probabilities(train, training, NUM_CLASSES, seed)
            labels, truth = train.y.numpy(), (train.y != train.true_y).numpy()
            for detector, (flags, scores) in detect_noisy_labels(probabilities, labels, seed).items():
                results[DETECTORS[detector]].append(detection_metrics(flags, scores, truth))
            given_losses = cross_entropies(probabilities)[np.arange(len(labels)), labels]
            divide_mix = 1 - clean_probability(given_losses, seed=seed)
            results["loss GMM as DivideMix fits it"].append(detection_metrics(divide_mix > 0.5, divide_mix, truth))
            oracle = best_loss_threshold(given_losses, truth)
            results["best loss threshold (oracle)"].append(detection_metrics(oracle, given_losses, truth))
            everything = np.ones(len(labels), dtype=bool)  # the trivial detector: F1 = 2 rate / (1 + rate)
            results["flag every label"].append(detection_metrics(everything, np.zeros(len(labels)), truth))
        for detector, rows in results.items():
            columns = [[r["flagged"] / len(labels) for r in rows]]
            if name not in CLEAN:  # with nothing to find only the share flagged means something
                columns += [[r[k] for r in rows] for k in KEYS]
            cells = [f"{m:.2f} ± {s:.2f}" for m, s in map(mean_std, columns)] + ["–"] * (len(KEYS) + 1 - len(columns))
            lines.append(f"| {name} | {detector} | " + " | ".join(cells) + " |")
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
