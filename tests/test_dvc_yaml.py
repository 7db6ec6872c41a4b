"""dvc.yaml declares what each stage reads, so DVC's cache can be trusted."""
import shlex
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
