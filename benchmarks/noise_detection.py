"""Clean / noisy label detection on the embedded data without color bias (aligned ratio 0.1):
the split_noise stage's loss GMM beside cleanlab, on the same out-of-sample probabilities, per
noise setting, mean +- std over seeds of precision / recall / F1 / AUC of "noisy"; flagging every
label is the floor F1 must beat to mean anything (at 80% noise it is 0.89).

    python benchmarks/noise_detection.py     # about 2 min on 2 cores
"""
import argparse
import dataclasses

import numpy as np
import torch

from noisy_labels import NO_BIAS, SETTINGS
from tables import mean_std, publish
from mitigate.config import Params
from mitigate.data.dataset import TensorSplit
from mitigate.data.synthesize import NUM_CLASSES, synthesize
from mitigate.noise_detection import (cleanlab_noisy, detection_metrics, fold_training, gmm_noisy_scores,
                                      out_of_sample_probabilities)
from mitigate.runtime import make_deterministic

KEYS = ("precision", "recall", "f1", "auc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--out", default="benchmarks/results/noise_detection.md")
    args = parser.parse_args()
    make_deterministic()
    params = Params.load(args.params)
    training = fold_training(params)
    lines = [f"Noisy-label detection, embedded data, aligned ratio {NO_BIAS}, {training.folds}-fold out-of-sample "
             f"probabilities (fold models: {training.method}), seeds {args.seeds}, mean ± std", "",
             "| setting | detector | " + " | ".join(KEYS) + " |", "|---" * (len(KEYS) + 2) + "|"]
    for name, (kind, rate) in SETTINGS.items():
        results = {"loss GMM": [], "cleanlab": [], "flag every label": []}
        for seed in args.seeds:
            data = dataclasses.replace(params.data, aligned_ratio=NO_BIAS, label_noise=kind, noise_rate=rate)
            train = TensorSplit(synthesize(data, seed)["train"], torch.device("cpu"))
            probabilities = out_of_sample_probabilities(train, training, NUM_CLASSES, seed)
            labels, truth = train.y.numpy(), (train.y != train.true_y).numpy()
            scores = gmm_noisy_scores(probabilities, labels, seed)
            results["loss GMM"].append(detection_metrics(scores > 0.5, scores, truth))
            results["cleanlab"].append(detection_metrics(*cleanlab_noisy(probabilities, labels), truth))
            everything = np.ones(len(labels), dtype=bool)  # the trivial detector: F1 = 2 rate / (1 + rate)
            results["flag every label"].append(detection_metrics(everything, np.zeros(len(labels)), truth))
        for detector, rows in results.items():
            cells = [f"{m:.2f} ± {s:.2f}" for m, s in (mean_std([r[k] for r in rows]) for k in KEYS)]
            lines.append(f"| {name} | {detector} | " + " | ".join(cells) + " |")
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
