"""Accuracy benchmark on the embedded default: methods x bias-aligned ratios x seeds.

Trains each method exactly as the pipeline does (same synthesis, settings from params.yaml,
last-epoch model, no selection on test) and prints mean +- std over seeds of the unbiased and
the bias-conflicting test accuracy, plus vanilla on an unbiased training set (aligned ratio
0.1, i.e. colors independent of digits) as the reachable ceiling.

    python benchmarks/accuracy.py                      # the README table (about 8 min on 2 cores)
    python benchmarks/accuracy.py --seeds 0 --ratios 0.99 --methods vanilla lff
"""
import argparse
import dataclasses
import itertools
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from mitigate.checkpoint import predict_logits
from mitigate.config import Params
from mitigate.data.dataset import TensorSplit
from mitigate.data.synthesize import NUM_BIAS, NUM_CLASSES, synthesize
from mitigate.methods import method_hparams
from mitigate.metrics import bias_accuracies
from mitigate.runtime import make_deterministic
from mitigate.train_settings import TrainSettings
from mitigate.training import build_method, fit

CEILING_RATIO = 0.1  # = 1 / number of colors: color carries no information about the digit


def run_one(job: tuple[str, float, int, str, int]) -> dict:
    """Train one method at one ratio and seed; its test accuracies."""
    method, ratio, seed, params_path, threads = job
    torch.set_num_threads(threads)
    make_deterministic()
    params = Params.load(params_path)
    data = dataclasses.replace(params.data, aligned_ratio=ratio)
    settings = params.section(TrainSettings, "train")
    splits = synthesize(data, seed)
    device = torch.device("cpu")
    train, valid, test = (TensorSplit(splits[name], device) for name in ("train", "valid", "test"))
    model = build_method(method, method_hparams(params, method), settings, train, NUM_CLASSES,
                         train.x.shape[1:], seed)
    started = time.perf_counter()
    fit(model, train, valid, settings, seed, progress=False)
    correct = (predict_logits(model.predict, test).argmax(1) == test.y).numpy()
    result = bias_accuracies(correct, test.y.numpy(), test.bias.numpy(), NUM_CLASSES, NUM_BIAS)
    return {"method": method, "ratio": ratio, "seed": seed, "seconds": time.perf_counter() - started, **result}


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def fmt(values: list[float]) -> str:
    mean, std = mean_std(values)
    return f"{100 * mean:.2f} ± {100 * std:.2f}"


def verdict(ours: list[float], base: list[float]) -> str:
    """'yes' only when the mean - std of `ours` is above the mean + std of `base`."""
    (m1, s1), (m0, s0) = mean_std(ours), mean_std(base)
    if m1 - s1 > m0 + s0:
        return "yes"
    return "no (within spread)" if m1 > m0 else "no"


def table(rows: list[dict], methods: list[str], ratios: list[float]) -> str:
    def values(method, ratio, key):
        return [r[key] for r in rows if r["method"] == method and r["ratio"] == ratio]

    challengers = [m for m in methods if m != "vanilla"]
    header = ["aligned ratio", *[f"{m} unbiased" for m in methods], *[f"{m} conflicting" for m in methods],
              *[f"{m} > vanilla (unbiased)" for m in challengers]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for ratio in ratios:
        cells = [f"{100 * ratio:g}%"]
        cells += [fmt(values(m, ratio, "unbiased")) for m in methods]
        cells += [fmt(values(m, ratio, "conflicting")) for m in methods]
        cells += [verdict(values(m, ratio, "unbiased"), values("vanilla", ratio, "unbiased")) for m in challengers]
        lines.append("| " + " | ".join(cells) + " |")
    ceiling = values("vanilla", CEILING_RATIO, "unbiased")
    lines.append(f"\nCeiling: vanilla trained with aligned ratio {CEILING_RATIO} (no color shortcut): "
                 f"unbiased {fmt(ceiling)} over {len(ceiling)} seeds.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["vanilla", "lff"])
    parser.add_argument("--ratios", nargs="+", type=float, default=[0.95, 0.98, 0.99, 0.995])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (each gets cores / workers threads)")
    parser.add_argument("--out", default="benchmarks/results/accuracy.md")
    args = parser.parse_args()
    if "vanilla" not in args.methods:
        sys.exit("error: --methods must include vanilla (the baseline every row is compared with)")
    threads = max(1, torch.get_num_threads() // args.workers)
    jobs = [(m, r, s, args.params, threads) for m, r, s in itertools.product(args.methods, args.ratios, args.seeds)]
    jobs += [("vanilla", CEILING_RATIO, s, args.params, threads) for s in args.seeds]
    rows = []
    with ProcessPoolExecutor(args.workers) as pool:
        for row in pool.map(run_one, jobs):
            rows.append(row)
            print(f"{row['method']:>8} ratio {row['ratio']:<6} seed {row['seed']}: unbiased {100 * row['unbiased']:.2f} "
                  f"conflicting {100 * row['conflicting']:.2f} ({row['seconds']:.0f} s)", file=sys.stderr, flush=True)
    report = table(rows, args.methods, args.ratios)
    seconds = {m: np.mean([r["seconds"] for r in rows if r["method"] == m]) for m in args.methods}
    report += "Mean training time per run (s): " + ", ".join(f"{m} {s:.1f}" for m, s in seconds.items()) + "\n"
    print(report)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report)


if __name__ == "__main__":
    main()
