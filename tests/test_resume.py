"""A training loop killed and rerun goes on from its resume checkpoint and ends byte-identical."""
import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from imports import ROOT, worker_cpus
from tiny import build_tiny_method, tiny_split, tiny_tensor_split

from mitigate.biaswap.autoencoder_training import SwapAESettings, SwapAETrainer, train_swapae, uniform_cells
from mitigate.core.curves import Curves
from mitigate.core.errors import UserError
from mitigate.core.resume import EVERY_VARIABLE, Checkpoint, capture, fingerprint, resume_every
from mitigate.data.dataset import save_dataset
from mitigate.methods import METHODS
from mitigate.models.inference import predict_logits
from mitigate.training.loop import fit

CPU = torch.device("cpu")
EPOCHS = 3


class Killed(Exception):
    """Stands for a kill right after a checkpoint was written."""


class KilledAfter(Checkpoint):
    """Saves at every epoch end and stops the loop after epoch `epochs`."""

    def __init__(self, path: Path, epochs: int, fingerprint: str = "run"):
        super().__init__(path, fingerprint, every=0, name="test")
        self.epochs = epochs

    def save_if_due(self, state, next_epoch):
        super().save_if_due(state, next_epoch)
        if next_epoch == self.epochs:
            raise Killed


def train(name: str, checkpoint: Checkpoint | None = None):
    """Method `name` built afresh and fitted for 3 epochs, each of its phases (warm-up, swap,
    resampling, learning-rate decay) starting after epoch 2 (tests/tiny.py TINY_PHASES: 0.5 of 3
    epochs is 2); returns (method, curves, last log)."""
    method, data = build_tiny_method(name, epochs=EPOCHS)
    curves = Curves()
    log = fit(method, data, tiny_tensor_split(32, seed=1), method.settings, seed=0, curves=curves, progress=False,
              checkpoint=checkpoint)
    return method, curves, log


def assert_identical(a, b, where: str = "state") -> None:
    """Equal structure and bit-equal values (tensors with equal dtype and shape)."""
    assert type(a) is type(b), where
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_resumes_bit_identically(name, tmp_path, capsys):
    torch.manual_seed(0)
    reference, reference_curves, reference_log = train(name)
    path = tmp_path / "resume.pt"
    torch.manual_seed(0)
    with pytest.raises(Killed):  # after epoch 2: every phase (set to start at epoch 1) has run before the save
        train(name, KilledAfter(path, epochs=2))
    torch.manual_seed(1)  # a new process: another global random state, which the checkpoint restores
    resumed, curves, log = train(name, Checkpoint(path, "run", every=0, name=f"train@{name}"))
    assert f"resuming train@{name} after epoch 2 of {reference.num_epochs} ({path})" in capsys.readouterr().out
    assert_identical(capture(resumed), capture(reference))
    assert curves.rows == reference_curves.rows and log == reference_log
    valid = tiny_tensor_split(32, seed=1)
    assert torch.equal(predict_logits(resumed.predict, valid), predict_logits(reference.predict, valid))


def test_a_checkpoint_of_other_inputs_or_a_corrupt_one_is_ignored(tmp_path, capsys):
    _, reference_curves, reference_log = train("lff")
    path = tmp_path / "resume.pt"
    with pytest.raises(Killed):
        train("lff", KilledAfter(path, epochs=2, fingerprint="old"))
    _, curves, log = train("lff", Checkpoint(path, "new", every=math.inf, name="train@lff"))
    assert "made for other code, params or inputs" in capsys.readouterr().out
    assert curves.rows == reference_curves.rows and log == reference_log
    path.write_bytes(b"cut short")
    _, curves, _ = train("lff", Checkpoint(path, "new", every=math.inf, name="train@lff"))
    assert "unreadable" in capsys.readouterr().out and curves.rows == reference_curves.rows


def test_a_checkpoint_saved_at_the_last_epoch_returns_its_log(tmp_path):
    _, reference_curves, reference_log = train("vanilla")
    path = tmp_path / "resume.pt"
    with pytest.raises(Killed):
        train("vanilla", KilledAfter(path, epochs=EPOCHS))
    _, curves, log = train("vanilla", Checkpoint(path, "run", every=0, name="train@vanilla"))
    assert curves.rows == reference_curves.rows and log == reference_log


