"""The experiments report on a recorded `dvc exp show --json` (tests/data/dvc_exp_show.json, from a
toy repository: the commit at aligned_ratio 0.99 seed 0; experiments at 0.99 seeds 1, 2 and, queued,
at 0.95 seeds 0, 1, 2; a failed queued one (seed 99), a still queued one; the workspace holds the
last 0.99 experiment), and on a real DVC repository."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from imports import ROOT

from mitigate.core.errors import UserError
from mitigate.experiments_report import main

EXP_SHOW = Path(__file__).parent / "data" / "dvc_exp_show.json"
ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1",
           PYTHONPATH=str(ROOT / "src"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
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


def test_report_on_a_real_dvc_repository(tmp_path):
    (tmp_path / "params.yaml").write_text("seed: 0\ndata:\n  noise_rate: 0.2\n")
    (tmp_path / "dvc.yaml").write_text(STAGE)
    for command in (("git", "init", "-q"), ("dvc", "init", "-q"), ("dvc", "repro", "-q"), ("git", "add", "-A"),
                    ("git", "commit", "-qm", "seed 0"), ("dvc", "exp", "run", "-q", "-S", "seed=1"),
                    ("dvc", "exp", "run", "-q", "-S", "seed=2")):
        git_dvc(tmp_path, *command)
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
