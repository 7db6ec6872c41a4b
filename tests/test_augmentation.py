"""Train-time random crop with padding and horizontal flip, and its place in the training loop."""
import copy
import dataclasses
from itertools import product

import pytest
import torch
import torch.nn.functional as F
import yaml
from imports import ROOT
from tiny import INPUT_SHAPE, NUM_CLASSES, tiny_tensor_split

from mitigate.core.config import Params
from mitigate.core.errors import ConfigError
from mitigate.methods import method_hparams
from mitigate.training.loop import build_method, fit
from mitigate.training.settings import BiasedSettings, TrainSettings
from mitigate.training.transforms import random_crop_flip


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def images(n: int = 64) -> torch.Tensor:
    """Distinct, positive pixel values, so a crop's place in the padded image can be found."""
    return 1 + torch.arange(n * 3 * 8 * 8, dtype=torch.float).reshape(n, 3, 8, 8)


def draw(x: torch.Tensor, padding: int, seed: int = 0) -> torch.Tensor:
    return random_crop_flip(x, padding, torch.Generator().manual_seed(seed))


def test_shape_is_kept_and_the_same_generator_seed_gives_the_same_bytes():
    x = images()
    out = draw(x, 4)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.equal(out, draw(x, 4))
    assert not torch.equal(out, draw(x, 4, seed=1))


def test_without_padding_unflipped_samples_are_unchanged_and_flipped_ones_mirrored():
    x = images()
    out = draw(x, 0)
    flipped = torch.tensor([not torch.equal(o, i) for o, i in zip(out, x)])
    assert 0 < flipped.sum() < len(x)
    assert torch.equal(out[flipped], torch.flip(x[flipped], dims=[3]))


def window_of(out: torch.Tensor, padded: torch.Tensor, padding: int) -> tuple[int, int, bool] | None:
    """(row offset, column offset, mirrored) of the window of `padded` that `out` is, if any."""
    height, width = out.shape[1:]
    for dy, dx in product(range(2 * padding + 1), repeat=2):
        window = padded[:, dy : dy + height, dx : dx + width]
        for mirrored in (False, True):
            if torch.equal(out, torch.flip(window, dims=[2]) if mirrored else window):
                return dy, dx, mirrored
    return None


def test_each_sample_is_a_shifted_window_of_the_zero_padded_image_about_half_mirrored():
    padding, x = 2, images(400)
    found = [window_of(o, p, padding) for o, p in zip(draw(x, padding), F.pad(x, (padding,) * 4))]
    assert None not in found
    assert {(dy, dx) for dy, dx, _ in found} == set(product(range(2 * padding + 1), repeat=2))  # every offset
    assert 160 < sum(mirrored for *_, mirrored in found) < 240  # p = 0.5 per sample: 200 +- 40 (4 sigma)


def test_augment_must_be_a_known_recipe(raw):
    for section, cls in (("train", TrainSettings), ("biased", BiasedSettings)):
        assert Params(raw).section(cls, section).augment == "none"
        changed = copy.deepcopy(raw)
        changed[section]["augment"] = "crop"
        with pytest.raises(ConfigError) as caught:
            Params(changed).section(cls, section)
        assert caught.value.key == f"{section}.augment"


def spy_fit(raw, augment: str, seed: int = 0) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The images each `update` of a vanilla method received during one epoch of `fit`."""
    changed = copy.deepcopy(raw)
    changed["train"]["augment"] = augment
    params = Params(changed)
    settings = dataclasses.replace(params.section(TrainSettings, "train"), epochs=1, batch_size=16)
    train = tiny_tensor_split(64)
    method = build_method("vanilla", method_hparams(params, "vanilla"), settings, train, NUM_CLASSES, INPUT_SHAPE, seed)
    seen = []
    update = method.update

    def spy(batch):
        seen.append(batch)
        return update(batch)

    method.update = spy
    fit(method, train, tiny_tensor_split(16, seed=1), settings, seed, progress=False)
    return seen, train.images()


def test_fit_hands_the_method_augmented_batches_only_when_asked(raw):
    plain, x = spy_fit(raw, "none")
    assert all(torch.equal(b.x, x[b.index]) for b in plain)
    augmented, _ = spy_fit(raw, "crop_flip")
    assert [b.index.tolist() for b in augmented] == [b.index.tolist() for b in plain]  # same batch order
    assert all(b.x.shape == x[b.index].shape for b in augmented)
    changed = torch.cat([(b.x != x[b.index]).flatten(1).any(1) for b in augmented])
    assert changed.float().mean() > 0.9  # 1 in 2 * 9 * 9 samples is drawn unshifted and unflipped
    again, _ = spy_fit(raw, "crop_flip")
    assert all(torch.equal(a.x, b.x) for a, b in zip(augmented, again))  # same seed, same bytes
    other, _ = spy_fit(raw, "crop_flip", seed=1)
    assert not all(torch.equal(a.x, b.x) for a, b in zip(augmented, other))
