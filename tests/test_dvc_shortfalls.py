"""The DVC shortfalls docs/experiments.md names ("Where DVC falls short"), shown by DVC itself on a
two-stage repository: a DVC upgrade that lifts one fails here, so the docs can say so."""
import subprocess
import time
from pathlib import Path

import pytest
from imports import ROOT
from tiny_project import commit, project_environment, run

DOCS = (ROOT / "docs/experiments.md").read_text()
TWO_STAGES = """stages:
  first:
    cmd: python -c "open('first.txt', 'w').write('1')"
    outs: [first.txt]
  second:
    cmd: python -c "open('second.txt', 'w').write(open('first.txt').read())"
    deps: [first.txt]
    outs: [second.txt]
"""


@pytest.fixture
def repo(tmp_path) -> Path:
    run(tmp_path, "git", "init", "-q")
    run(tmp_path, "dvc", "init", "-q")
    (tmp_path / "dvc.yaml").write_text(TWO_STAGES)
    commit(tmp_path, "two stages")
    return tmp_path


def test_exp_run_dry_stops_at_a_stage_that_reads_another(repo):
    dry = run(repo, "dvc", "exp", "run", "--dry", check=False)
    assert dry.returncode != 0
    assert "ERROR: failed to reproduce 'second': [Errno 2] No such file or directory" in dry.stderr
    assert "/.dvc/tmp/exps/standalone/" in dry.stderr
    assert "`ERROR: failed to reproduce 'train_biased': [Errno 2] No such file or directory: '<repo>/.dvc/tmp/exps" in DOCS


def test_there_is_no_queue_wait(repo):
    wait = run(repo, "dvc", "queue", "wait", check=False)
    assert wait.returncode != 0 and "ERROR: argument cmd: invalid choice: 'wait'" in wait.stderr
    assert "`ERROR: argument cmd: invalid choice: 'wait'`" in DOCS


def test_checkout_and_exp_apply_stop_on_a_stage_that_never_ran(repo):
    run(repo, "dvc", "repro", "first")
    commit(repo, "first ran, second never did")
    checkout = run(repo, "dvc", "checkout", check=False)
    assert checkout.returncode == 255
    assert f"WARNING: No file hash info found for '{repo / 'second.txt'}'. It won't be created." in checkout.stderr
    assert "ERROR: Checkout failed for following targets:\nsecond.txt" in checkout.stderr
    assert run(repo, "dvc", "checkout", "first").returncode == 0  # a target leaves the other stage out
    run(repo, "dvc", "exp", "run", "-n", "again", "-f", "first")
    applied = run(repo, "dvc", "exp", "apply", "again", check=False)
    assert applied.returncode == 255 and "ERROR: Checkout failed for following targets:\nsecond.txt" in applied.stderr
    assert "`ERROR: Checkout failed for following targets: ...`, exit status 255" in DOCS


def test_its_background_daemon_dies_on_start_and_leaves_the_analytics_report_behind(repo, tmp_path):
    """DVC starts its daemon as `python <site-packages>/dvc/__main__.py`: the script's folder comes
    first on sys.path, so dvc/types.py shadows the standard library's `types` (treeverse/dvc#11035)."""
    run(repo, "dvc", "config", "--local", "core.analytics", "true")  # whatever this machine's global config says
    reports, log = tmp_path / "reports", tmp_path / "daemon.log"
    reports.mkdir()
    env = {key: value for key, value in project_environment(repo).items() if key not in ("DVC_NO_ANALYTICS", "DVC_TEST")}
    env.update(TMPDIR=str(reports), DVC_DAEMON_LOGFILE=str(log), DVC_ANALYTICS_ENDPOINT="http://127.0.0.1:9")
    subprocess.run(["dvc", "stage", "list"], cwd=repo, env=env, check=True, capture_output=True)
    deadline, printed = time.monotonic() + 60, ""
    while "Error" not in printed and time.monotonic() < deadline:
        time.sleep(0.2)
        printed = log.read_text() if log.exists() else ""
    crash = "ImportError: cannot import name 'GenericAlias' from partially initialized module 'types'"
    assert crash in printed, f"DVC's daemon no longer dies this way; it printed {printed!r}"
    left = [path.read_text() for path in reports.iterdir()]
    assert left == ['{"cmd_class": "CmdStageList", "cmd_return_code": 0}']
    assert f"`{crash}" in DOCS and "DVC_NO_ANALYTICS" in DOCS
