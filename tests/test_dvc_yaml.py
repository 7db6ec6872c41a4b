"""dvc.yaml declares what each stage reads, so DVC's cache can be trusted."""
import shlex
import subprocess
from pathlib import Path

import yaml

from imports import ROOT, package_files


def stage_commands():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        body = stage.get("do", stage)
        yield name, shlex.split(body["cmd"])[1], body["deps"]


def test_every_stage_declares_the_package_code_it_imports():
    for name, script, deps in stage_commands():
        declared = [Path(d) for d in deps]
        assert Path(script) in declared, f"{name}: its script {script} is not a dep"
        for needed in package_files(ROOT / script):
            assert any(needed == d or d in needed.parents for d in declared), f"{name}: {needed} is imported but not a dep"


def test_synthesize_depends_on_the_raw_data_whose_default_is_in_git():
    """DVC stops on a missing dependency, so the default root must exist in a fresh clone."""
    deps = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["synthesize"]["deps"]
    assert "${data.root}" in deps
    root = yaml.safe_load((ROOT / "params.yaml").read_text())["data"]["root"]
    readme = f"{root}/README.md"
    assert (ROOT / readme).is_file()
    ignored = subprocess.run(["git", "check-ignore", "-q", readme], cwd=ROOT)
    assert ignored.returncode == 1, f"{readme} is ignored by git"
    downloads = subprocess.run(["git", "check-ignore", "-q", f"{root}/MNIST/raw/train-images-idx3-ubyte.gz"], cwd=ROOT)
    assert downloads.returncode == 0, f"downloads into {root} would show in git status"
