"""The judges of BiaSwap's swaps: group-balanced sampling, training on the bias attribute and the
target, and loading them back."""
import numpy as np
import pytest
import torch

from mitigate.biaswap.judges import judged, train_judges
from mitigate.biaswap.quality import load_judges
from mitigate.core.errors import InputError
from mitigate.data.dataset import TensorSplit, make_split
from mitigate.training.balanced_sampling import group_balanced_weights
from mitigate.training.settings import TrainSettings


def test_balanced_weights_give_every_present_group_the_same_probability():
    y, bias = torch.tensor([0, 0, 0, 1, 1, 2]), torch.tensor([0, 0, 1, 1, 1, 0])
    # groups (0, 0) x 2, (0, 1) x 1, (1, 1) x 2, (2, 0) x 1: each sample weighs 1 / its group's size
    assert group_balanced_weights(y, bias).tolist() == [0.5, 0.5, 1.0, 0.5, 0.5, 1.0]


def visible_bias(n: int, seed: int) -> TensorSplit:
    """12 x 12 noise images: the bias attribute is the bright channel (red 0 / green 1), the target
    a bright top (0) or bottom (1) half; 80 % bias-aligned."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    bias = np.where(rng.random(n) < 0.8, labels, 1 - labels)
    images = rng.integers(0, 60, size=(n, 12, 12, 3), dtype=np.uint8)
    images[np.arange(n), :, :, bias] += 150
    for half in (0, 1):
        images[labels == half, 6 * half : 6 * half + 6] += 40
    return TensorSplit(make_split(images, labels, bias, np.arange(n)), torch.device("cpu"))


def test_judges_learn_a_visible_bias_and_target_on_balanced_batches():
    splits = {"train": visible_bias(128, 0), "valid": visible_bias(64, 1), "test": visible_bias(64, 2)}
    settings = TrainSettings(arch="cnn", epochs=4, batch_size=16, lr=1e-2, weight_decay=0.0, augment="none")
    judges, metrics = train_judges(splits, settings, num_classes=2, num_bias=2, seed=0)
    train = splits["train"]
    for method in judges.values():  # both drawn so that neither attribute tells the other
        assert torch.equal(method.sampling_weights(), group_balanced_weights(train.y, train.bias))
    assert judges["bias"].num_classes == judges["content"].num_classes == 2
    assert set(metrics) == {"bias", "content"} and set(metrics["bias"]) == {"valid", "test"}
    assert set(metrics["bias"]["valid"]) == {"unbiased", "aligned", "conflicting", "worst_group"}
    for judge in judges:  # chance: 0.5 (measured: 1.0 for both)
        assert metrics[judge]["valid"]["unbiased"] > 0.5 and metrics[judge]["test"]["conflicting"] > 0.5
    assert torch.equal(judged(train, "bias").y, train.bias) and not torch.equal(train.y, train.bias)  # a relabelled copy


def test_a_missing_judge_names_the_stage_that_writes_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"data/judges/bias\.pt is missing.*`dvc repro train_judges`"):
        load_judges(torch.device("cpu"))


def test_judges_learn_from_the_balanced_split_when_there_is_one():
    """Synthesized datasets carry the training images with their attribute drawn independently
    of the class (`balanced`): the judges train there on plain batches, and never on `train`."""
    splits = {"train": visible_bias(8, 3), "valid": visible_bias(64, 1), "test": visible_bias(64, 2), "balanced": visible_bias(128, 0)}
    settings = TrainSettings(arch="cnn", epochs=4, batch_size=16, lr=1e-2, weight_decay=0.0, augment="none")
    judges, metrics = train_judges(splits, settings, num_classes=2, num_bias=2, seed=0)
    for judge, method in judges.items():
        assert method.sampling_weights() is None
        assert metrics[judge]["test"]["conflicting"] > 0.5  # chance: 0.5
