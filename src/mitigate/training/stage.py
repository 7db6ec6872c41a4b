"""Train one method on the stored dataset; store its predictor and its training curves."""
from pathlib import Path

from ..core import paths
from ..core.curves import Curves
from ..core.fileio import atomic_path
from ..core.resume import stage_checkpoint
from ..core.runtime import resolve_device
from ..data.dataset import TensorSplit, load_info, load_split
from ..data.training_sets import load_training_split, training_set_folders
from ..evaluation.predictor import save_predictor
from ..noisy.label_noise import compare_transitions, transition_matrix
from .loop import build_method, fit
from .settings import TrainSettings


def train_and_store(method: str, hparams, settings: TrainSettings, seed: int, device_name: str,
                    model_path: str, log_dir: str, training_set: str = "dataset",
                    epochs_key: str = "train.epochs", *, stage: str) -> dict[str, float]:
    """Train on `training_set` (see `load_training_split`), validate on the dataset's `valid` split.
    `log_dir` receives the dvclive log (see `mitigate.core.curves`): the curves, and the last epoch
    beside the method's report, where a learned transition matrix is put beside the realised one
    of the training labels. `epochs_key` names the
    params.yaml key of `settings.epochs` in a schedule error (see `build_method`). A kill of
    `stage` resumes from its checkpoint (see `mitigate.core.resume`), deleted once the outputs are written."""
    device = resolve_device(device_name)
    info = load_info(paths.DATASET)
    train = TensorSplit(load_training_split(training_set), device)
    valid = TensorSplit(load_split(paths.DATASET, "valid"), device)
    model = build_method(method, hparams, settings, train, info["num_classes"], info["input_shape"], seed, epochs_key)
    curves = Curves()
    resume = stage_checkpoint(stage, training_set_folders(training_set), device)
    log = fit(model, train, valid, settings, seed, curves=curves, desc=Path(log_dir).name, checkpoint=resume)
    with atomic_path(model_path) as checkpoint:
        save_predictor(checkpoint, model, info["input_shape"], info["num_classes"])
    report = model.report()
    if "learned_transition" in report:
        true = transition_matrix(train.true_y.cpu().numpy(), train.y.cpu().numpy(), info["num_classes"])
        report["learned_transition"] = compare_transitions(report["learned_transition"].numpy(), true)
    curves.save(log_dir, summary=report)
    resume.remove()
    return log
