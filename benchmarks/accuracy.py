"""Accuracy benchmark on the embedded default: methods x bias-aligned ratios x seeds.

Trains each method exactly as the pipeline does (same synthesis, settings from params.yaml,
last-epoch model, no selection on test) and prints mean +- std over seeds of the unbiased and
the bias-conflicting test accuracy, plus vanilla on an unbiased training set (aligned ratio
0.1, i.e. colors independent of digits) as the reachable ceiling.

    python benchmarks/accuracy.py --workers 2          # the README table (about 40 min on 2 cores)
    python benchmarks/accuracy.py --seeds 0 --ratios 0.99 --methods vanilla lff
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads
import argparse
import dataclasses
import hashlib
import itertools
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from tables import fmt, publish, verdict
from mitigate.augment import AugmentSettings, make_swaps, swap_count, swap_partners
from mitigate.checkpoint import predict_logits
from mitigate.config import Params
from mitigate.data.dataset import Split, TensorSplit
from mitigate.data.swaps import swap_split, with_swaps
from mitigate.data.synthesize import NUM_BIAS, NUM_CLASSES, synthesize
from mitigate.methods import METHODS, method_hparams
from mitigate.methods.gce import GCEHparams
from mitigate.metrics import bias_accuracies
from mitigate.runtime import numpy_rng, resolve_device
from mitigate.split import conflict_score, threshold_value
from mitigate.swapping import SwapAESettings, SwapAETrainer, patch_centers, train_swapae
from mitigate.train_settings import BiasedSettings, TrainSettings
from mitigate.training import build_method, fit

CEILING_RATIO = 0.1  # = 1 / number of colors: color carries no information about the digit


def augmented_training_set(params: Params, train: Split, valid: Split, seed: int) -> Split:
    """The pipeline's BiaSwap branch in one process: GCE biased model -> split at the threshold
    -> swapping autoencoder -> the training split plus its swaps (stages train_biased, split,
    train_swapae, augment)."""
    device = resolve_device(params.device)
    train_t, valid_t = TensorSplit(train, device), TensorSplit(valid, device)
    biased_settings = params.section(BiasedSettings, "biased")
    biased = build_method("gce", GCEHparams(q=biased_settings.q), biased_settings, train_t, NUM_CLASSES,
                          train_t.image_shape, seed, epochs_key="biased.epochs")
    fit(biased, train_t, valid_t, biased_settings, seed, progress=False)
    biased.eval()
    scores = conflict_score(predict_logits(biased.predict, train_t), train_t.y)
    conflicting = (scores > threshold_value(scores, params.split.threshold)).numpy()
    swapae, augment = params.section(SwapAESettings, "swapae"), params.section(AugmentSettings, "augment")
    centers = patch_centers(augment.swapae, biased.model, train_t.image_shape[1:])
    trainer = SwapAETrainer(train_t.image_shape, swapae, centers, seed)
    train_swapae(trainer, train_t, seed, progress=False)
    num_swaps = swap_count(augment.swap_fraction, len(train))
    content, style = swap_partners(conflicting, num_swaps, numpy_rng(seed, "augment/partners"))
    return with_swaps(train, swap_split(train, make_swaps(trainer.autoencoder, train_t, content, style), content, style))


def fingerprint(params_path: str) -> str:
    """Hash of the params file and the package source: a stored run is reused only when both match."""
    digest = hashlib.md5(Path(params_path).read_bytes())
    for path in sorted(Path(__file__).resolve().parents[1].glob("src/mitigate/**/*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def train_and_test(method: str, hparams, params: Params, ratio: float, seed: int, **data_changes) -> dict:
    """Train `method` with `hparams` on the embedded default at `ratio` and `seed` (and other
    `data` settings changed), exactly as the pipeline does; its unbiased and bias-conflicting
    test accuracy and the time it took."""
    data = dataclasses.replace(params.data, aligned_ratio=ratio, **data_changes)
    settings = params.section(TrainSettings, "train")
    splits = synthesize(data, seed)
    started = time.perf_counter()
    if METHODS[method].training_set == "augmented":
        splits["train"] = augmented_training_set(params, splits["train"], splits["valid"], seed)
    device = resolve_device(params.device)
    train, valid, test = (TensorSplit(splits[name], device) for name in ("train", "valid", "test"))
    model = build_method(method, hparams, settings, train, NUM_CLASSES, train.image_shape, seed)
    fit(model, train, valid, settings, seed, progress=False)
    correct = (predict_logits(model.predict, test).argmax(1) == test.y).numpy()
    result = bias_accuracies(correct, test.y.numpy(), test.bias.numpy(), NUM_CLASSES, NUM_BIAS)
    return {"method": method, "ratio": ratio, "seed": seed, "seconds": time.perf_counter() - started, **result}


def run_one(job: tuple[str, float, int, str, int]) -> dict:
    """Train one method at one ratio and seed; its test accuracies."""
    method, ratio, seed, params_path, threads = job
    torch.set_num_threads(threads)
    params = Params.load(params_path)
    return train_and_test(method, method_hparams(params, method), params, ratio, seed)


def table(rows: list[dict], methods: list[str], ratios: list[float]) -> str:
    """Unbiased and bias-conflicting accuracy (rows: ratios, columns: methods), then which
    method beats vanilla and LfF beyond the spread."""
    def values(method, ratio, key):
        return [r[key] for r in rows if r["method"] == method and r["ratio"] == ratio]

    def label(method):
        return f"{method} (knows groups)" if METHODS[method].uses_bias_labels else method

    lines = []
    for key in ("unbiased", "conflicting"):
        lines += [f"{key.capitalize()} test accuracy (%):", "", "| aligned ratio | " + " | ".join(map(label, methods)) + " |",
                  "|---" * (len(methods) + 1) + "|"]
        lines += [f"| {100 * ratio:g}% | " + " | ".join(fmt(values(m, ratio, key)) for m in methods) + " |" for ratio in ratios]
        lines.append("")
    pairs = [(m, "vanilla") for m in methods if m != "vanilla"]
    pairs += [(m, "lff") for m in methods if m not in ("vanilla", "lff") and "lff" in methods]
    lines += ["Beyond the spread (unbiased: mean - std above the other's mean + std):", "",
              "| claim | " + " | ".join(f"{100 * r:g}%" for r in ratios) + " |", "|---" * (len(ratios) + 1) + "|"]
    lines += [f"| {m} > {base} | " + " | ".join(verdict(values(m, r, "unbiased"), values(base, r, "unbiased")) for r in ratios) + " |"
              for m, base in pairs]
    ceiling = values("vanilla", CEILING_RATIO, "unbiased")
    lines.append(f"\nCeiling: vanilla trained with aligned ratio {CEILING_RATIO} (no color shortcut): "
                 f"unbiased {fmt(ceiling)} over {len(ceiling)} seeds.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["vanilla", "lff", "biaswap", "dfa", "pgd", "group_dro"])
    parser.add_argument("--ratios", nargs="+", type=float, default=[0.95, 0.98, 0.99, 0.995])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (each gets cores / workers threads)")
    parser.add_argument("--out", default="benchmarks/results/accuracy.md")
    parser.add_argument("--runs", default="benchmarks/results/accuracy_runs.jsonl",
                        help="every finished run is appended here; runs already in it with the same params "
                             "and package code are not repeated")
    args = parser.parse_args()
    if "vanilla" not in args.methods:
        sys.exit("error: --methods must include vanilla (the baseline every row is compared with)")
    threads = max(1, torch.get_num_threads() // args.workers)
    jobs = [(m, r, s, args.params, threads) for m, r, s in itertools.product(args.methods, args.ratios, args.seeds)]
    jobs += [("vanilla", CEILING_RATIO, s, args.params, threads) for s in args.seeds]
    runs = Path(args.runs)
    done = [json.loads(line) for line in runs.read_text().splitlines()] if runs.exists() else []
    version = fingerprint(args.params)
    rows = [r for r in done if r.get("version") == version and (r["method"], r["ratio"], r["seed"]) in {j[:3] for j in jobs}]
    finished = {(r["method"], r["ratio"], r["seed"]) for r in rows}
    jobs = [j for j in jobs if j[:3] not in finished]
    print(f"{len(rows)} runs taken from {runs}, {len(jobs)} to run", file=sys.stderr)
    runs.parent.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(args.workers) as pool:
        for row in pool.map(run_one, jobs):
            row["version"] = version
            rows.append(row)
            with runs.open("a") as log:
                log.write(json.dumps(row) + "\n")
            print(f"{row['method']:>8} ratio {row['ratio']:<6} seed {row['seed']}: unbiased {100 * row['unbiased']:.2f} "
                  f"conflicting {100 * row['conflicting']:.2f} ({row['seconds']:.0f} s)", file=sys.stderr, flush=True)
    report = table(rows, args.methods, sorted(args.ratios))
    seconds = {m: np.mean([r["seconds"] for r in rows if r["method"] == m]) for m in args.methods}
    report += "Mean time per run (s; biaswap includes its biased model and autoencoder): " + ", ".join(f"{m} {s:.1f}" for m, s in seconds.items()) + "\n"
    publish(report, args.out)


if __name__ == "__main__":
    main()
