"""End to end on Corrupted CIFAR-10: the bias track's DVC pipeline on tiny params, ResNet-20."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from fixtures import write_cifar10_batches
from tiny_project import TINY, make_repo, ran_stages, run


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
