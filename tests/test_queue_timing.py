"""benchmarks/queue_timing.py's pure parts: the `dvc exp run --queue` calls it makes, how it reads
`dvc queue status` and an experiment's log, and when it starts DVC's missing workers again."""
import importlib
import os
import shlex
import signal

import pytest
from imports import ROOT


@pytest.fixture
def queue_timing(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the script imports its neighbours
    return importlib.import_module("queue_timing")


def test_the_shorthand_is_one_call_with_the_threads_last(queue_timing):
    calls = queue_timing.queue_calls(["data.aligned_ratio=0.95,0.99", "seed=0,1,2"], None, "params.yaml", 1)
    assert calls == [["-S", "data.aligned_ratio=0.95,0.99", "-S", "seed=0,1,2", "-S", "compute.threads=1"]]


def test_each_grid_string_is_one_call_and_threads_go_to_the_named_params_file(queue_timing):
    grids = ["noisy/dvc.yaml -S 'noisy/params.yaml:seed=0,1,2'", "noisy/dvc.yaml -S noisy/params.yaml:data.noise_rate=0.8"]
    calls = queue_timing.queue_calls(None, grids, "noisy/params.yaml", 2)
    assert calls == [["noisy/dvc.yaml", "-S", "noisy/params.yaml:seed=0,1,2", "-S", "noisy/params.yaml:compute.threads=2"],
                     ["noisy/dvc.yaml", "-S", "noisy/params.yaml:data.noise_rate=0.8", "-S", "noisy/params.yaml:compute.threads=2"]]


def test_the_made_by_line_runs_the_same_calls_again(queue_timing):
    argv = ["--workers", "2", "--params", "noisy/params.yaml", "--grid", "evaluate -S '~methods.jtt' -S seed=0,1,2", "--grid", "evaluate"]
    line = queue_timing.made_by(queue_timing.parse_args(argv))
    assert shlex.split(line)[:2] == ["python", "benchmarks/queue_timing.py"]
    assert queue_timing.parse_args(shlex.split(line)[2:]) == queue_timing.parse_args(argv)


def test_the_shorthand_and_grid_strings_exclude_each_other(queue_timing, capsys):
    with pytest.raises(SystemExit):
        queue_timing.parse_args(["-S", "seed=0", "--grid", "evaluate"])
    assert "not allowed with argument" in capsys.readouterr().err


STATUS = """Task     Name        Created    Status
1a2b3c4  exp-aaaa    05:30 AM   Running
5d6e7f8  exp-bbbb    05:30 AM   Queued
9a8b7c6  exp-cccc    05:29 AM   Success

Worker status: 0 active, 0 idle
"""


def test_queue_status_rows_and_the_restart_rule(queue_timing, monkeypatch):
    monkeypatch.setattr(queue_timing, "dvc", lambda *args, cwd: STATUS)
    rows, workers = queue_timing.queue_status(ROOT)
    assert rows == [("exp-aaaa", "Running"), ("exp-bbbb", "Queued"), ("exp-cccc", "Success")] and workers == 0
    assert queue_timing.short_of_workers({"Queued", "Success"}, workers, wanted=2)  # all stopped (dvc#10562)
    assert queue_timing.short_of_workers({"Running", "Queued"}, 1, wanted=2)  # one died (dvc-task#73)
    assert not queue_timing.short_of_workers({"Running", "Queued"}, 2, wanted=2)
    assert not queue_timing.short_of_workers({"Running", "Success"}, 1, wanted=2)  # nothing left for a second worker


def test_running_tasks_without_any_worker_are_orphans(queue_timing):
    tasks = [("exp-aaaa", "Running"), ("exp-bbbb", "Queued"), ("exp-cccc", "Success")]
    assert queue_timing.orphaned(tasks, workers=0) == ["exp-aaaa"]  # its worker was killed: DVC keeps it Running
    assert queue_timing.orphaned(tasks, workers=1) == []


def test_a_status_without_the_worker_line_stops_the_script(queue_timing, monkeypatch):
    monkeypatch.setattr(queue_timing, "dvc", lambda *args, cwd: STATUS.split("\n\n")[0])
    with pytest.raises(SystemExit, match="no 'Worker status: N active, M idle' line"):
        queue_timing.queue_status(ROOT)


def test_stage_counts_tell_run_from_restored(queue_timing):
    log = "Running stage 'prepare':\n> python stages/prepare.py\nStage 'biased' is cached - skipping run, checking out outputs\n" \
          "Running stage 'evaluate':\n"
    assert queue_timing.stage_counts(log) == (2, 1)


def test_starting_workers_returns_while_the_daemons_it_leaves_run(queue_timing, tmp_path):
    # `dvc queue start` forks workers that inherit its stdout; the script must not wait for them
    pid_file = tmp_path / "daemon.pid"
    queue_timing.run(["bash", "-c", f"sleep 60 & echo $! > {pid_file}; echo started"], tmp_path)
    daemon = int(pid_file.read_text())
    try:
        os.kill(daemon, 0)  # still running: the call did not wait for it
    finally:
        os.kill(daemon, signal.SIGTERM)


def test_a_failed_start_names_the_command_and_its_last_line(queue_timing, tmp_path):
    with pytest.raises(SystemExit, match=r"error: bash -c .* failed: \['no broker'\]"):
        queue_timing.run(["bash", "-c", "echo starting; echo no broker >&2; exit 3"], tmp_path)


def test_its_dvc_calls_send_no_usage_report(queue_timing, monkeypatch, tmp_path):
    # each poll would leave DVC's report in /tmp: its daemon dies on start (docs/experiments.md)
    monkeypatch.delenv("DVC_NO_ANALYTICS", raising=False)
    monkeypatch.setattr(queue_timing, "run", lambda command, cwd, env=None: (command, (env or {}).get("DVC_NO_ANALYTICS")))
    assert queue_timing.dvc("queue", "status", cwd=tmp_path) == (["dvc", "queue", "status"], "1")
