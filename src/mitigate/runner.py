"""Train one method on the stored dataset; store its predictor and its training curves."""
from pathlib import Path

from . import paths
from .curves import Curves
from .data.dataset import TensorSplit, load_info, load_split
from .fileio import atomic_path
from .runtime import resolve_device
from .checkpoint import save_predictor
from .train_settings import TrainSettings
from .training import build_method, fit


def train_and_store(method: str, hparams, settings: TrainSettings, seed: int, device_name: str,
                    model_path: str, curves_dir: str, training_set: str = paths.DATASET) -> dict[str, float]:
    """Train on the `train` split of `training_set`, validate on the dataset's `valid` split."""
    device = resolve_device(device_name)
    info = load_info(paths.DATASET)
    train = TensorSplit(load_split(training_set, "train"), device)
    valid = TensorSplit(load_split(paths.DATASET, "valid"), device)
    model = build_method(method, hparams, settings, train, info["num_classes"], info["input_shape"], seed)
    curves = Curves()
    log = fit(model, train, valid, settings, seed, curves=curves, desc=Path(curves_dir).name)
    with atomic_path(model_path) as checkpoint:
        save_predictor(checkpoint, model, info["input_shape"], info["num_classes"])
    curves.save(curves_dir)
    return log
