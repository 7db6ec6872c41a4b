"""How well the split stage finds the bias-conflicting training images, per threshold rule, at the
embedded size and under a full-size preset: precision / recall / F1 (mean +- std over seeds).

For each (aligned ratio, seed) it runs `dvc repro split` (synthesize, train_biased, split) in a
scratch copy of the project with the preset applied, then thresholds the stored scores with each
rule: BiaSwap's mean, Otsu's, and the best threshold on the true labels (an oracle, the ceiling of
any rule that thresholds this score). Resumable: finished cells are kept in the scratch copy's
cells.jsonl, and DVC's run-cache restores stages already run with the same params.

    python benchmarks/split_quality.py                               # the embedded default
    python benchmarks/split_quality.py --preset colored_fashion_mnist_cpu
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from compute import cpu_model
from full_size import ROOT, scratch_repo
from tables import mean_std, publish

from mitigate.biaswap.split import threshold_value
from mitigate.core.compute import parse_compute
from mitigate.core.config import Params
from mitigate.data.dataset import load_split
from mitigate.evaluation.metrics import precision_recall_f1
from mitigate.presets import apply_preset, load_preset

RULES = ("mean", "otsu", "oracle")


def oracle_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The threshold (a stored score) with the best F1 against the true labels."""
    order = np.argsort(-scores)
    true_positives = np.cumsum(truth[order])
    f1 = 2 * true_positives / (np.arange(1, len(scores) + 1) + truth.sum())
    return float(scores[order][f1.argmax() + 1]) if f1.argmax() + 1 < len(scores) else -1.0


def measure(where: Path, params: dict, log) -> dict:
    """Run the split for `params` in `where` and score every rule on its stored scores: the
    number of truly conflicting images and, per rule, its threshold, predicted count and quality."""
    (where / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    done = subprocess.run(["dvc", "repro", "split"], cwd=where, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"dvc repro split failed in {where} (see {log.name})")
    scores = pd.read_csv(where / "data/split/train.csv")["score"].to_numpy()
    truth = ~load_split(where / "data/dataset", "train").table["aligned"].to_numpy()
    thresholds = {rule: threshold_value(torch.tensor(scores), rule) for rule in ("mean", "otsu")}
    thresholds["oracle"] = oracle_threshold(scores, truth)
    rules = {rule: {"threshold": threshold, "predicted": int((scores > threshold).sum()),
                    **precision_recall_f1(scores > threshold, truth)} for rule, threshold in thresholds.items()}
    return {"true_conflicting": int(truth.sum()), "rules": rules}


def report(title: str, command: str, params: dict, cells: list[dict]) -> str:
    compute = parse_compute(params["compute"])
    seeds = sorted({cell["seed"] for cell in cells})
    lines = [f"# Split quality: {title}", "",
             f"Made by `{command}`; CPU: {cpu_model()}, {os.cpu_count()} CPUs, threads {compute.threads}. "
             f"Seeds {', '.join(map(str, seeds))}; precision / recall / F1 of \"bias-conflicting\" against the "
             "truth, mean ± std; `oracle` is the best threshold on the true labels (a ceiling, not a rule).", "",
             "| aligned ratio | true conflicting | rule | threshold | predicted | precision | recall | F1 |",
             "|---|---|---|---|---|---|---|---|"]
    for ratio in sorted({cell["ratio"] for cell in cells}):
        at = [cell for cell in cells if cell["ratio"] == ratio]
        for rule in RULES:
            def column(key, at=at, rule=rule):
                mean, std = mean_std([cell["rules"][rule][key] for cell in at])
                return f"{mean:.3f} ± {std:.3f}"
            predicted = mean_std([cell["rules"][rule]["predicted"] for cell in at])[0]
            lines.append(f"| {ratio} | {at[0]['true_conflicting']} | {rule} | {column('threshold')} | {predicted:.0f} | "
                         f"{column('precision')} | {column('recall')} | {column('f1')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", help="a preset of presets/ (default: the embedded default)")
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.99, 0.995])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    os.chdir(ROOT)
    base = Params.load(ROOT / "params.yaml").raw
    if args.preset:
        base = apply_preset(base, load_preset(args.preset))
    name = args.preset or "embedded"
    where = ROOT / "benchmarks" / ".scratch" / f"split_{name}"
    scratch_repo(where, base)
    cells_file = where / "cells.jsonl"
    cells = [json.loads(line) for line in cells_file.read_text().splitlines()] if cells_file.exists() else []
    with open(where / "repro.log", "a") as log:
        for ratio in args.ratios:
            for seed in args.seeds:
                if any(cell["ratio"] == ratio and cell["seed"] == seed for cell in cells):
                    continue
                params = {**base, "seed": seed, "data": {**base["data"], "aligned_ratio": ratio}}
                cells.append({"ratio": ratio, "seed": seed, **measure(where, params, log)})
                with cells_file.open("a") as out:
                    out.write(json.dumps(cells[-1]) + "\n")
                print(cells[-1], flush=True)
    command = "python benchmarks/split_quality.py" + (f" --preset {args.preset}" if args.preset else "")
    title = f"preset `{args.preset}`" if args.preset else "the embedded default"
    publish(report(title, command, base, cells), f"benchmarks/results/split_quality_{name}.md")


if __name__ == "__main__":
    sys.exit(main())
