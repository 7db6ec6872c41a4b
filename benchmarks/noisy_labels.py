"""Noisy-label benchmark on the embedded default without color bias (aligned ratio 0.1: colors
independent of digits): methods x label-noise settings x seeds, clean test accuracy mean +- std.

    python benchmarks/noisy_labels.py --workers 2      # about 10 min on 2 cores

Per setting, as the authors run them: co-teaching's forget rate is the noise rate, and
DivideMix's lambda_u is 0 at 20% symmetric and 40% asymmetric noise (25 otherwise).
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads
import argparse
import dataclasses
import itertools
import sys
from concurrent.futures import ProcessPoolExecutor

import torch

from accuracy import train_and_test
from tables import fmt, publish, verdict
from mitigate.config import Params
from mitigate.methods import method_hparams

NO_BIAS = 0.1
SETTINGS = {"symmetric 20%": ("symmetric", 0.2), "symmetric 50%": ("symmetric", 0.5),
            "symmetric 80%": ("symmetric", 0.8), "asymmetric 40%": ("asymmetric", 0.4)}
METHODS = ["vanilla", "gce", "mae", "nal", "elr", "coteaching", "dividemix"]
CLAIMS = [("elr", "symmetric 50%"), ("elr", "asymmetric 40%"), ("dividemix", "symmetric 50%"),
          ("dividemix", "asymmetric 40%"), ("gce", "symmetric 50%")]


def hparams_for(params: Params, method: str, kind: str, rate: float):
    hparams = method_hparams(params, method)
    if method == "coteaching":
        return dataclasses.replace(hparams, forget_rate=rate)
    if method == "dividemix" and (kind, rate) in (("symmetric", 0.2), ("asymmetric", 0.4)):
        return dataclasses.replace(hparams, lambda_u=0.0)
    return hparams


def run_one(job) -> dict:
    method, setting, seed, params_path, threads = job
    torch.set_num_threads(threads)
    params = Params.load(params_path)
    kind, rate = SETTINGS[setting]
    result = train_and_test(method, hparams_for(params, method, kind, rate), params, NO_BIAS, seed,
                            label_noise=kind, noise_rate=rate)
    return {"setting": setting, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/noisy_labels.md")
    args = parser.parse_args()
    if "vanilla" not in args.methods:
        sys.exit("error: --methods must include vanilla (CE, the baseline)")
    threads = max(1, torch.get_num_threads() // args.workers)
    jobs = [(m, s, seed, args.params, threads) for m, s, seed in itertools.product(args.methods, SETTINGS, args.seeds)]
    rows = []
    with ProcessPoolExecutor(args.workers) as pool:
        for row in pool.map(run_one, jobs):
            rows.append(row)
            print(f"{row['method']:>10} {row['setting']:<15} seed {row['seed']}: {100 * row['unbiased']:.2f} "
                  f"({row['seconds']:.0f} s)", file=sys.stderr, flush=True)

    def accuracies(method, setting):
        return [r["unbiased"] for r in rows if r["method"] == method and r["setting"] == setting]

    lines = [f"Clean test accuracy (%), embedded Colored MNIST without color bias (aligned ratio {NO_BIAS}), "
             f"seeds {args.seeds}, mean ± std", "", "| method | " + " | ".join(SETTINGS) + " |", "|---" * (len(SETTINGS) + 1) + "|"]
    for method in args.methods:
        lines.append(f"| {method} | " + " | ".join(fmt(accuracies(method, s)) for s in SETTINGS) + " |")
    lines += ["", "| claim | holds (mean - std above CE's mean + std) |", "|---|---|"]
    for method, setting in CLAIMS:
        if method in args.methods:
            lines.append(f"| {method} > CE at {setting} | {verdict(accuracies(method, setting), accuracies('vanilla', setting))} |")
    seconds = {m: sum(r["seconds"] for r in rows if r["method"] == m) / max(1, sum(r["method"] == m for r in rows))
               for m in args.methods}
    lines.append("\nMean time per run (s): " + ", ".join(f"{m} {s:.1f}" for m, s in seconds.items()))
    report = "\n".join(lines) + "\n"
    publish(report, args.out)


if __name__ == "__main__":
    main()
