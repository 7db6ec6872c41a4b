"""benchmarks/fresh_clone.py's parts: what it reads from `make test` and `make run`, the
environment it runs them in, and a failing step naming its log."""
import importlib

import pytest
from imports import ROOT


@pytest.fixture
def fresh_clone(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the script imports its neighbours
    return importlib.import_module("fresh_clone")


def test_the_summary_is_pytests_last_line_without_its_time(fresh_clone):
    output = "ruff check .\nAll checks passed!\n....\n847 passed in 257.31s (0:04:17)\n"
    assert fresh_clone.test_summary(output) == "847 passed"
    assert fresh_clone.test_summary("== 840 passed, 7 skipped, 2 warnings in 250.0s ==\n") == "840 passed, 7 skipped, 2 warnings"


def test_a_run_with_failures_has_no_summary_to_quote(fresh_clone):
    with pytest.raises(SystemExit, match="no pytest summary line"):
        fresh_clone.test_summary("3 failed, 844 passed in 250.00s\n")


def test_the_stages_that_ran_are_counted_from_dvcs_output(fresh_clone):
    output = ("Running stage 'synthesize':\n> python stages/synthesize.py\n"
              "Stage 'corruptions' didn't change, skipping\nRunning stage 'split':\n")
    assert fresh_clone.stages_ran(output) == 2


def test_the_checkouts_virtual_environment_is_left_off_path(fresh_clone, monkeypatch):
    monkeypatch.setenv("PATH", f"{ROOT / '.venv/bin'}:/usr/bin")
    monkeypatch.setenv("VIRTUAL_ENV", str(ROOT / ".venv"))
    env = fresh_clone.user_environment()
    assert env["PATH"] == "/usr/bin" and "VIRTUAL_ENV" not in env


def test_a_failing_step_names_its_command_and_log(fresh_clone, tmp_path):
    log = tmp_path / "step.log"
    with pytest.raises(SystemExit, match=f"`false` failed in the fresh clone \\(exit 1\\); its output: {log}"):
        fresh_clone.run_step(["false"], tmp_path, log)
