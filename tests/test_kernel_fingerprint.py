"""benchmarks/kernel_fingerprint.py: its hashes repeat in a fresh process (what a committed
dvc.lock relies on on one CPU model) and its comparison names the operations whose bytes differ."""
import json
import os
import subprocess
import sys

from imports import ROOT

SCRIPT = [sys.executable, "benchmarks/kernel_fingerprint.py"]
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src"))


def run(*args: str) -> str:
    result = subprocess.run([*SCRIPT, *args], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_fresh_process_gives_the_same_hashes():
    first, second = (json.loads(run("--worker", "{}").splitlines()[-1]) for _ in range(2))
    assert first == second
    assert len(first) == 15 and all(len(digest) == 12 for digest in first.values())


def test_compare_names_the_operation_and_column_that_differ(tmp_path):
    table = ("CPU: x\n\n| operation | library | portable | oneDNN off |\n|---|---|---|---|\n"
             "| mm | MKL sgemm | {mm} | aaaa |\n| conv | oneDNN conv | bbbb | cccc |\n")
    (tmp_path / "a.md").write_text(table.format(mm="1111"))
    (tmp_path / "b.md").write_text(table.format(mm="2222"))
    rows = [line for line in run("--compare", str(tmp_path / "a.md"), str(tmp_path / "b.md")).splitlines() if line.startswith("| ")]
    assert rows[1:] == ["| mm | differs | same |", "| conv | same | same |"]
