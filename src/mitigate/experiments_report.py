"""A report over DVC experiments: test accuracy per model and grid point, mean ± std over seeds.

Run a grid of experiments, wait until `dvc queue status` shows none Queued or Running, then the
report from the repository root:

    dvc exp run --queue -S 'data.aligned_ratio=0.1,0.99' -S 'seed=0,1,2'
    dvc queue start -j 2
    python -m mitigate.experiments_report --by data.aligned_ratio --ceiling-at data.aligned_ratio=0.1 --out reports/bias
    python -m mitigate.experiments_report --by data.noise_rate --params noisy/params.yaml \\
        --metrics-dir noisy/metrics/evaluate --ceiling ceiling --out reports/noisy

It reads `dvc exp show --json` (or a saved copy, --json FILE): the commit, the workspace and every
experiment of the commit (with --num N, of the N commits back from --rev: a grid extended with more
seeds after a commit that changed no stage, whose runs the run-cache restored). Failed, queued and
running experiments are skipped; experiments with the same params (in --params) count once. The
workspace counts as it is: params edited but not yet reproduced would be reported with stale metrics
(so would a workspace caught while `dvc exp run --queue` applies its -S). Paths are the
repository-relative ones `dvc exp show` uses.
It writes, each atomically:

    <out>.md   one Markdown table per test accuracy (rows: models, columns: the --by values, cells:
               mean ± std in percent), and, with --ceiling, the share of the baseline -> ceiling gap
               each model closes
    <out>.csv  long format: model, each --by key, metric, mean, std, n (percent). The template
               .dvc/plots/by_model.json draws it as one line per model, one panel per metric:
                   dvc plots show reports/bias.csv -t by_model -x data.aligned_ratio -y mean
    <out>.png  test unbiased accuracy against the first --by key, one line per model, std error bars
"""
import argparse
import csv
import io
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import yaml

from .core.errors import UserError, first_line
from .core.fileio import write_text
from .core.viz import figure, save_figure

ACCURACIES = {"unbiased": "Test unbiased accuracy", "aligned": "Test bias-aligned accuracy",
              "conflicting": "Test bias-conflicting accuracy", "worst_group": "Test worst-group accuracy"}
GAP = "gap_closed"
FINISHED = (None, "success")  # executor states of a finished run: none (not queued) or the queue's success


@dataclass(frozen=True)
class Run:
    """One finished experiment: its name, its params (flat, dotted keys), its metrics by path and
    its git commit ("workspace" for the workspace)."""
    name: str
    params: dict
    metrics: dict
    rev: str


@dataclass(frozen=True)
class Cell:
    mean: float
    std: float
    n: int


NOT_RUN = Cell(math.nan, math.nan, 0)  # a model no run of the grid point trained (its `methods` left it out)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mitigate.experiments_report", description=__doc__.splitlines()[0])
    parser.add_argument("--by", action="append", required=True, metavar="KEY",
                        help="a grid axis other than the seed, a dotted params key (repeatable)")
    parser.add_argument("--seed-key", default="seed")
    parser.add_argument("--metrics-dir", default="metrics/evaluate", help="holds <model>.json")
    parser.add_argument("--params", default="params.yaml", help="the params file of the grid")
    parser.add_argument("--baseline", default="vanilla")
    ceiling = parser.add_mutually_exclusive_group()
    ceiling.add_argument("--ceiling", help="a model in every experiment; adds the gap table")
    ceiling.add_argument("--ceiling-at", metavar="KEY=VALUE",
                         help="the baseline in the run of the same seed at this grid point (e.g. data.aligned_ratio=0.1, "
                              "no shortcut) is the ceiling; adds the gap table")
    parser.add_argument("--out", required=True, metavar="PREFIX", help="writes PREFIX.md, .csv and .png")
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                        help="only the runs with this param value (repeatable), e.g. compute.threads=1")
    parser.add_argument("--rev", help="the commit whose experiments to read (default: HEAD), for a grid run before later commits")
    parser.add_argument("--num", type=int, metavar="N",
                        help="the experiments of N commits (first parents) back from --rev, as `dvc exp show -n N`: for a "
                             "grid extended at later commits that changed no stage")
    parser.add_argument("--json", type=Path, metavar="FILE", help="a saved `dvc exp show --json` instead of dvc")
    return parser.parse_args(argv)


