"""Phases as fractions of the training: how they resolve to epochs, the one-line error for a
schedule that would drop or empty a phase, the number of BiaSwap swaps."""
import dataclasses

import pytest
from tiny import NUM_CLASSES, build_tiny_method, project_params, rejected_key, tiny_tensor_split

from mitigate.biaswap.swaps import swap_count
from mitigate.core.config import Length, Params, portion
from mitigate.core.errors import ConfigError
from mitigate.methods import check_schedule, method_hparams
from mitigate.methods.nal import NALHparams
from mitigate.noisy.detection import FoldTraining, out_of_sample_probabilities
from mitigate.training.settings import TrainSettings


@pytest.fixture(scope="module")
def params() -> Params:
    return project_params()


def test_portion_rounds_halves_up():
    assert [portion(f, 10) for f in (0.0, 0.04, 0.05, 0.15, 0.25, 1.0)] == [0, 0, 1, 2, 3, 10]
    assert [portion(f, 100) for f in (0.1, 0.16, 0.2, 1.0)] == [10, 16, 20, 100]


def test_length_describes_a_phase_for_the_error():
    assert Length(3, "train.epochs").describe(0.2) == "0.2 of train.epochs=3 is 1 epoch"
    assert Length(20, "split_noise.epochs").describe(0.16) == "0.16 of split_noise.epochs=20 is 3 epochs"


# params.yaml's defaults at train.epochs 100 are the former absolute epochs, so the committed
# outputs stay the same; at split_noise.epochs 20 (a fold model) they shrink with it.
RESOLVED = [  # method, attribute of the built method, epochs at 100, epochs at 20
    ("dfa", "swap_start", 20, 4), ("dfa", "lr_decay_every", 20, 4), ("nal", "warmup_epochs", 10, 2),
    ("dividemix", "warmup_epochs", 10, 2), ("dividemix", "rampup_epochs", 16, 3), ("coteaching", "ramp_epochs", 10, 2),
    ("pgd", "biased_epochs", 100, 20),
]


@pytest.mark.parametrize("name, attribute, at_100, at_20", RESOLVED)
def test_default_fractions_resolve_to_the_documented_epochs(params, name, attribute, at_100, at_20):
    defaults = dataclasses.asdict(method_hparams(params, name))
    for epochs, expected in ((100, at_100), (20, at_20)):
        method, _ = build_tiny_method(name, n=16, epochs=epochs, **defaults)
        assert getattr(method, attribute) == expected


def test_pgd_trains_the_biased_model_then_train_epochs(params):
    method, _ = build_tiny_method("pgd", n=16, epochs=4, biased_length=1.5)
    assert method.num_epochs == 6 + 4


DROPPED = [  # method, changes, train.epochs, key, what the message says
    ("dfa", {"swap_start": 0.2}, 2, "swap_start", "0.2 of train.epochs=2 is 0 epochs: the L_dis-only phase before the swap is empty"),
    ("dfa", {"swap_start": 0.9}, 3, "swap_start", "0.9 of train.epochs=3 is 3 epochs: the swap never starts"),
    ("dfa", {"swap_start": 1.0}, 100, "swap_start", "1.0 of train.epochs=100 is 100 epochs: the swap never starts"),
    ("dfa", {"lr_decay_every": 0.2}, 2, "lr_decay_every", "0.2 of train.epochs=2 is 0 epochs"),
    ("nal", {"warmup": 0.1}, 4, "warmup", "0.1 of train.epochs=4 is 0 epochs: the warm-up is empty"),
    ("nal", {"warmup": 0.1, "init": "identity"}, 4, "warmup", "0.1 of train.epochs=4 is 0 epochs: the warm-up is empty"),
    ("nal", {"warmup": 0.9}, 3, "warmup", "0.9 of train.epochs=3 is 3 epochs: the noise layer is never used"),
    ("dividemix", {"warmup": 0.1}, 4, "warmup", "0.1 of train.epochs=4 is 0 epochs: the warm-up is empty"),
    ("dividemix", {"warmup": 0.5}, 1, "warmup", "0.5 of train.epochs=1 is 1 epoch: the co-divided training never starts"),
    ("dividemix", {"rampup": 0.16}, 3, "rampup", "0.16 of train.epochs=3 is 0 epochs: the ramp of lambda_u is empty"),
    ("coteaching", {"ramp": 0.1}, 4, "ramp", "0.1 of train.epochs=4 is 0 epochs: the ramp is empty"),
    ("pgd", {"biased_length": 0.1}, 4, "biased_length", "0.1 of train.epochs=4 is 0 epochs: the biased model never trains"),
]


@pytest.mark.parametrize("name, changes, epochs, key, message", DROPPED)
def test_a_schedule_that_drops_a_phase_is_one_line_naming_key_numbers_and_fix(name, changes, epochs, key, message):
    with pytest.raises(ConfigError) as caught:
        build_tiny_method(name, n=16, epochs=epochs, **changes)
    error = str(caught.value)
    assert caught.value.key == f"hparams.{name}.{key}" and "\n" not in error
    assert error.startswith(f"params.yaml: hparams.{name}.{key}: {message}")
    assert "raise" in error or "lower" in error  # the fix


def test_confusion_init_needs_a_warm_up(params):
    hparams = dataclasses.replace(method_hparams(params, "nal"), init="confusion", warmup=0.0)
    assert rejected_key(NALHparams, hparams) == "warmup"
    assert rejected_key(NALHparams, dataclasses.replace(hparams, init="identity")) is None


def test_no_swap_is_allowed_with_lambda_swap_zero(params):
    """The ablation's rows without the swap: it starts at the end of training, with no weight."""
    hparams = dataclasses.replace(method_hparams(params, "dfa"), swap_start=1.0, lambda_swap=0.0)
    check_schedule("dfa", hparams, Length(100, "train.epochs"))


@pytest.mark.parametrize("name, changes", [("dfa", {"swap_start": 1.5}), ("dfa", {"lr_decay_every": 0.0}),
                                           ("nal", {"warmup": 1.0}), ("dividemix", {"warmup": 0.0}),
                                           ("dividemix", {"rampup": 1.2}), ("coteaching", {"ramp": -0.1})])
def test_phase_fractions_outside_their_range_are_rejected(params, name, changes):
    hparams = method_hparams(params, name)
    fields = {f.name: getattr(hparams, f.name) for f in dataclasses.fields(hparams)}
    assert rejected_key(type(hparams), fields | changes) == next(iter(changes))


def test_fold_models_are_checked_against_split_noise_epochs(params):
    settings = dataclasses.replace(params.section(TrainSettings, "train"), epochs=3, batch_size=16)
    training = FoldTraining("nal", method_hparams(params, "nal"), settings, folds=2)
    with pytest.raises(ConfigError, match=r"^params.yaml: hparams.nal.warmup: 0.1 of split_noise.epochs=3 is 0 epochs"):
        out_of_sample_probabilities(tiny_tensor_split(16), training, NUM_CLASSES, seed=0)


def test_swap_count_is_the_fraction_of_the_training_set():
    assert swap_count(1.0, 3600) == 3600  # the embedded default: the former num_swaps
    assert swap_count(0.1, 54000) == 5400 and swap_count(0.5, 3) == 2
    with pytest.raises(ConfigError) as caught:
        swap_count(0.0001, 3600)
    assert str(caught.value) == "params.yaml: augment.swap_fraction: 0.0001 of 3600 training images is 0 swaps; raise it"
