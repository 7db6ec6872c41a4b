"""Every benchmark script loads (its imports resolve) and describes itself: a script broken by a
move in the package fails here, not after an hour of a user's machine time."""
import os
import subprocess
import sys

import pytest
from imports import ROOT

SCRIPTS = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py") if "argparse" in p.read_text())


def test_every_benchmark_script_is_checked():
    assert set(SCRIPTS) == {p.name for p in (ROOT / "benchmarks").glob("*.py")} - {"tables.py", "steps.py"}  # helpers


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_script_prints_its_help(script):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run([sys.executable, f"benchmarks/{script}", "--help"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")
