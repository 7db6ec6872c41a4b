"""BiaSwap's upstream stages over a queued grid: the split, the swap judges and the swaps'
yardsticks per aligned ratio, mean +- std over the seeds (the experiments report covers the
classifiers' accuracies; this covers what feeds BiaSwap's).

Reads `dvc exp show --json` of a commit's finished experiments, as the experiments report does:

    python benchmarks/grid_swaps.py --rev 7381bce --where compute.threads=1 --where data.source=idx --out fashion_mnist_cpu
"""
import argparse
import os

from full_size import ROOT
from tables import mean_std, publish

from mitigate.experiments_report import exp_show, finished_runs, flatten, selected

# (metrics file, dotted key, column title)
MEASURES = [
    ("metrics/split.json", "f1", "split F1"),
    ("metrics/split.json", "precision", "split precision"),
    ("metrics/judges.json", "bias.test.unbiased", "bias judge (test)"),
    ("metrics/judges.json", "content.test.unbiased", "content judge (test)"),
    ("metrics/swapae/cam/metrics.json", "bias_transfer", "swap bias transfer"),
    ("metrics/swapae/cam/metrics.json", "content_kept", "swap content kept"),
    ("metrics/swapae/cam/metrics.json", "content_kept_relative", "content kept / judge on real"),
    ("metrics/augment.json", "bias_transfer", "augment bias transfer"),
]


def value_of(metrics: dict, path: str, key: str) -> float | None:
    """The dotted `key` of metrics file `path` as `dvc exp show --json` holds it; None when absent."""
    return flatten((metrics.get(path) or {}).get("data") or {}).get(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", required=True, help="the commit whose experiments to read")
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help="only the runs with this param value")
    parser.add_argument("--by", default="data.aligned_ratio")
    parser.add_argument("--out", required=True, help="writes benchmarks/results/grid_swaps_OUT.md")
    args = parser.parse_args()
    os.chdir(ROOT)
    runs, _ = finished_runs(exp_show(None, args.rev), "params.yaml")
    # the runs that trained BiaSwap: `dvc exp run evaluate` runs the split and the swaps for it alone, and
    # an experiment that did not run them still holds the metrics files of its commit
    runs = [run for run in selected(runs, args.where) if "methods.biaswap" in run.params]
    lines = [f"# BiaSwap's upstream stages over the grid at {args.rev}", "",
             f"Made by `python benchmarks/grid_swaps.py --rev {args.rev} "
             + "".join(f"--where {condition} " for condition in args.where) + f"--out {args.out}`. "
             f"Mean ± std over the runs of each {args.by} that trained BiaSwap (sample std); the swap measures are "
             "on the validation split's pairs.", "",
             f"| {args.by} | runs | " + " | ".join(title for _, _, title in MEASURES) + " |",
             "|" + "---|" * (len(MEASURES) + 2)]
    for point in sorted({run.params[args.by] for run in runs}):
        at = [run for run in runs if run.params[args.by] == point]
        cells = []
        for path, key, _ in MEASURES:
            values = [value_of(run.metrics, path, key) for run in at]
            cells.append("n/a" if None in values else "{:.3f} ± {:.3f}".format(*mean_std(values)))
        lines.append(f"| {point} | {len(at)} | " + " | ".join(cells) + " |")
    publish("\n".join(lines) + "\n", f"benchmarks/results/grid_swaps_{args.out}.md")


if __name__ == "__main__":
    main()