def test_the_swapae_loop_resumes_bit_identically(tmp_path):
    settings = SwapAESettings(steps=3 * EPOCHS - 1, batch_size=8, lr=2e-3, width=4, content_channels=4,
                              style_dim=8, patch_size=8, num_patches=2, num_references=2, rec_weight=1.0, gan_weight=0.1,
                              patch_weight=0.1, cycle_weight=0.1, r1_weight=1.0, r1_every=2)
    data = tiny_tensor_split(24)  # 3 steps of 8 per pass: the last pass stops one step early

    def run(checkpoint=None):
        trainer = SwapAETrainer((3, 28, 28), settings, uniform_cells((7, 7)), seed=0)
        curves = Curves()
        log = train_swapae(trainer, data, seed=0, curves=curves, progress=False, checkpoint=checkpoint)
        return trainer, curves, log

    reference, reference_curves, reference_log = run()
    path = tmp_path / "swapae.pt"
    with pytest.raises(Killed):
        run(KilledAfter(path, epochs=1))
    resumed, curves, log = run(Checkpoint(path, "run", every=0, name="train_swapae@uniform"))
    assert resumed.steps == reference.steps
    assert_identical(capture(resumed), capture(reference))
    assert curves.rows == reference_curves.rows and log == reference_log


def test_a_state_of_unknown_type_stops_the_save():
    method, _ = build_tiny_method("vanilla")
    method.counter = iter(range(3))
    with pytest.raises(TypeError, match=r"state\['method'\]\.counter is a range_iterator, which mitigate.core.resume cannot save"):
        capture({"method": method})


def test_the_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(EVERY_VARIABLE, raising=False)
    assert resume_every() == 300
    monkeypatch.setenv(EVERY_VARIABLE, "0")
    assert resume_every() == 0
    monkeypatch.setenv(EVERY_VARIABLE, "inf")
    assert resume_every() == math.inf
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv(EVERY_VARIABLE, bad)
        with pytest.raises(UserError, match=f"{EVERY_VARIABLE}='{bad}': must be a number of seconds >= 0"):
            resume_every()


def test_the_fingerprint_follows_params_inputs_and_stage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("seed: 0\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "images.npy").write_bytes(b"one")
    first = fingerprint("train@lff", ["data"], CPU)
    assert fingerprint("train@lff", ["data"], CPU) == first
    assert fingerprint("train@dfa", ["data"], CPU) != first
    (tmp_path / "data" / "images.npy").write_bytes(b"two")
    assert fingerprint("train@lff", ["data"], CPU) != first
    (tmp_path / "data" / "images.npy").write_bytes(b"one")
    (tmp_path / "params.yaml").write_text("seed: 1\n")
    assert fingerprint("train@lff", ["data"], CPU) != first


# --- a real stage process, SIGKILLed ----------------------------------------------------------

def make_stage_repo(repo: Path) -> Path:
    """The project's code and params in `repo`, with a random dataset of 1,024 training images."""
    for name in ("stages", "src"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["train"]["epochs"] = 12
    params["compute"]["threads"] = worker_cpus()
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    splits = {"train": tiny_split(1024, seed=0), "valid": tiny_split(64, seed=1), "test": tiny_split(64, seed=2)}
    save_dataset(repo / "data/dataset", splits, num_classes=10, num_bias=10)
    return repo


def stage(repo: Path, every: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(repo / "src"), **{EVERY_VARIABLE: every})
    return subprocess.Popen([sys.executable, "stages/train.py", "lff"], cwd=repo, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


def outputs(repo: Path) -> dict[str, str]:
    files = [repo / "data/trained/lff.pt", *(repo / "metrics/train/lff").rglob("*.*")]
    return {str(f.relative_to(repo)): hashlib.md5(f.read_bytes()).hexdigest() for f in files}


def kill_after_first_checkpoint(process: subprocess.Popen, checkpoint: Path) -> None:
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert process.poll() is None, f"the stage ended before its first checkpoint:\n{process.stderr.read()}"
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def test_a_sigkilled_stage_rerun_writes_the_bytes_of_an_uninterrupted_run(tmp_path):
    repo = make_stage_repo(tmp_path)
    checkpoint = repo / ".resume/train@lff.pt"
    finish(stage(repo, every="inf"))
    uninterrupted = outputs(repo)
    assert len(uninterrupted) > 3 and not checkpoint.exists()
    shutil.rmtree(repo / "data/trained")
    shutil.rmtree(repo / "metrics")

    kill_after_first_checkpoint(stage(repo, every="0"), checkpoint)
    assert not (repo / "data/trained/lff.pt").exists()
    out = finish(stage(repo, every="0"))
    assert "resuming train@lff after epoch" in out and "of 12 (.resume/train@lff.pt)" in out
    assert outputs(repo) == uninterrupted
    assert not checkpoint.exists()
