"""The experiments report on a recorded `dvc exp show --json` (tests/data/dvc_exp_show.json, from a
toy repository: the commit at aligned_ratio 0.99 seed 0; experiments at 0.99 seeds 1, 2 and, queued,
at 0.95 seeds 0, 1, 2; a failed queued one (seed 99), a still queued one; the workspace holds the
last 0.99 experiment), on the full-size grid built from it (the colored_fashion_mnist_cpu preset at aligned ratios 0.1,
0.99 and 0.995 x seeds 0, 1, 2, hand-chosen accuracies), and on a real DVC repository."""
import copy
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from imports import ROOT
from tiny_project import project_environment

from mitigate.core.errors import UserError
from mitigate.experiments_report import cell_text, finished_runs, main, summarize
from mitigate.presets import apply_preset, load_preset

EXP_SHOW = Path(__file__).parent / "data" / "dvc_exp_show.json"
ENV = project_environment(ROOT) | dict(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                                       GIT_COMMITTER_EMAIL="t@t")


def report(tmp_path: Path, *args: str, rows: list | None = None) -> tuple[str, dict]:
    """The Markdown and the CSV as {(model, ratio, metric): row} of a report on `rows` (default: the recording)."""
    saved = EXP_SHOW
    if rows is not None:
        saved = tmp_path / "exp_show.json"
        saved.write_text(json.dumps(rows))
    main(["--by", "data.aligned_ratio", "--json", str(saved), "--out", str(tmp_path / "report"), *args])
    with open(tmp_path / "report.csv") as file:
        table = {(row["model"], row["data.aligned_ratio"], row["metric"]): row for row in csv.DictReader(file)}
    return (tmp_path / "report.md").read_text(), table


def experiment(rows: list, name: str) -> dict:
    return next(exp["revs"][0] for exp in rows[1]["experiments"] if exp["name"] == name)


def test_mean_std_and_n_over_the_seeds_of_each_ratio(tmp_path):
    md, table = report(tmp_path, "--ceiling", "group_dro")
    # vanilla's unbiased accuracy is 0.30 + 0.02 seed at 0.99 and 0.08 more at 0.95
    assert [table["vanilla", "0.99", "test.unbiased"][key] for key in ("mean", "std", "n")] == ["32.0", "2.0", "3"]
    assert [table["vanilla", "0.95", "test.unbiased"][key] for key in ("mean", "std", "n")] == ["40.0", "2.0", "3"]
    assert "| lff | 46.00 ± 3.00 | 38.00 ± 3.00 |" in md
    assert "over seed = 0, 1, 2 (sample std, ddof=1; n/a for one run), n = 3 runs per cell; " \
           "source: metrics/evaluate/<model>.json, DVC experiments: 6" in md
    assert (tmp_path / "report.png").stat().st_size > 0
    assert not list(tmp_path.glob(".*.tmp"))


def test_gap_share_is_computed_per_seed_then_averaged(tmp_path):
    md, table = report(tmp_path, "--ceiling", "group_dro")
    # lff closes (0.05 + 0.01 seed) / 0.2 of the gap: 25, 30, 35 %
    assert [table["lff", "0.99", "gap_closed"][key] for key in ("mean", "std", "n")] == ["30.0", "5.0", "3"]
    assert "| lff | 30.00 ± 5.00 | 30.00 ± 5.00 |" in md.split("Gap closed")[1]


def test_the_ceiling_can_be_the_baseline_at_a_grid_point_of_the_same_seed(tmp_path):
    md, table = report(tmp_path, "--ceiling-at", "data.aligned_ratio=0.95")
    # at 0.99 the gap is vanilla at 0.95 minus vanilla at 0.99, 0.08 for every seed; lff closes (0.05 + 0.01 seed) / 0.08
    assert [table["lff", "0.99", "gap_closed"][key] for key in ("mean", "std", "n")] == ["75.0", "12.5", "3"]
    assert table["lff", "0.95", "gap_closed"]["mean"] == ""  # the ceiling's own grid point: undefined
    assert "Share of the vanilla -> vanilla at data.aligned_ratio=0.95 gap" in md
    with pytest.raises(UserError, match="no run at data.aligned_ratio=0.9 with the seed of experiment"):
        report(tmp_path, "--ceiling-at", "data.aligned_ratio=0.9")


