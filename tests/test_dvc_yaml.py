"""dvc.yaml declares what each stage reads, so DVC's cache can be trusted."""
import subprocess
from pathlib import Path

import networkx as nx
import yaml
from dvc.repo import Repo
from imports import ROOT

from mitigate.core import paths
from mitigate.dvc_deps import SCENARIOS, rewrite


def test_every_dvc_yaml_lists_the_code_deps_its_stages_import():
    for name in SCENARIOS:
        assert rewrite(ROOT / name) == (ROOT / name).read_text(), f"{name}: run `python -m mitigate.dvc_deps`"


def test_a_dropped_or_extra_code_dep_is_put_right():
    written = (ROOT / "dvc.yaml").read_text()
    dropped = written.replace("      - src/mitigate/training/stage.py\n", "", 1)
    extra = written.replace("      - stages/split.py\n", "      - stages/split.py\n      - src/mitigate/core/viz.py\n", 1)
    assert dropped != written and extra != written
    assert rewrite(ROOT / "dvc.yaml", dropped) == written and rewrite(ROOT / "dvc.yaml", extra) == written


def stages_reading(path: str) -> dict[str, set[str]]:
    """Per scenario: the stages that depend on `path` directly, and every stage downstream of them
    (what `dvc repro` reruns after `path` changes), from DVC's own resolution of dvc.yaml."""
    repo = Repo(str(ROOT))
    graph = repo.index.graph
    direct = {stage for stage in graph if any(str(dep.fs_path) == str(ROOT / path) for dep in stage.deps)}
    stale = set(direct)
    for stage in direct:
        stale |= nx.ancestors(graph, stage)  # DVC's graph points from a stage to the stages it reads
    return {stage.addressing for stage in stale}


def test_editing_one_method_makes_only_its_stage_and_readers_stale():
    assert stages_reading("src/mitigate/methods/lff.py") == {"train@lff", "evaluate"}
    assert stages_reading("src/mitigate/methods/elr.py") == {"noisy/dvc.yaml:train@elr", "noisy/dvc.yaml:split_noise",
                                                           "noisy/dvc.yaml:memorization@elr", "noisy/dvc.yaml:evaluate"}


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


def declared_outputs() -> set[str]:
    """Every out, metric and plot of both dvc.yaml files, relative to its stage's wdir, as DVC
    resolves them (foreach and ${...} included)."""
    repo = Repo(str(ROOT))
    declared = set()
    for stage in repo.index.stages:
        wdir = Path(stage.wdir)
        declared |= {Path(out.fs_path).relative_to(wdir).as_posix() for out in stage.outs}
    return declared


def test_every_path_in_paths_py_is_declared_by_a_stage():
    """core/paths.py names the files stages write; each one (or the folder holding declared
    outputs) must be an output of a dvc.yaml stage, so the two cannot drift apart."""
    declared = declared_outputs()
    names = {name: value for name, value in vars(paths).items() if name.isupper() and isinstance(value, str) and "/" in value}
    examples = {"trained_model": "vanilla", "training_log": "vanilla", "memorization_figure": "vanilla", "swapae_model": "cam",
                "swapae_log": "cam", "judge_model": "bias", "embed_metrics": "dfa", "embed_figure": "dfa"}
    names |= {f"{name}({arg!r})": getattr(paths, name)(arg) for name, arg in examples.items()}
    names["swapae_figure('cam', 'swaps')"] = paths.swapae_figure("cam", "swaps")
    functions = {name for name, value in vars(paths).items() if callable(value) and not name.startswith("_")}
    assert functions == set(examples) | {"swapae_figure"}, "a new function in paths.py: add an example call here"
    undeclared = [f"{name} = {path}" for name, path in names.items()
                  if not any(out == path or out.startswith(path + "/") for out in declared)]
    assert not undeclared, f"paths.py names outputs no stage declares: {undeclared}"


def test_a_method_module_imported_by_a_stage_or_another_method_is_a_dep():
    """train_biased imports GCE, which subclasses Vanilla; BiaSwap subclasses Vanilla too."""
    assert {"train_biased", "train@biaswap", "train@vanilla", "evaluate"} <= stages_reading("src/mitigate/methods/vanilla.py")
    assert "train_biased" in stages_reading("src/mitigate/methods/gce.py")