def show_command(rev: str | None = None, num: int | None = None) -> list[str]:
    """The `dvc exp show` command line of --rev and --num."""
    return ["dvc", "exp", "show", *(["--rev", rev] if rev else []), *(["-n", str(num)] if num else [])]


def exp_show(saved: Path | None, rev: str | None = None, num: int | None = None) -> list:
    """The rows of `dvc exp show --json`, from dvc or from a saved copy."""
    if saved is not None:
        try:
            return json.loads(saved.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise UserError(f"cannot read {saved}: {first_line(error)}") from None
    try:
        done = subprocess.run([*show_command(rev, num), "--json"], capture_output=True, text=True)
    except FileNotFoundError:
        raise UserError("dvc is not installed (no `dvc` on PATH)") from None
    if done.returncode != 0:
        raise UserError(f"`dvc exp show --json` failed: {dvc_error(done.stderr) or f'exit status {done.returncode}'}")
    return json.loads(done.stdout)


def dvc_error(stderr: str) -> str:
    """DVC's `ERROR: ...` line (the last line when there is none), without the prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    if errors:
        return errors[0]
    return lines[-1] if lines else ""


def revisions(rows: list) -> list[tuple[dict, str | None]]:
    """Each revision with its executor state: the commits, the tip of each of their experiments,
    then the workspace (last, so that a duplicate of it keeps the experiment's name)."""
    commits = [row for row in rows if row["rev"] != "workspace"]
    found = []
    for commit in commits:
        found.append((commit, None))
        for experiment in commit.get("experiments") or []:
            found.append((experiment["revs"][0], (experiment.get("executor") or {}).get("state")))
    return found + [(row, None) for row in rows if row["rev"] == "workspace"]


def name_of(revision: dict) -> str:
    """The experiment's or branch's name, else "workspace" or the short commit hash."""
    return revision["name"] or (revision["rev"] if revision["rev"] == "workspace" else revision["rev"][:7])


def flatten(params: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in params.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def to_run(revision: dict, params_file: str) -> Run:
    params = revision["data"]["params"]
    if params_file not in params:
        raise UserError(f"experiment {name_of(revision)} has no params from {params_file} "
                        f"(dvc exp show lists: {', '.join(params) or 'none'}); set --params")
    return Run(name_of(revision), flatten(params[params_file].get("data") or {}), revision["data"]["metrics"] or {},
               revision["rev"])


def finished_runs(rows: list, params_file: str) -> tuple[list[Run], list[str]]:
    """The finished runs and the names of the skipped (failed, queued or running) experiments."""
    runs, skipped = [], []
    for revision, state in revisions(rows):
        if revision["error"] is None and revision.get("data") and state in FINISHED:
            runs.append(to_run(revision, params_file))
        else:
            skipped.append(f"{name_of(revision)} ({state or 'failed'})")
    return runs, skipped


def deduplicate(runs: list[Run]) -> tuple[list[Run], list[str]]:
    """The first run of each set of identical params, and notes on the others."""
    kept: dict[str, Run] = {}
    notes = []
    for run in runs:
        key = json.dumps(run.params, sort_keys=True)
        if key in kept:
            notes.append(f"{run.name} (same params as {kept[key].name})")
        else:
            kept[key] = run
    return list(kept.values()), notes


def param(run: Run, key: str):
    if key not in run.params:
        raise UserError(f"experiment {run.name} has no param {key!r} in --params; --by and --seed-key take dotted keys")
    return run.params[key]


def sort_key(values: tuple) -> tuple:
    """Numbers in order, before strings."""
    return tuple((0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value)) for value in values)


def group_of(run: Run, by: list[str]) -> tuple:
    return tuple(param(run, key) for key in by)


def selected(runs: list[Run], conditions: list[str]) -> list[Run]:
    """The runs whose params have every KEY=VALUE of `conditions` (VALUE read as YAML, as `-S` does)."""
    for condition in conditions:
        key, sep, value = condition.partition("=")
        if not sep:
            raise UserError(f"--where {condition}: expected KEY=VALUE")
        runs = [run for run in runs if param(run, key) == yaml.safe_load(value)]
    return runs


def check_one_run_per_seed(runs: list[Run], by: list[str], seed_key: str) -> None:
    """Two runs of one grid point and seed differ in some other param: averaging them over
    "seeds" would mix settings."""
    seen: dict[tuple, Run] = {}
    for run in runs:
        point = (*group_of(run, by), param(run, seed_key))
        if point in seen:
            other = seen[point]
            differ = sorted(key for key in other.params.keys() | run.params.keys()
                            if other.params.get(key) != run.params.get(key))
            raise UserError(f"experiments {other.name} and {run.name} share {', '.join(by)} and {seed_key} but "
                            f"differ in {', '.join(differ)}: add those to --by or remove one (dvc exp remove)")
        seen[point] = run


def model_names(runs: list[Run], metrics_dir: str, baseline: str, ceiling: str | None) -> list[str]:
    """Every model with a metrics file in some run: the baseline first, the ceiling last."""
    names = {PurePosixPath(path).stem for run in runs for path in run.metrics
             if str(PurePosixPath(path).parent) == metrics_dir and path.endswith(".json")}
    return sorted(names, key=lambda name: (name == ceiling, name != baseline, name))


def require_models(runs: list[Run], metrics_dir: str, roles: dict[str, str]) -> None:
    for run in runs:
        for role, model in roles.items():
            if f"{metrics_dir}/{model}.json" not in run.metrics:
                raise UserError(f"experiment {run.name} has no {metrics_dir}/{model}.json: "
                                f"the {role} model must be trained in every experiment")


def accuracies_of(run: Run, metrics_dir: str, model: str) -> dict[str, float]:
    path = f"{metrics_dir}/{model}.json"
    entry = run.metrics.get(path) or {}
    if "data" not in entry:
        problem = entry.get("error", {}).get("msg") if entry else "missing"
        raise UserError(f"experiment {run.name}: metrics file {path} {problem}")
    test = entry["data"].get("test", {})
    missing = [key for key in ACCURACIES if key not in test]
    if missing:
        raise UserError(f"experiment {run.name}: {path} has no test.{', test.'.join(missing)}")
    return {key: test[key] for key in ACCURACIES}


def gap_closed(unbiased: dict[str, float], baseline: str, ceiling: float) -> dict[str, float]:
    """(model - baseline) / (ceiling - baseline) per model; NaN when ceiling == baseline."""
    gap = ceiling - unbiased[baseline]
    return {model: (value - unbiased[baseline]) / gap if gap else math.nan for model, value in unbiased.items()}


def ceilings(runs: list[Run], args) -> dict[str, float]:
    """Per run name, the test unbiased accuracy that closes the whole gap: model --ceiling of the
    same run, or with --ceiling-at KEY=VALUE the baseline's in the run with that value, the same
    seed and the same other --by values. Empty without either option."""
    if args.ceiling:
        return {run.name: accuracies_of(run, args.metrics_dir, args.ceiling)["unbiased"] for run in runs}
    if not args.ceiling_at:
        return {}
    key, sep, value = args.ceiling_at.partition("=")
    if not sep or key not in args.by:
        raise UserError(f"--ceiling-at {args.ceiling_at}: expected KEY=VALUE with KEY one of --by ({', '.join(args.by)})")
    value = yaml.safe_load(value)

    def point(run: Run, at=None) -> tuple:
        return tuple(at if name == key and at is not None else param(run, name) for name in [*args.by, args.seed_key])

    reference = {point(run): run for run in runs if param(run, key) == value}
    found = {}
    for run in runs:
        ceiling_run = reference.get(point(run, value))
        if ceiling_run is None:
            raise UserError(f"--ceiling-at {args.ceiling_at}: no run at {key}={value} with the {args.seed_key} of "
                            f"experiment {run.name}; queue it (dvc exp run --queue -S {key}={value} ...)")
        found[run.name] = accuracies_of(ceiling_run, args.metrics_dir, args.baseline)["unbiased"]
    return found


def run_values(run: Run, models: list[str], metrics_dir: str, baseline: str, ceiling: float | None) -> dict:
    """(model, metric) -> value of one run, in percent, for the models it trained."""
    results = {model: accuracies_of(run, metrics_dir, model) for model in models if f"{metrics_dir}/{model}.json" in run.metrics}
    values = {(model, metric): 100 * value for model, result in results.items() for metric, value in result.items()}
    if ceiling is not None:
        shares = gap_closed({model: result["unbiased"] for model, result in results.items()}, baseline, ceiling)
        values |= {(model, GAP): 100 * share for model, share in shares.items()}
    return values


def summarize(values: list[float]) -> Cell:
    """Mean and sample std (ddof=1); NaN when a value is NaN, std NaN for a single run. Sorted first:
    a float sum depends on its order, and the same runs listed in another order (two grid points
    sharing their runs) could otherwise round a mean like 16.615 to 16.61 in one cell, 16.62 in the other."""
    values = sorted(values)
    std = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return Cell(float(np.mean(values)), std, len(values))


def cells(runs: list[Run], by: list[str], models: list[str], metrics_dir: str, baseline: str,
          ceiling: dict[str, float]) -> dict[tuple, Cell]:
    """(model, group, metric) -> Cell over the runs of the group (NOT_RUN where none trained the
    model); `ceiling`: see `ceilings`."""
    collected: dict[tuple, list[float]] = {}
    for run in runs:
        for (model, metric), value in run_values(run, models, metrics_dir, baseline, ceiling.get(run.name)).items():
            collected.setdefault((model, group_of(run, by), metric), []).append(value)
    groups, metrics = {group for _, group, _ in collected}, {metric for _, _, metric in collected}
    return {(model, group, metric): summarize(collected[model, group, metric]) if (model, group, metric) in collected else NOT_RUN
            for model in models for group in groups for metric in metrics}


def number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def cell_text(cell: Cell, show_n: bool) -> str:
    if cell.n == 0:
        return "not run"
    text = "n/a" if math.isnan(cell.mean) else f"{number(cell.mean)} ± {number(cell.std)}"
    return f"{text} (n={cell.n})" if show_n else text


def group_label(by: list[str], group: tuple) -> str:
    return ", ".join(f"{key}={value}" for key, value in zip(by, group))


def markdown_table(summary: dict, models: list[str], groups: list[tuple], by: list[str], metric: str,
                   show_n: bool) -> str:
    lines = ["| model | " + " | ".join(group_label(by, group) for group in groups) + " |",
             "|" + "---|" * (len(groups) + 1)]
    for model in models:
        lines.append(f"| {model} | " + " | ".join(cell_text(summary[model, group, metric], show_n)
                                                 for group in groups) + " |")
    return "\n".join(lines) + "\n"


def caption(runs: list[Run], summary: dict, seed_key: str, metrics_dir: str, source: str) -> str:
    seeds = sorted({run.params[seed_key] for run in runs}, key=lambda seed: sort_key((seed,)))
    counts = sorted({cell.n for cell in summary.values() if cell.n})
    per_cell = f"n = {counts[0]} runs per cell" if len(counts) == 1 else "runs per cell as marked (n=...)"
    return (f"Mean ± std in percent over {seed_key} = {', '.join(map(str, seeds))} (sample std, ddof=1; n/a for "
            f"one run), {per_cell}; source: {metrics_dir}/<model>.json, DVC experiments: {len(runs)} ({source}).")


def gap_caption(baseline: str, ceiling: str) -> str:
    return (f"Share of the {baseline} -> {ceiling} gap in test unbiased accuracy each model closes, "
            f"(model - {baseline}) / ({ceiling} - {baseline}), computed per seed, then mean ± std, in percent; "
            f"n/a: {ceiling} = {baseline} for some seed, the share is undefined.")


def beyond_spread(model: Cell, baseline: Cell) -> str:
    """"yes" only when the model's mean - std is above the baseline's mean + std; "n/a" without a std (one run)."""
    if model.n == 0 or baseline.n == 0:
        return "not run"
    if math.isnan(model.std) or math.isnan(baseline.std):
        return "n/a"
    if model.mean - model.std > baseline.mean + baseline.std:
        return "yes"
    return "no (within spread)" if model.mean > baseline.mean else "no"


def claims_table(summary: dict, models: list[str], groups: list[tuple], by: list[str], baseline: str) -> str:
    lines = ["| claim | " + " | ".join(group_label(by, group) for group in groups) + " |", "|" + "---|" * (len(groups) + 1)]
    for model in models:
        if model != baseline:
            lines.append(f"| {model} > {baseline} | " + " | ".join(
                beyond_spread(summary[model, group, "unbiased"], summary[baseline, group, "unbiased"]) for group in groups) + " |")
    return "\n".join(lines) + "\n"


def markdown(summary: dict, runs: list[Run], models: list[str], groups: list[tuple], args, source: str) -> str:
    show_n = len({cell.n for cell in summary.values() if cell.n}) > 1
    parts = [caption(runs, summary, args.seed_key, args.metrics_dir, source) + "\n"]
    for metric, title in ACCURACIES.items():
        parts.append(f"**{title} (%)**\n\n" + markdown_table(summary, models, groups, args.by, metric, show_n))
    if args.baseline in models and len({run.params[args.seed_key] for run in runs}) > 1:
        parts.append(f"**Beyond the spread** (test unbiased: \"yes\" when the model's mean - std is above "
                     f"{args.baseline}'s mean + std)\n\n" + claims_table(summary, models, groups, args.by, args.baseline))
    if args.ceiling or args.ceiling_at:
        label = args.ceiling or f"{args.baseline} at {args.ceiling_at}"
        parts.append(f"**Gap closed (%)**: {gap_caption(args.baseline, label)}\n\n"
                     + markdown_table(summary, models, groups, args.by, GAP, show_n))
    return "\n".join(parts)


def metric_name(metric: str) -> str:
    return metric if metric == GAP else f"test.{metric}"


def plain(value: float) -> float | str:
    return "" if math.isnan(value) else round(value, 4)


def csv_text(summary: dict, models: list[str], groups: list[tuple], by: list[str], metrics: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["model", *by, "metric", "mean", "std", "n"])
    for metric in metrics:
        for model in models:
            for group in groups:
                cell = summary[model, group, metric]
                writer.writerow([model, *group, metric_name(metric), plain(cell.mean), plain(cell.std), cell.n])
    return out.getvalue()


def plot(path: str, summary: dict, models: list[str], groups: list[tuple], by: list[str]) -> None:
    """Test unbiased accuracy against the first --by key (evenly spaced), one line per model and
    value of the other --by keys."""
    xs = sorted({group[0] for group in groups}, key=lambda x: sort_key((x,)))
    fig, axes = figure(1, 1, figsize=(6.4, 4.2))
    ax = axes[0][0]
    for model in models:
        for rest in sorted({group[1:] for group in groups}, key=sort_key):
            points = [(xs.index(group[0]), summary[model, group, "unbiased"]) for group in groups
                      if group[1:] == rest and summary[model, group, "unbiased"].n]
            label = f"{model} ({group_label(by[1:], rest)})" if rest else model
            ax.errorbar([x for x, _ in points], [cell.mean for _, cell in points],
                        yerr=[cell.std for _, cell in points], marker="o", capsize=3, label=label)
    ax.set_xticks(range(len(xs)), [str(x) for x in xs])
    ax.set_xlabel(by[0])
    ax.set_ylabel("test unbiased accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(path, fig, "Test unbiased accuracy, mean ± std over seeds")


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    args.metrics_dir = str(PurePosixPath(args.metrics_dir))  # as dvc exp show writes it: no ./ nor trailing /
    rows = exp_show(args.json, args.rev, args.num)
    runs, skipped = finished_runs(rows, args.params)
    if skipped:
        print(f"skipped {len(skipped)} unfinished experiments: {', '.join(skipped)}", file=sys.stderr)
    runs = selected(runs, args.where)
    if not runs:
        raise UserError(f"no finished experiments in `dvc exp show`{' with ' + ' and '.join(args.where) if args.where else ''}")
    runs, duplicates = deduplicate(runs)
    if duplicates:
        print(f"counted once, {len(duplicates)} duplicates left out: {', '.join(duplicates)}", file=sys.stderr)
    check_one_run_per_seed(runs, args.by, args.seed_key)
    if args.ceiling:
        require_models(runs, args.metrics_dir, {"--baseline": args.baseline, "--ceiling": args.ceiling})
    models = model_names(runs, args.metrics_dir, args.baseline, args.ceiling)
    if not models:
        raise UserError(f"no metrics under {args.metrics_dir}/ in experiment {runs[0].name}; set --metrics-dir")
    summary = cells(runs, args.by, models, args.metrics_dir, args.baseline, ceilings(runs, args))
    groups = sorted({group_of(run, args.by) for run in runs}, key=sort_key)
    source = str(args.json) if args.json else " ".join(show_command(args.rev, args.num))
    write_text(f"{args.out}.md", markdown(summary, runs, models, groups, args, source))
    metrics = [*ACCURACIES, GAP] if args.ceiling or args.ceiling_at else list(ACCURACIES)
    write_text(f"{args.out}.csv", csv_text(summary, models, groups, args.by, metrics))
    plot(f"{args.out}.png", summary, models, groups, args.by)


if __name__ == "__main__":
    from .core.stage import run_stage

    run_stage(lambda: main(sys.argv[1:]))
