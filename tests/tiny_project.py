"""The project copied into a temporary git repository on tiny params, and the commands the
end-to-end tests (tests/test_pipeline*.py) and some benchmarks drive it with."""
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from dvc.repo import Repo
from imports import ROOT, worker_cpus
from tiny import TINY_PHASES

PROJECT_FILES = ["dvc.yaml", "params.yaml", "noisy/dvc.yaml", "noisy/params.yaml", "stages", "src", ".dvc/config", ".dvc/plots",
                 ".dvcignore", ".gitignore", "data/raw/README.md"]
BIAS_METHODS = set(yaml.safe_load((ROOT / "params.yaml").read_text())["methods"])
NOISY_METHODS = set(yaml.safe_load((ROOT / "noisy/params.yaml").read_text())["methods"])


def tiny_phases(methods) -> dict:
    """Two epochs of train: params.yaml's phase fractions would round to 0 epochs, so each phase gets 1."""
    return {("hparams", method, key): value for method in methods for key, value in TINY_PHASES.get(method, {}).items()}


TINY = {("data", "test_size"): 200, ("biased", "epochs"): 2, ("train", "epochs"): 2, ("swapae", "steps"): 10,
        ("judges", "epochs"): 1, ("augment", "swap_fraction"): 0.015, ("embed", "samples"): 100,
        **tiny_phases(BIAS_METHODS)}
TINY_NOISY = {("data", "test_size"): 200, ("train", "epochs"): 2, ("split_noise", "epochs"): 2, **tiny_phases(NOISY_METHODS)}
# the stages of a test's repository on this test process's share of the CPUs
WORKER_COMPUTE = {("compute", "threads"): worker_cpus()}
GIT_USER = ("-c", "user.name=t", "-c", "user.email=t@t")


def project_environment(repo: Path) -> dict[str, str]:
    """This environment, with this interpreter's dvc first on PATH and `repo`'s package importable."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                PYTHONPATH=str(repo / "src"), DVC_NO_ANALYTICS="1")


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=project_environment(cwd), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def set_params(repo: Path, changes: dict, params: str = "params.yaml") -> None:
    """`changes`: {(key, sub-key, ...): value}."""
    values = yaml.safe_load((repo / params).read_text())
    for (*path, key), value in changes.items():
        node = values
        for part in path:
            node = node[part]
        node[key] = value
    (repo / params).write_text(yaml.safe_dump(values, sort_keys=False))


def commit(repo: Path, message: str) -> None:
    run(repo, "git", "add", "-A")
    run(repo, "git", *GIT_USER, "commit", "-q", "-m", message)


def declared_stages(repo: Path, dvcfile: str = "dvc.yaml") -> set[str]:
    """Every stage of `dvcfile` in `repo`, as DVC resolves it with the repo's params (foreach items
    included), named as `dvc repro` prints it from the repo's root."""
    prefix = "" if dvcfile == "dvc.yaml" else f"{dvcfile}:"
    with Repo(str(repo)) as dvc:
        return {prefix + stage.name for stage in dvc.index.stages if Path(stage.path) == repo / dvcfile}


def ran_stages(output: str) -> set[str]:
    """Stages that executed their command (a stage restored from the run-cache prints
    "Stage '...' is cached - skipping run" instead)."""
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")}


def snapshot(repo: Path) -> dict[str, str]:
    files = [p for d in ("data", "metrics") for p in (repo / d).rglob("*") if p.is_file() and p.name != ".gitignore"]
    return {str(p.relative_to(repo)): hashlib.md5(p.read_bytes()).hexdigest() for p in files}


def copy_project(repo: Path, changes: dict | None = None, noisy_changes: dict | None = None) -> Path:
    """The project in a fresh git repository with `changes` to params.yaml (and `noisy_changes` to
    noisy/params.yaml), committed; nothing run yet."""
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, repo / name)
    for params, edits in (("params.yaml", changes), ("noisy/params.yaml", noisy_changes)):
        if edits:
            set_params(repo, edits, params)
    run(repo, "git", "init", "-q")
    commit(repo, "project")
    return repo


def make_repo(repo: Path, changes: dict, noisy_changes: dict | None = None) -> Path:
    """`copy_project` on tiny params, its stages on WORKER_COMPUTE unless `changes` say otherwise,
    after one `dvc repro` that must run every bias-track stage."""
    copy_project(repo, WORKER_COMPUTE | changes, WORKER_COMPUTE | (noisy_changes or TINY_NOISY))
    first = run(repo, "dvc", "repro")
    assert ran_stages(first.stdout) == declared_stages(repo)  # the default is the bias track alone, every stage of it
    methods = yaml.safe_load((repo / "params.yaml").read_text())["methods"]
    assert {f"train@{m}" for m in methods} | {"train_judges", "evaluate"} <= ran_stages(first.stdout)
    commit(repo, "tiny run")
    return repo

