"""benchmarks/emulated_cpu.py without QEMU: it says how to install it, runs `python` under the
emulator through PATH, and reads each pipeline's own lock."""
import importlib
import os
import stat
import subprocess
import sys

import pytest
import yaml
from imports import ROOT


def load(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the script imports its neighbours
    return importlib.import_module("emulated_cpu")


def test_without_qemu_it_says_how_to_install_it(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path), PYTHONPATH=str(ROOT / "src"))  # no qemu-x86_64 on PATH
    result = subprocess.run([sys.executable, "benchmarks/emulated_cpu.py", "--out", str(tmp_path / "t.md")], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1 and "apt-get install qemu-user" in result.stderr
    assert not (tmp_path / "t.md").exists()


def test_python_on_path_runs_this_interpreter_under_the_emulated_cpu(monkeypatch, tmp_path):
    env = load(monkeypatch).emulating("EPYC-Milan", tmp_path, arm_python=None)
    wrapper = tmp_path / "python"
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path)
    assert wrapper.stat().st_mode & stat.S_IXUSR
    assert f'exec qemu-x86_64 -cpu EPYC-Milan "{sys.executable}" "$@"' in wrapper.read_text()


def test_a_stage_is_read_from_its_pipelines_lock(monkeypatch, tmp_path):
    def lock(md5):
        return yaml.safe_dump({"schema": "2.0", "stages": {"train@gce": {"outs": [{"path": "data/trained/gce.pt", "md5": md5}]}}})
    (tmp_path / "noisy").mkdir()
    (tmp_path / "dvc.lock").write_text(lock("aaa"))
    (tmp_path / "noisy/dvc.lock").write_text(lock("bbb"))
    lock_outputs = load(monkeypatch).lock_outputs
    assert lock_outputs(tmp_path, "train@gce") == {"data/trained/gce.pt": "aaa"}
    assert lock_outputs(tmp_path, "noisy/dvc.yaml:train@gce") == {"data/trained/gce.pt": "bbb"}


def test_an_arm_cpu_runs_the_aarch64_python_and_needs_it(monkeypatch, tmp_path):
    emulating = load(monkeypatch).emulating
    emulating("neoverse-n1", tmp_path, arm_python=tmp_path / "arm/python")
    assert f'exec "{tmp_path}/arm/python" "$@"' in (tmp_path / "python").read_text()
    with pytest.raises(SystemExit, match="benchmarks/arm_python.sh"):
        emulating("neoverse-n1", tmp_path, arm_python=None)
