"""End to end: the whole DVC pipeline on tiny params in a temporary git repository, then
experiments on it: params edited, rerun, restored from the run-cache, shared through a remote.
Corrupted CIFAR-10 runs in test_pipeline_cifar.py (its own repository, so `make test` runs it
beside this one)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_project import (
    BIAS_METHODS,
    NOISY_METHODS,
    TINY,
    commit,
    declared_stages,
    make_repo,
    ran_stages,
    run,
    set_params,
    snapshot,
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_repo(tmp_path_factory.mktemp("pipeline"), TINY)


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
    to a directory remote); clone B pulls it, lists it and applies it without training. Both
    tracks ran and were committed above: `dvc exp apply` stops on a stage that never ran
    (docs/experiments.md, "Where DVC falls short")."""
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
