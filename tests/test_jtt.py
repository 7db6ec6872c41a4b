"""JTT: the error set, its upweighting, the two trainings."""
import pytest
import torch
from tiny import INPUT_SHAPE, NUM_CLASSES, build_tiny_method, tiny_tensor_split

from mitigate.core.config import Length, parse_section
from mitigate.core.errors import ConfigError
from mitigate.methods import check_schedule
from mitigate.methods.jtt import JTTHparams, error_set, upweighted
from mitigate.models import build_model


def always_class_zero():
    """A hand-made identification model: logits that favour class 0 for every image."""
    model = build_model("mlp", INPUT_SHAPE, NUM_CLASSES).eval()
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.copy_(torch.tensor([10.0] + [0.0] * (NUM_CLASSES - 1)))
    return model


def test_the_error_set_is_what_the_identification_model_gets_wrong():
    data = tiny_tensor_split(8)
    data.y = torch.tensor([0, 0, 3, 0, 0, 7, 0, 0])
    assert error_set(always_class_zero(), data, batch_size=3).tolist() == [False, False, True, False, False, True, False, False]


def test_errors_are_drawn_upweight_times_as_often():
    errors = torch.tensor([False, True, False, False])
    assert upweighted(errors, 50).tolist() == [1.0, 50.0, 1.0, 1.0]
    data = tiny_tensor_split(4)
    draws = data.batches(4, torch.Generator().manual_seed(0), weights=upweighted(errors, 50))
    drawn = torch.cat([b.index for b in [*draws, *data.batches(4, torch.Generator().manual_seed(1), weights=upweighted(errors, 50))]])
    assert (drawn == 1).sum() >= 6  # p = 50 / 53 per draw, 8 draws


def test_identification_trains_only_its_model_then_the_error_set_sets_the_weights():
    jtt, train = build_tiny_method("jtt", n=32, epochs=2, identification_length=0.5, upweight=20.0)
    assert jtt.num_epochs == 3 and jtt.sampling_weights() is None
    before = {k: v.clone() for k, v in jtt.state_dict().items()}
    assert set(jtt.update(train.batch(torch.arange(16)))) == {"loss", "loss_identification"}
    after = jtt.state_dict()
    assert not torch.equal(before["identification.fc.weight"], after["identification.fc.weight"])
    assert torch.equal(before["model.fc.weight"], after["model.fc.weight"])
    jtt.identification = always_class_zero()  # errors: exactly the samples not labeled 0
    jtt.on_epoch_end(0, train)
    wrong = train.y != 0
    assert torch.equal(jtt.sampling_weights(), torch.where(wrong, 20.0, 1.0))
    report = jtt.report()["error_set"]
    assert report["size"] == int(wrong.sum()) and report["of_training_set"] == pytest.approx(wrong.float().mean().item())
    assert report["bias_conflicting_share"] == pytest.approx((~train.aligned)[wrong].float().mean().item(), abs=1e-6)
    assert set(jtt.update(train.batch(torch.arange(16)))) == {"loss", "loss_final"}
    assert torch.equal(jtt.predict(train.images(slice(0, 4))), jtt.model(train.images(slice(0, 4))))


@pytest.mark.parametrize("raw, key", [({"identification_length": 0.0, "upweight": 5.0}, "hparams.jtt.identification_length"),
                                      ({"identification_length": 0.1, "upweight": 0.5}, "hparams.jtt.upweight")])
def test_bad_hyper_parameters_name_the_key(raw, key):
    with pytest.raises(ConfigError, match=rf"^params.yaml: {key}: "):
        parse_section(JTTHparams, raw, "hparams.jtt")


def test_an_identification_phase_rounded_to_nothing_names_the_key():
    with pytest.raises(ConfigError, match=r"hparams.jtt.identification_length: .*never trains"):
        check_schedule("jtt", JTTHparams(identification_length=0.01, upweight=50.0), Length(20, "train.epochs"))