def test_gap_share_is_na_where_ceiling_equals_baseline_for_a_seed(tmp_path):
    rows = json.loads(EXP_SHOW.read_text())
    metrics = experiment(rows, "heigh-lays")["data"]["metrics"]  # 0.99, seed 1
    metrics["metrics/evaluate/group_dro.json"]["data"]["test"]["unbiased"] = 0.32  # = vanilla's
    md, table = report(tmp_path, "--ceiling", "group_dro", rows=rows)
    assert "| lff | 30.00 ± 5.00 | n/a |" in md.split("Gap closed")[1]
    assert table["lff", "0.99", "gap_closed"]["mean"] == ""


def test_failed_and_queued_experiments_are_skipped_and_duplicates_counted_once(tmp_path, capsys):
    _, table = report(tmp_path)
    # the failed seed-99 run shows stale metrics; counted, it would make n 4 at 0.95, and the
    # workspace (a copy of the last 0.99 experiment) n 4 at 0.99
    assert {row["n"] for row in table.values()} == {"3"}
    assert {ratio for _, ratio, _ in table} == {"0.95", "0.99"}  # the queued 0.98 run is left out
    err = capsys.readouterr().err
    assert "skipped 2 unfinished experiments: woven-chay (queued), surfy-doxy (failed)" in err
    assert "workspace (same params as ebony-plum)" in err


def test_each_run_keeps_its_git_commit():
    rows = json.loads(EXP_SHOW.read_text())
    revs = {run.name: run.rev for run in finished_runs(rows, "params.yaml")[0]}
    assert revs["master"] == "bbaf4554b79e19731e90e3c5d9014f962de9c580" and revs["workspace"] == "workspace"
    assert revs["ebony-plum"] == experiment(rows, "ebony-plum")["rev"] and len(revs["ebony-plum"]) == 40


@pytest.mark.parametrize("args, message", [
    (["--ceiling", "ceiling"], "experiment master has no metrics/evaluate/ceiling.json: the --ceiling model must be trained"),
    (["--by", "data.noise_rate"], "experiment master has no param 'data.noise_rate'"),
    (["--metrics-dir", "noisy/metrics/evaluate"], "no metrics under noisy/metrics/evaluate/"),
])
def test_errors_name_what_is_missing(tmp_path, args, message):
    with pytest.raises(UserError, match=message):
        report(tmp_path, *args)


def test_two_runs_of_one_seed_that_differ_elsewhere_are_not_averaged(tmp_path):
    rows = json.loads(EXP_SHOW.read_text())
    params = experiment(rows, "heigh-lays")["data"]["params"]["params.yaml"]["data"]  # 0.99, seed 1
    params["seed"], params["data"]["label_noise"] = 2, "symmetric"  # ebony-plum: 0.99, seed 2, none
    with pytest.raises(UserError, match="ebony-plum and heigh-lays share data.aligned_ratio and seed but differ in "
                                        "data.label_noise: add those to --by"):
        report(tmp_path, rows=rows)


def test_where_keeps_only_the_runs_with_a_param_value(tmp_path):
    rows = json.loads(EXP_SHOW.read_text())
    params = experiment(rows, "heigh-lays")["data"]["params"]["params.yaml"]["data"]  # 0.99, seed 1
    params["seed"], params["data"]["label_noise"] = 2, "symmetric"  # ebony-plum: 0.99, seed 2, none
    _, table = report(tmp_path, "--where", "data.label_noise=none", rows=rows)
    assert table["vanilla", "0.99", "test.unbiased"]["n"] == "2"  # the commit (seed 0) and ebony-plum
    with pytest.raises(UserError, match="no finished experiments in `dvc exp show` with data.label_noise=asymmetric"):
        report(tmp_path, "--where", "data.label_noise=asymmetric", rows=rows)


def test_no_finished_experiments(tmp_path):
    with pytest.raises(UserError, match="no finished experiments"):
        report(tmp_path, rows=[])  # dvc exp show --json in a repository without commits


