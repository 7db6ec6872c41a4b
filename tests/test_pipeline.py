"""End to end: the whole DVC pipeline on tiny params in a temporary git repository."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from dvc.repo import Repo
from fixtures import write_cifar10_batches
from imports import ROOT
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
GIT_USER = ("-c", "user.name=t", "-c", "user.email=t@t")


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(cwd / "src"), DVC_NO_ANALYTICS="1")
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
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
    """`copy_project` on tiny params, after one `dvc repro` that must run every bias-track stage."""
    copy_project(repo, changes, noisy_changes or TINY_NOISY)
    first = run(repo, "dvc", "repro")
    assert ran_stages(first.stdout) == declared_stages(repo)  # the default is the bias track alone, every stage of it
    methods = yaml.safe_load((repo / "params.yaml").read_text())["methods"]
    assert {f"train@{m}" for m in methods} | {"train_judges", "evaluate"} <= ran_stages(first.stdout)
    commit(repo, "tiny run")
    return repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_repo(tmp_path_factory.mktemp("pipeline"), TINY)


@pytest.fixture(scope="module")
def cifar_repo(tmp_path_factory) -> Path:
    """Corrupted CIFAR-10 from a tiny CIFAR-10 folder in the real pickle format, ResNet-20 for
    every classifier (DFA's encoders too), CIFAR augmentation on. The methods whose stages differ
    (two models, BiaSwap's augmented set, DFA's features); each method's ResNet-20 update is in
    tests/test_methods.py."""
    raw = tmp_path_factory.mktemp("raw")
    write_cifar10_batches(raw, per_class_train=12, per_class_test=10, rng=np.random.default_rng(0))
    cifar = {("data", "dataset"): "corrupted_cifar10", ("data", "source"): "torchvision", ("data", "root"): str(raw),
             ("data", "aligned_ratio"): 0.8, ("data", "severity"): 5, ("data", "corruption_type"): 1,
             ("train", "arch"): "resnet20", ("train", "augment"): "crop_flip", ("biased", "arch"): "resnet20",
             ("hparams", "dfa", "encoder"): "resnet20", ("biased", "epochs"): 1,
             ("methods",): {"vanilla": "dataset", "lff": "dataset", "biaswap": "augmented", "dfa": "dataset"}}
    return make_repo(tmp_path_factory.mktemp("cifar_pipeline"), TINY | cifar)


def test_corrupted_cifar10_runs_every_stage_with_resnet20(cifar_repo):
    info = json.loads((cifar_repo / "data/dataset/info.json").read_text())
    assert info == {"num_classes": 10, "num_bias": 10, "input_shape": [3, 32, 32]}
    counts = json.loads((cifar_repo / "metrics/synthesize.json").read_text())
    assert counts["train"]["samples"] + counts["valid"]["samples"] == 120 and counts["test"]["samples"] == 100
    train = pd.read_csv(cifar_repo / "data/dataset/train/samples.csv")
    per_class = train.groupby("label")["aligned"]
    assert (per_class.sum() == np.floor(per_class.size() * 0.8 + 0.5)).all()  # exact counts, as Colored MNIST
    test = pd.read_csv(cifar_repo / "data/dataset/test/samples.csv")
    assert (test.groupby("label")["bias"].nunique() == 10).all()  # unbiased: every corruption in every class
    assert np.load(cifar_repo / "data/dataset/train/images.npy").shape == (len(train), 32, 32, 3)
    methods = ("vanilla", "lff", "dfa", "biaswap")
    for method in methods:
        checkpoint = torch.load(cifar_repo / f"data/trained/{method}.pt", weights_only=True)
        assert "resnet20" in checkpoint["arch"]
    table = (cifar_repo / "metrics/evaluate.md").read_text()
    assert all(f"| {m} |" in table for m in methods) and "| pgd |" not in table
    assert (cifar_repo / "metrics/figures/corruptions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ran_stages(run(cifar_repo, "dvc", "repro").stdout) == set()


def test_repro_writes_a_comparison_of_every_method(repo):
    for model in ("biased", *BIAS_METHODS):
        metrics = json.loads((repo / f"metrics/evaluate/{model}.json").read_text())
        assert set(metrics["test"]) == {"unbiased", "aligned", "conflicting", "worst_group"}
        assert all(0 <= v <= 1 for v in metrics["test"].values())
    table = (repo / "metrics/evaluate.md").read_text()
    assert all(f"| {m} |" in table for m in BIAS_METHODS - {"group_dro"}) and "| group_dro (knows groups) |" in table
    assert "error_set" in json.loads((repo / "metrics/train/jtt/metrics.json").read_text())
    shown = run(repo, "dvc", "metrics", "show").stdout
    assert "metrics/evaluate/lff.json" in shown and "test.conflicting" in shown


def test_dfa_features_are_embedded_and_scored(repo):
    metrics = json.loads((repo / "metrics/embed/dfa.json").read_text())
    assert metrics["samples"] == 100
    for space in ("intrinsic", "bias"):
        for attribute in ("class", "bias"):
            assert 0 <= metrics[f"{space}/{attribute}_knn_accuracy"] <= 1
    assert (repo / "metrics/figures/embed_dfa.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_second_repro_runs_nothing(repo):
    again = run(repo, "dvc", "repro")
    assert ran_stages(again.stdout) == set()
    assert run(repo, "dvc", "status", "dvc.yaml").stdout.strip() == "Data and pipelines are up to date."


def test_outputs_are_hard_linked_to_the_cache_not_copied(repo):
    for output in ("data/dataset/train/images.npy", "data/biased/model.pt", "data/augmented/train/images.npy"):
        assert (repo / output).stat().st_nlink == 2, f"{output} is a copy of its cache file"


def test_editing_one_method_file_makes_exactly_its_stage_and_readers_stale(repo):
    lff = repo / "src/mitigate/methods/lff.py"
    original = lff.read_text()
    lff.write_text(original + "# edited\n")
    try:
        assert set(json.loads(run(repo, "dvc", "status", "--json", "dvc.yaml").stdout)) == {"train@lff"}
        assert ran_stages(run(repo, "dvc", "repro", "--dry").stdout) == {"train@lff"}  # readers: test_dvc_yaml
    finally:
        lff.write_text(original)


def test_an_lff_param_reruns_exactly_lff_and_evaluate(repo):
    before = snapshot(repo)
    set_params(repo, {("hparams", "lff", "ema_alpha"): 0.5})
    assert set(json.loads(run(repo, "dvc", "status", "--json", "dvc.yaml").stdout)) == {"train@lff"}
    output = run(repo, "dvc", "repro").stdout
    assert ran_stages(output) == {"train@lff", "evaluate"}
    after = snapshot(repo)
    changed = {path for path in before if before[path] != after.get(path)}
    assert changed and all(p.startswith(("data/trained/lff", "metrics/train/lff/", "metrics/evaluate", "metrics/cells"))
                           for p in changed), changed


def test_a_swapae_param_reruns_exactly_the_biaswap_branch(repo):
    swapae_stages = {stage for stage in declared_stages(repo) if stage.startswith("train_swapae@")}
    assert swapae_stages == {"train_swapae@cam"}  # the tiny params train one autoencoder
    set_params(repo, {("swapae", "patch_weight"): 2.0})
    assert set(json.loads(run(repo, "dvc", "status", "--json", "dvc.yaml").stdout)) == swapae_stages
    output = run(repo, "dvc", "repro").stdout
    assert ran_stages(output) == swapae_stages | {"augment", "train@biaswap", "evaluate"}


def test_augment_stores_only_the_swaps(repo):
    original = pd.read_csv(repo / "data/dataset/train/samples.csv")
    swaps = pd.read_csv(repo / "data/augmented/train/samples.csv")
    assert len(original) == 4320 and len(swaps) == 65 and swaps["swapped"].all()  # 0.015 x 4,320 = 64.8
    assert len(np.load(repo / "data/augmented/train/images.npy")) == 65  # no second copy of the training images
    assert swaps["index"].tolist() == list(range(4320, 4320 + 65))  # positions after the training split
    content = original.set_index("index").loc[swaps["content_index"]]
    assert (swaps["label"].to_numpy() == content["label"].to_numpy()).all()  # a swap keeps its content's label
    style = original.set_index("index").loc[swaps["style_index"]]
    assert (swaps["bias"].to_numpy() == style["bias"].to_numpy()).all()  # and takes its style image's bias
    split = pd.read_csv(repo / "data/split/train.csv")
    assert split.set_index("index").loc[swaps["style_index"], "conflicting"].all()
    assert not split.set_index("index").loc[content.index, "conflicting"].any()




def test_the_committed_params_come_back_from_the_run_cache(repo):
    """After the experiments above, the committed params again: every training stage is restored
    from DVC's run-cache, and the outputs are the committed ones. evaluate runs again (seconds):
    DVC run-caches no stage with an uncached output that is neither a metric nor a plot
    (metrics/evaluate.md)."""
    run(repo, "git", "checkout", "params.yaml")
    output = run(repo, "dvc", "repro").stdout
    assert ran_stages(output) == {"evaluate"}
    assert "Stage 'train@lff' is cached - skipping run, checking out outputs" in output
    assert run(repo, "git", "status", "--porcelain").stdout == ""  # dvc.lock is the committed one


def test_a_failed_stage_leaves_nothing_half_written_and_checkout_restores(repo):
    before = snapshot(repo)
    set_params(repo, {("data", "aligned_ratio"): 1.5})
    failed = run(repo, "dvc", "repro", check=False)
    assert failed.returncode != 0
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: params.yaml: data.aligned_ratio: must be in (0, 1), got 1.5"]
    assert "Traceback" not in failed.stderr
    assert not list(repo.rglob("*.tmp"))
    run(repo, "git", "checkout", "params.yaml", "metrics")  # the README's commands for the last good outputs:
    run(repo, "dvc", "checkout", "dvc.yaml")                 # git's metrics, then DVC's cached outputs
    assert snapshot(repo) == before


def test_the_noisy_label_track_runs_apart_with_its_ceiling(repo):
    output = run(repo, "dvc", "repro", "noisy/dvc.yaml").stdout
    assert ran_stages(output) == declared_stages(repo, "noisy/dvc.yaml")
    assert {f"noisy/dvc.yaml:train@{m}" for m in NOISY_METHODS} | {"noisy/dvc.yaml:train_ceiling"} <= ran_stages(output)
    noisy = repo / "noisy"
    noise = json.loads((noisy / "metrics/label_noise.json").read_text())
    assert noise["label_noise"] == "symmetric" and noise["asked_rate"] == 0.5
    T = np.array(noise["train_transition"])
    np.testing.assert_allclose(T.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(np.diag(T), 0.5, atol=0.02)
    counts = json.loads((noisy / "metrics/synthesize.json").read_text())
    assert abs(counts["train"]["noise_rate"] - 0.5) < 0.01 and counts["test"]["noise_rate"] == 0.0
    detection = json.loads((noisy / "metrics/split_noise.json").read_text())
    assert detection["true_noisy"] == counts["train"]["noisy_labels"]
    for detector in ("gmm", "transition", "cleanlab"):
        assert 0 <= detection[detector]["auc"] <= 1 and 0 <= detection[detector]["f1"] <= 1
    memorized = (noisy / "metrics/train/elr/plots/metrics/memorization/noisy_label.tsv").read_text().splitlines()
    assert memorized[0] == "step\tnoisy_label" and len(memorized) == 3  # header + 2 epochs
    assert (noisy / "metrics/figures/memorization_elr.png").exists()
    learned = json.loads((noisy / "metrics/train/nal/metrics.json").read_text())["learned_transition"]
    assert 0 <= learned["mean_abs_difference"] <= 1 and np.array(learned["true"]).shape == (10, 10)
    table = (noisy / "metrics/evaluate.md").read_text()
    assert table.splitlines()[2].startswith("| ceiling (vanilla, clean labels) |")
    assert all(f"| {m} |" in table for m in NOISY_METHODS) and "| lff |" not in table and "| biased" not in table
    ceiling = json.loads((noisy / "metrics/evaluate/ceiling.json").read_text())["test"]["unbiased"]
    vanilla = json.loads((noisy / "metrics/evaluate/vanilla.json").read_text())["test"]["unbiased"]
    assert 0 <= vanilla <= 1 and 0 <= ceiling <= 1
    assert not (repo / "data/split/noise.csv").exists()  # the bias track splits no labels
    assert ran_stages(run(repo, "dvc", "repro", "noisy/dvc.yaml").stdout) == set()
    commit(repo, "noisy track")


def test_a_second_clone_pulls_an_experiment_and_trains_nothing(repo, tmp_path):
    """Clone A runs an experiment and pushes it (git refs to a bare repository, data and run-cache
    to a directory remote); clone B pulls it, lists it and applies it without training."""
    origin, store = tmp_path / "origin.git", tmp_path / "store"
    run(tmp_path, "git", "init", "-q", "--bare", str(origin))
    run(repo, "dvc", "remote", "add", "-d", "shared", str(store))
    commit(repo, "a shared DVC remote")
    run(repo, "git", "remote", "add", "origin", str(origin))
    run(repo, "git", "push", "-q", "origin", "HEAD:refs/heads/main")
    trained = run(repo, "dvc", "exp", "run", "-n", "ema-0.8", "-S", "hparams.lff.ema_alpha=0.8").stdout
    assert ran_stages(trained) == {"train@lff", "evaluate"}
    run(repo, "dvc", "push")
    run(repo, "dvc", "exp", "push", "--run-cache", "origin", "ema-0.8")
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "-q", "-b", "main", str(origin), str(clone))
    run(clone, "dvc", "exp", "pull", "--run-cache", "origin", "ema-0.8")
    assert "ema-0.8" in run(clone, "dvc", "exp", "show", "--csv").stdout
    run(clone, "dvc", "exp", "apply", "ema-0.8")
    run(clone, "dvc", "pull")
    output = run(clone, "dvc", "repro").stdout
    assert ran_stages(output) == set()
    assert run(clone, "dvc", "status").stdout.strip() == "Data and pipelines are up to date."
    assert (clone / "metrics/evaluate/lff.json").read_text() == (repo / "metrics/evaluate/lff.json").read_text()
