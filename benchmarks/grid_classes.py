"""Test accuracy per class over a queued grid, per grid point and model, mean ± std over the seeds:
the experiments report's worst group says that a model lost some (class, bias) cell; this says
which classes it lost, and whether every seed lost them.

The per-(class, bias) test cells (`<cells-dir>/<model>.json`, written by `evaluate`) are a DVC
plot, not a metric, so `dvc exp show` does not hold them: each finished experiment that `dvc exp
show --json` lists is read from its own git commit (`git show <experiment>:<cells-dir>/<model>.json`).
A class's accuracy is its cells' accuracies weighted by their counts.

    python benchmarks/grid_classes.py --params noisy/params.yaml --cells-dir noisy/metrics/cells \\
        --by data.label_noise --by data.noise_rate --rev 6dd472a --num 5 --where data.source=idx \\
        --where train.epochs=50 --out noisy_50_epochs_fashion_mnist_cpu
"""
import argparse
import json
import os
import subprocess
from pathlib import Path

from full_size import ROOT
from tables import mean_std, publish

from mitigate.core.errors import UserError, first_line
from mitigate.core.stage import run_stage
from mitigate.experiments_report import Run, deduplicate, exp_show, finished_runs, group_of, selected, sort_key

# the class names of each class set `data.noise_pairs` names, in label order
CLASS_NAMES = {
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}


def git(*arguments: str) -> str:
    done = subprocess.run(["git", *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"`git {' '.join(arguments)}` failed: {first_line(done.stderr)}")
    return done.stdout


def cells_of(run: Run, cells_dir: str) -> dict[str, list[dict]]:
    """Model -> its test cells, for every model the experiment evaluated: the files of `cells_dir`
    in the experiment's commit (in the working tree for the workspace) of the repository here."""
    if run.rev == "workspace":
        return {file.stem: json.loads(file.read_text()) for file in sorted(Path(cells_dir).glob("*.json"))}
    paths = [path for path in git("ls-tree", "--name-only", f"{run.rev}:{cells_dir}").split() if path.endswith(".json")]
    return {Path(path).stem: json.loads(git("show", f"{run.rev}:{cells_dir}/{path}")) for path in paths}


def class_accuracies(cells: list[dict]) -> dict[int, float]:
    """Class -> accuracy over all its test samples: its (class, bias) cells weighted by their counts."""
    correct: dict[int, float] = {}
    counts: dict[int, int] = {}
    for cell in cells:
        correct[cell["target"]] = correct.get(cell["target"], 0.0) + cell["accuracy"] * cell["count"]
        counts[cell["target"]] = counts.get(cell["target"], 0) + cell["count"]
    return {target: correct[target] / counts[target] for target in sorted(counts)}


def lost(per_run: list[dict[int, float]]) -> dict[int, int]:
    """Class -> in how many runs no test sample of it was right, for the classes some run lost."""
    counts = {target: sum(accuracies[target] == 0 for accuracies in per_run) for target in per_run[0]}
    return {target: count for target, count in counts.items() if count}


def point_table(per_model: dict[str, list[dict[int, float]]], names: tuple[str, ...] | None) -> list[str]:
    """One grid point: a row per model, a column per class (mean ± std in percent over its runs),
    then the classes some run lost (in how many of the runs)."""
    classes = sorted({target for per_run in per_model.values() for accuracies in per_run for target in accuracies})
    label = [f"{target} {names[target]}" if names else str(target) for target in classes]
    lines = ["| model | runs | " + " | ".join(label) + " | lost (runs) |", "|" + "---|" * (len(classes) + 3)]
    for model, per_run in per_model.items():
        values = ["{:.2f} ± {:.2f}".format(*(100 * value for value in mean_std([run[target] for run in per_run])))
                  for target in classes]
        lost_classes = ", ".join(f"{label[classes.index(target)]} ({count}/{len(per_run)})"
                                 for target, count in lost(per_run).items()) or "none"
        lines.append(f"| {model} | {len(per_run)} | " + " | ".join(values) + f" | {lost_classes} |")
    return lines


def class_names(runs: list[Run]) -> tuple[str, ...] | None:
    """The class names when every run's `data.noise_pairs` names the same known class set."""
    sets = {run.params.get("data.noise_pairs") for run in runs}
    return CLASS_NAMES.get(sets.pop()) if len(sets) == 1 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="the params file of the grid")
    parser.add_argument("--cells-dir", default="metrics/cells", help="holds <model>.json, repository-relative")
    parser.add_argument("--baseline", default="vanilla", help="the model of the first row")
    parser.add_argument("--by", action="append", required=True, metavar="KEY", help="a grid axis other than the seed (repeatable)")
    parser.add_argument("--rev", required=True, help="the commit whose experiments to read")
    parser.add_argument("--num", type=int, metavar="N", help="and those of the N - 1 commits before it (`dvc exp show -n N`)")
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE", help="only the runs with this param value")
    parser.add_argument("--out", required=True, help="writes benchmarks/results/grid_classes_OUT.md")
    args = parser.parse_args()
    os.chdir(ROOT)
    runs, _ = finished_runs(exp_show(None, args.rev, args.num), args.params)
    runs, _ = deduplicate(selected(runs, args.where))
    if not runs:
        raise UserError(f"no finished experiments at {args.rev} with {' and '.join(args.where) or 'any params'}")
    points: dict[tuple, dict[str, list]] = {}
    for run in runs:
        for model, cells in cells_of(run, args.cells_dir.rstrip("/")).items():
            points.setdefault(group_of(run, args.by), {}).setdefault(model, []).append(class_accuracies(cells))
    lines = [f"# Test accuracy per class over the grid at {args.rev}"
             + (f" and {args.num - 1} commit(s) before it" if args.num and args.num > 1 else ""), "",
             "Made by `python benchmarks/grid_classes.py "
             + f"--params {args.params} --cells-dir {args.cells_dir} " + "".join(f"--by {key} " for key in args.by)
             + f"--rev {args.rev} " + (f"--num {args.num} " if args.num else "")
             + "".join(f"--where {condition} " for condition in args.where) + f"--out {args.out}`. "
             "Mean ± std in percent over the runs of each grid point (sample std); a class's accuracy is its "
             "(class, bias) test cells' weighted by their counts; lost (runs): the classes of which no test sample "
             "was right, in how many of the runs."]
    names = class_names(runs)
    for point in sorted(points, key=sort_key):
        lines += ["", "**" + ", ".join(f"{key}={value}" for key, value in zip(args.by, point)) + "**", ""]
        models = sorted(points[point], key=lambda model: (model != args.baseline, model))
        lines += point_table({model: points[point][model] for model in models}, names)
    publish("\n".join(lines) + "\n", f"benchmarks/results/grid_classes_{args.out}.md")


if __name__ == "__main__":
    run_stage(main)
