"""What feeds the classifiers of a queued grid, per grid point, mean +- std over the seeds: the
experiments report covers the classifiers' accuracies; this covers the stages upstream of them.

    swaps        BiaSwap's split, swap judges and swaps' yardsticks (params.yaml; the runs that trained BiaSwap)
    noisy        the noisy-label track's clean / noisy split per detector, and how many of the noisy
                 training labels CE (vanilla) fit by its last epoch (noisy/params.yaml)

Reads `dvc exp show --json` of a commit's finished experiments, as the experiments report does:

    python benchmarks/grid_stages.py swaps --rev 7381bce --where compute.threads=1 --where data.source=idx --out fashion_mnist_cpu
    python benchmarks/grid_stages.py noisy --rev 7f7743f --where data.source=idx --out fashion_mnist_cpu
"""
import argparse
import os
from dataclasses import dataclass

from full_size import ROOT
from tables import mean_std, publish

from mitigate.experiments_report import deduplicate, exp_show, finished_runs, flatten, group_of, selected, sort_key


@dataclass(frozen=True)
class MeasureSet:
    params_file: str
    by: tuple[str, ...]  # the grid axes, seed aside
    needs: str | None  # a params key a run must hold to count (None: every run)
    note: str
    measures: tuple[tuple[str, str, str], ...]  # (metrics file, dotted key, column title)


NOISE_DETECTORS = (("gmm", "loss GMM"), ("transition", "transition posterior"), ("cleanlab", "cleanlab"))
MEASURE_SETS = {
    # `dvc exp run evaluate` runs the split and the swaps for BiaSwap alone, and an experiment that
    # did not run them still holds the metrics files of its commit
    "swaps": MeasureSet("params.yaml", ("data.aligned_ratio",), "methods.biaswap",
                        "the runs that trained BiaSwap; the swap measures are on the validation split's pairs", (
                            ("metrics/split.json", "f1", "split F1"),
                            ("metrics/split.json", "precision", "split precision"),
                            ("metrics/judges.json", "bias.test.unbiased", "bias judge (test)"),
                            ("metrics/judges.json", "content.test.unbiased", "content judge (test)"),
                            ("metrics/swapae/cam/metrics.json", "bias_transfer", "swap bias transfer"),
                            ("metrics/swapae/cam/metrics.json", "content_kept", "swap content kept"),
                            ("metrics/swapae/cam/metrics.json", "content_kept_relative", "content kept / judge on real"),
                            ("metrics/augment.json", "bias_transfer", "augment bias transfer"))),
    "noisy": MeasureSet("noisy/params.yaml", ("data.label_noise", "data.noise_rate"), None,
                        "every run; the clean / noisy split of the training labels from out-of-sample probabilities, and on "
                        "the training samples with a noisy label, the share CE's last epoch predicts with that noisy label "
                        "(memorized) or with the true one", tuple(
                            ("noisy/metrics/split_noise.json", f"{detector}.{measure}", f"{title} {measure}")
                            for detector, title in NOISE_DETECTORS for measure in ("f1", "precision", "recall")) + (
                            ("noisy/metrics/train/vanilla/metrics.json", "memorization.noisy_label", "CE memorized"),
                            ("noisy/metrics/train/vanilla/metrics.json", "memorization.true_label", "CE true label"))),
}


def value_of(metrics: dict, path: str, key: str) -> float | None:
    """The dotted `key` of metrics file `path` as `dvc exp show --json` holds it; None when absent."""
    return flatten((metrics.get(path) or {}).get("data") or {}).get(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stages", choices=sorted(MEASURE_SETS))
    parser.add_argument("--rev", required=True, help="the commit whose experiments to read")
    parser.add_argument("--num", type=int, metavar="N", help="and those of the N - 1 commits before it (`dvc exp show -n N`)")
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help="only the runs with this param value")
    parser.add_argument("--by", action="append", metavar="KEY", help="the grid axes (repeatable; default: the set's)")
    parser.add_argument("--out", required=True, help="writes benchmarks/results/grid_STAGES_OUT.md")
    args = parser.parse_args()
    os.chdir(ROOT)
    chosen = MEASURE_SETS[args.stages]
    runs, _ = finished_runs(exp_show(None, args.rev, args.num), chosen.params_file)
    runs, _ = deduplicate([run for run in selected(runs, args.where) if chosen.needs is None or chosen.needs in run.params])
    by = args.by or list(chosen.by)
    lines = [f"# Upstream stages ({args.stages}) over the grid at {args.rev}"
             + (f" and {args.num - 1} commit(s) before it" if args.num and args.num > 1 else ""), "",
             f"Made by `python benchmarks/grid_stages.py {args.stages} --rev {args.rev} "
             + (f"--num {args.num} " if args.num else "")
             + "".join(f"--where {condition} " for condition in args.where)
             + "".join(f"--by {key} " for key in args.by or []) + f"--out {args.out}`. "
             f"Mean ± std over the runs of each grid point (sample std): {chosen.note}.", "",
             "| " + " | ".join(by) + " | runs | " + " | ".join(title for _, _, title in chosen.measures) + " |",
             "|" + "---|" * (len(by) + len(chosen.measures) + 1)]
    points: dict[tuple, list] = {}
    for run in runs:
        points.setdefault(group_of(run, by), []).append(run)
    for point in sorted(points, key=sort_key):
        at = points[point]
        cells = []
        for path, key, _ in chosen.measures:
            values = [value_of(run.metrics, path, key) for run in at]
            cells.append("n/a" if None in values else "{:.3f} ± {:.3f}".format(*mean_std(values)))
        lines.append("| " + " | ".join(map(str, point)) + f" | {len(at)} | " + " | ".join(cells) + " |")
    publish("\n".join(lines) + "\n", f"benchmarks/results/grid_{args.stages}_{args.out}.md")


if __name__ == "__main__":
    main()