def test_not_a_dvc_repository_quotes_dvc(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", ENV["PATH"])
    with pytest.raises(UserError, match="`dvc exp show --json` failed: you are not inside of a DVC repository"):
        main(["--by", "data.aligned_ratio", "--out", "report"])


def git_dvc(repo: Path, *command: str) -> None:
    subprocess.run(command, cwd=repo, env=ENV, check=True, capture_output=True)


STAGE = """stages:
  evaluate:
    cmd: >-
      python -c "import json, os, yaml; s = yaml.safe_load(open('params.yaml'))['seed'];
      os.makedirs('metrics/evaluate', exist_ok=True);
      [json.dump({'test': {'unbiased': u, 'aligned': 1.0, 'conflicting': u, 'worst_group': u}},
      open(f'metrics/evaluate/{m}.json', 'w')) for m, u in (('vanilla', 0.5 + 0.01 * s), ('ceiling', 0.9))]"
    params: [seed, data]
    metrics:
      - metrics/evaluate:
          cache: false
"""


def repository_with_seeds_0_1_2(repo: Path) -> None:
    """A git + DVC repository whose commit ran seed 0 and whose experiments ran seeds 1 and 2."""
    (repo / "params.yaml").write_text("seed: 0\ndata:\n  noise_rate: 0.2\n")
    (repo / "dvc.yaml").write_text(STAGE)
    for command in (("git", "init", "-q"), ("dvc", "init", "-q"), ("dvc", "repro", "-q"), ("git", "add", "-A"),
                    ("git", "commit", "-qm", "seed 0"), ("dvc", "exp", "run", "-q", "-S", "seed=1"),
                    ("dvc", "exp", "run", "-q", "-S", "seed=2")):
        git_dvc(repo, *command)


def test_report_on_a_real_dvc_repository(tmp_path):
    repository_with_seeds_0_1_2(tmp_path)
    done = subprocess.run([sys.executable, "-m", "mitigate.experiments_report", "--by", "data.noise_rate",
                           "--ceiling", "ceiling", "--out", "reports/noisy"], cwd=tmp_path, env=ENV,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "reports" / "noisy.md").read_text()
    assert "| vanilla | 51.00 ± 1.00 |" in md and "n = 3 runs per cell" in md
    assert "workspace (same params as" in done.stderr
    # the module docstring's plot: DVC fills the template with the CSV, one line per model
    (tmp_path / ".dvc" / "plots").mkdir()
    (tmp_path / ".dvc" / "plots" / "by_model.json").write_text((ROOT / ".dvc" / "plots" / "by_model.json").read_text())
    shown = subprocess.run(["dvc", "plots", "show", "reports/noisy.csv", "-t", "by_model", "-x", "data.noise_rate",
                            "-y", "mean", "--json"], cwd=tmp_path, env=ENV, capture_output=True, text=True, check=True)
    spec = json.loads(shown.stdout)["data"]["reports/noisy.csv"][0]["content"]
    assert spec["spec"]["encoding"]["color"]["field"] == "model"
    assert {row["model"] for row in spec["data"]["values"]} == {"vanilla", "ceiling"}


def test_num_reads_a_grid_extended_at_a_later_commit(tmp_path):
    repository_with_seeds_0_1_2(tmp_path)
    (tmp_path / "NOTES").write_text("a later commit that changes no stage\n")
    for command in (("git", "add", "NOTES"), ("git", "commit", "-qm", "notes"), ("dvc", "exp", "run", "-q", "-S", "seed=3")):
        git_dvc(tmp_path, *command)
    for num, cell in ((None, "| vanilla | 51.50 ± 2.12 |"), (2, "| vanilla | 51.50 ± 1.29 |")):
        done = subprocess.run([sys.executable, "-m", "mitigate.experiments_report", "--by", "data.noise_rate", "--out", "report",
                               *(["--num", str(num)] if num else [])], cwd=tmp_path, env=ENV, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        md = (tmp_path / "report.md").read_text()
        assert cell in md, md  # HEAD alone: seeds 0 (the commit) and 3; two commits: seeds 0-3, seed 0 counted once
    assert "n = 4 runs per cell" in md and "(dvc exp show -n 2)" in md


# The full-size grid (docs/full_size.md: Colored Fashion-MNIST, the colored_fashion_mnist_cpu preset, which drops PGD) at
# aligned ratios 0.99 and 0.995 and, for --ceiling-at, 0.1 (no shortcut), seeds 0, 1, 2, reported by the documented command.
PRESET = "colored_fashion_mnist_cpu"
DOCUMENTED = ("--where", "compute.threads=1", "--ceiling-at", "data.aligned_ratio=0.1")
# test unbiased accuracy per aligned ratio and model, seeds 0, 1, 2; vanilla at 0.1 (the ceiling) is 0.90, 0.92, 0.88,
# so the gap vanilla -> ceiling is 0.50 for every seed at 0.99 and 0.60 at 0.995
UNBIASED = {
    0.1: {"vanilla": (0.90, 0.92, 0.88), "biased": (0.85, 0.95, 0.93), "biaswap": (0.91, 0.92, 0.93), "dfa": (0.78, 0.80, 0.76),
          "group_dro": (0.91, 0.90, 0.92), "jtt": (0.90, 0.91, 0.89), "lff": (0.76, 0.79, 0.73)},
    0.99: {"vanilla": (0.40, 0.42, 0.38), "biased": (0.10, 0.11, 0.12), "biaswap": (0.85, 0.89, 0.84), "dfa": (0.50, 0.57, 0.58),
           "group_dro": (0.45, 0.48, 0.45), "jtt": (0.43, 0.45, 0.41), "lff": (0.52, 0.52, 0.52)},
    0.995: {"vanilla": (0.30, 0.32, 0.28), "biased": (0.10, 0.10, 0.10), "biaswap": (0.81, 0.86, 0.76), "dfa": (0.45, 0.44, 0.37),
            "group_dro": (0.36, 0.35, 0.37), "jtt": (0.33, 0.35, 0.31), "lff": (0.42, 0.47, 0.46)},
}


def params_yaml() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def grid_params(ratio: float, seed: int, threads: int | str = 1) -> dict:
    """params.yaml as `dvc exp run $(python -m mitigate.presets ...) -S data.aligned_ratio=.. -S seed=.. -S compute.threads=..` sets it."""
    params = apply_preset(params_yaml(), load_preset(PRESET, ROOT / "presets"))
    params["data"]["aligned_ratio"], params["seed"], params["compute"]["threads"] = ratio, seed, threads
    return params


def evaluate_metrics(unbiased: dict[str, float]) -> dict:
    """A run's metrics in dvc exp show: metrics/evaluate/<model>.json, whose other test accuracies are offsets of the
    unbiased one (aligned 0.95, conflicting - 0.05, worst group - 0.10), and another stage's."""
    metrics = {f"metrics/evaluate/{model}.json": {"data": {
        "test": {"unbiased": value, "aligned": 0.95, "conflicting": value - 0.05, "worst_group": value - 0.10},
        "valid": {"unbiased": 0.99, "aligned": 0.99, "worst_group": 0.9}}} for model, value in unbiased.items()}
    return metrics | {"metrics/split.json": {"data": {"precision": 0.29, "recall": 1.0}}}


def full_size_grid(failed: set = frozenset(), extra: tuple = ()) -> list:
    """`dvc exp show --json` of the grid: the recording with its commit and workspace at the committed params
    (compute.threads auto) and, as its experiments, the one-off run fmnist-cpu of docs/full_size.md (threads auto
    too), one experiment per ratio and seed (`failed`: the (ratio, seed) that failed), then `extra` (name, state,
    params, unbiased); each shaped as the recording's experiment of its executor state."""
    rows = json.loads(EXP_SHOW.read_text())
    for row in rows:
        row["data"]["params"]["params.yaml"]["data"] = params_yaml()
    shapes = {(exp.get("executor") or {}).get("state"): exp for exp in rows[1]["experiments"]}
    runs = [("fmnist-cpu", None, grid_params(0.99, 0, threads="auto"), {model: seeds[0] for model, seeds in UNBIASED[0.99].items()})]
    runs += [(f"fmnist-{ratio}-s{seed}", "failed" if (ratio, seed) in failed else "success", grid_params(ratio, seed),
              {model: seeds[seed] for model, seeds in models.items()}) for ratio, models in UNBIASED.items() for seed in (0, 1, 2)]
    experiments = []
    for number, (name, state, params, unbiased) in enumerate([*runs, *extra]):
        entry = copy.deepcopy(shapes[state])
        revision = entry["revs"][0]
        entry["name"] = revision["name"] = name
        revision["rev"] = revision["data"]["rev"] = f"{number:040x}"
        revision["data"]["params"]["params.yaml"]["data"], revision["data"]["metrics"] = params, evaluate_metrics(unbiased)
        experiments.append(entry)
    rows[1]["experiments"] = experiments
    return rows


def table(md: str, title: str) -> list[str]:
    """The lines of the Markdown table under the bold title that starts with `title`."""
    return md.split(f"**{title}")[1].split("\n\n")[1].splitlines()


def test_the_grid_is_the_documented_full_size_run():
    assert "--by data.aligned_ratio " + " ".join(DOCUMENTED) in (ROOT / "docs" / "results.md").read_text()
    methods = grid_params(0.99, 0)["methods"]
    assert "pgd" not in methods and {"biased", *methods} == set(UNBIASED[0.99])  # the preset drops PGD; biased: the reference


def test_full_size_grid_mean_std_over_seeds_and_gap_closed(tmp_path, capsys):
    md, csv_table = report(tmp_path, *DOCUMENTED, rows=full_size_grid())
    assert "skipped" not in capsys.readouterr().err
    # the commit, the workspace and fmnist-cpu (compute.threads auto) are left out by --where: 9 runs, 3 per ratio
    assert ("over seed = 0, 1, 2 (sample std, ddof=1; n/a for one run), n = 3 runs per cell; source: "
            "metrics/evaluate/<model>.json, DVC experiments: 9 (") in md
    header = ["| model | data.aligned_ratio=0.1 | data.aligned_ratio=0.99 | data.aligned_ratio=0.995 |", "|---|---|---|---|"]
    # in percent, mean of seeds 0, 1, 2 ± sqrt(sum of squared deviations / (3 - 1)); population std (ddof=0) would
    # give 1.63 for 2.00, 2.16 for 2.65, 3.56 for 4.36
    assert table(md, "Test unbiased accuracy") == [*header,
        "| vanilla | 90.00 ± 2.00 | 40.00 ± 2.00 | 30.00 ± 2.00 |",  # 90 92 88: devs 0 2 -2, sqrt(8/2) = 2; 40 42 38; 30 32 28
        "| biased | 91.00 ± 5.29 | 11.00 ± 1.00 | 10.00 ± 0.00 |",  # 85 95 93: devs -6 4 2, sqrt(56/2); 10 11 12: sqrt(2/2)
        "| biaswap | 92.00 ± 1.00 | 86.00 ± 2.65 | 81.00 ± 5.00 |",  # 91 92 93; 85 89 84: devs -1 3 -2, sqrt(14/2); 81 86 76
        "| dfa | 78.00 ± 2.00 | 55.00 ± 4.36 | 42.00 ± 4.36 |",  # 78 80 76; 50 57 58: devs -5 2 3, sqrt(38/2); 45 44 37: 3 2 -5
        "| group_dro | 91.00 ± 1.00 | 46.00 ± 1.73 | 36.00 ± 1.00 |",  # 91 90 92; 45 48 45: devs -1 2 -1, sqrt(6/2); 36 35 37
        "| jtt | 90.00 ± 1.00 | 43.00 ± 2.00 | 33.00 ± 2.00 |",  # 90 91 89; 43 45 41; 33 35 31
        "| lff | 76.00 ± 3.00 | 52.00 ± 0.00 | 45.00 ± 2.65 |",  # 76 79 73; 52 52 52; 42 47 46: devs -3 2 1, sqrt(14/2)
    ]
    # the other accuracies are offsets of the unbiased one: aligned 95, conflicting - 5, worst group - 10
    assert "| lff | 95.00 ± 0.00 | 95.00 ± 0.00 | 95.00 ± 0.00 |" in table(md, "Test bias-aligned accuracy")
    assert "| lff | 71.00 ± 3.00 | 47.00 ± 0.00 | 40.00 ± 2.65 |" in table(md, "Test bias-conflicting accuracy")
    assert "| lff | 66.00 ± 3.00 | 42.00 ± 0.00 | 35.00 ± 2.65 |" in table(md, "Test worst-group accuracy")
    # "yes" when mean - std > vanilla's mean + std: 92 at 0.1, 42 at 0.99, 32 at 0.995
    assert table(md, "Beyond the spread") == ["| claim | data.aligned_ratio=0.1 | data.aligned_ratio=0.99 | data.aligned_ratio=0.995 |",
                                              "|---|---|---|---|",
                                              "| biased > vanilla | no (within spread) | no | no |",  # 91 - 5.29 <= 92, 91 > 90
                                              "| biaswap > vanilla | no (within spread) | yes | yes |",  # 91 <= 92; 83.35 > 42
                                              "| dfa > vanilla | no | yes | yes |",  # 50.64 > 42; 37.64 > 32
                                              "| group_dro > vanilla | no (within spread) | yes | yes |",  # 44.27 > 42; 35 > 32
                                              "| jtt > vanilla | no | no (within spread) | no (within spread) |",  # 41 <= 42; 31 <= 32
                                              "| lff > vanilla | no | yes | yes |"]  # 52 > 42; 42.35 > 32
    # per seed, (model - vanilla) / (vanilla at 0.1 of the seed - vanilla): / 0.50 at 0.99, / 0.60 at 0.995; at 0.1
    # the gap is 0 (vanilla is its own ceiling): n/a
    assert "Share of the vanilla -> vanilla at data.aligned_ratio=0.1 gap in test unbiased accuracy" in md
    assert table(md, "Gap closed") == [*header,
        "| vanilla | n/a | 0.00 ± 0.00 | 0.00 ± 0.00 |",
        "| biased | n/a | -58.00 ± 5.29 | -33.33 ± 3.33 |",  # -30/.5 -31/.5 -26/.5 = -60 -62 -52; -20/.6 -22/.6 -18/.6
        "| biaswap | n/a | 92.00 ± 2.00 | 85.00 ± 5.00 |",  # 45/.5 47/.5 46/.5 = 90 94 92; 51/.6 54/.6 48/.6 = 85 90 80
        "| dfa | n/a | 30.00 ± 10.00 | 20.00 ± 5.00 |",  # 10/.5 15/.5 20/.5 = 20 30 40; 15/.6 12/.6 9/.6 = 25 20 15
        "| group_dro | n/a | 12.00 ± 2.00 | 10.00 ± 5.00 |",  # 5/.5 6/.5 7/.5 = 10 12 14; 6/.6 3/.6 9/.6 = 10 5 15
        "| jtt | n/a | 6.00 ± 0.00 | 5.00 ± 0.00 |",  # 3/.5 each; 3/.6 each
        "| lff | n/a | 24.00 ± 4.00 | 25.00 ± 5.00 |",  # 12/.5 10/.5 14/.5 = 24 20 28; 12/.6 15/.6 18/.6 = 20 25 30
    ]
    assert [csv_table["dfa", "0.99", "gap_closed"][key] for key in ("mean", "std", "n")] == ["30.0", "10.0", "3"]
    assert [csv_table["biased", "0.995", "gap_closed"][key] for key in ("mean", "std", "n")] == ["-33.3333", "3.3333", "3"]
    assert csv_table["lff", "0.1", "gap_closed"]["mean"] == ""


def test_full_size_grid_with_a_failed_seed_and_a_run_at_another_ratio(tmp_path, capsys):
    at_098 = {"vanilla": 0.50, "biased": 0.20, "biaswap": 0.95, "dfa": 0.60, "group_dro": 0.55, "jtt": 0.53, "lff": 0.62}
    rows = full_size_grid(failed={(0.995, 2)}, extra=(("fmnist-0.98-s0", "success", grid_params(0.98, 0), at_098),))
    md, csv_table = report(tmp_path, *DOCUMENTED, rows=rows)
    assert "skipped 1 unfinished experiments: fmnist-0.995-s2 (failed)" in capsys.readouterr().err
    assert "runs per cell as marked (n=...); source: metrics/evaluate/<model>.json, DVC experiments: 9 (" in md
    unbiased = table(md, "Test unbiased accuracy")
    assert unbiased[0] == ("| model | data.aligned_ratio=0.1 | data.aligned_ratio=0.98 | data.aligned_ratio=0.99 "
                           "| data.aligned_ratio=0.995 |")
    # 0.98: seed 0 alone, no std; 0.995: seeds 0, 1, sqrt(sum of squared deviations / (2 - 1)), not the failed run's
    assert "| vanilla | 90.00 ± 2.00 (n=3) | 50.00 ± n/a (n=1) | 40.00 ± 2.00 (n=3) | 31.00 ± 1.41 (n=2) |" in unbiased  # 30 32: sqrt(2)
    assert "| lff | 76.00 ± 3.00 (n=3) | 62.00 ± n/a (n=1) | 52.00 ± 0.00 (n=3) | 44.50 ± 3.54 (n=2) |" in unbiased  # 42 47: sqrt(12.5)
    # 0.98, seed 0: (62 - 50) / (90 - 50); 0.995: 12/.6 15/.6 = 20 25
    assert "| lff | n/a (n=3) | 30.00 ± n/a (n=1) | 24.00 ± 4.00 (n=3) | 22.50 ± 3.54 (n=2) |" in table(md, "Gap closed")
    assert "| lff > vanilla | no | n/a | yes | yes |" in table(md, "Beyond the spread")  # one run at 0.98: no spread
    assert [csv_table["vanilla", "0.995", "test.unbiased"][key] for key in ("mean", "std", "n")] == ["31.0", "1.4142", "2"]
    assert [csv_table["vanilla", "0.98", "test.unbiased"][key] for key in ("mean", "std", "n")] == ["50.0", "", "1"]


def test_full_size_grid_without_the_ceiling_run_of_a_seed(tmp_path):
    with pytest.raises(UserError, match=r"--ceiling-at data.aligned_ratio=0.1: no run at data.aligned_ratio=0.1 with the seed of "
                                        r"experiment fmnist-0.99-s2; queue it"):
        report(tmp_path, *DOCUMENTED, rows=full_size_grid(failed={(0.1, 2)}))


def test_full_size_grid_where_a_grid_point_trains_fewer_methods(tmp_path):
    # as queued in docs/full_size.md: vanilla alone at 0.1 (the ceiling), no BiaSwap at 0.995
    rows = full_size_grid()
    for entry in rows[1]["experiments"]:
        revision = entry["revs"][0]["data"]
        ratio = revision["params"]["params.yaml"]["data"]["data"]["aligned_ratio"]
        dropped = {0.1: set(UNBIASED[0.1]) - {"vanilla"}, 0.995: {"biaswap"}}.get(ratio, set())
        for model in dropped:
            del revision["metrics"][f"metrics/evaluate/{model}.json"]
    md, csv_table = report(tmp_path, *DOCUMENTED, rows=rows)
    assert "n = 3 runs per cell" in md
    unbiased = table(md, "Test unbiased accuracy")
    assert "| vanilla | 90.00 ± 2.00 | 40.00 ± 2.00 | 30.00 ± 2.00 |" in unbiased
    assert "| biaswap | not run | 86.00 ± 2.65 | not run |" in unbiased
    assert "| lff | not run | 52.00 ± 0.00 | 45.00 ± 2.65 |" in unbiased
    assert "| biaswap > vanilla | not run | yes | not run |" in table(md, "Beyond the spread")
    assert "| lff | not run | 24.00 ± 4.00 | 25.00 ± 5.00 |" in table(md, "Gap closed")
    assert [csv_table["biaswap", "0.995", "test.unbiased"][key] for key in ("mean", "std", "n")] == ["", "", "0"]


def test_a_cell_does_not_depend_on_the_order_of_its_runs():
    # BiaSwap's biased model at 99% on Corrupted Fashion-MNIST, seeds 0-5 (benchmarks/results/
    # experiments_biaswap_gan_weight_corrupted_fashion_mnist_cpu.md): the same six runs under two grid
    # points, listed in two orders; unsorted, the float sums differ and the mean 16.615 rounds both ways
    runs = [100 * value for value in (0.1687, 0.1611, 0.1646, 0.1638, 0.1635, 0.1752)]
    reordered = [runs[0], runs[1], runs[3], runs[4], runs[2], runs[5]]
    assert summarize(runs) == summarize(reordered)
    assert cell_text(summarize(runs), show_n=False) == cell_text(summarize(reordered), show_n=False) == "16.62 ± 0.51"
