"""The training loop shared by every method and stage."""
import dataclasses

import torch
from tqdm import tqdm

from ..core.config import Length
from ..core.curves import Curves
from ..core.resume import Checkpoint
from ..core.runtime import torch_generator
from ..data.dataset import TensorSplit
from ..methods import METHODS, Method, check_schedule
from ..models.inference import predict_logits
from .method import ModelFactory
from .settings import TrainSettings
from .transforms import augment


def build_method(name: str, hparams, settings: TrainSettings, train: TensorSplit, num_classes: int,
                 input_shape, seed: int, epochs_key: str = "train.epochs") -> Method:
    """Method `name`, once its phases are checked against `settings.epochs` (set by params.yaml
    `epochs_key`, which a schedule error names)."""
    check_schedule(name, hparams, Length(settings.epochs, epochs_key))
    make = ModelFactory(settings.arch, input_shape, num_classes, seed, train.device)
    return METHODS[name](make, train, num_classes, settings, hparams)


def accuracy(predict, data: TensorSplit) -> float:
    return (predict_logits(predict, data).argmax(1) == data.y).float().mean().item()


def memorization(predict, train: TensorSplit) -> dict[str, float]:
    """Over the training samples whose label is noisy: the fraction predicted as their true
    label, as their noisy label, and as neither (the memorization plot of the talk). Uses the
    ground truth, which only this measurement reads, never a method."""
    noisy = train.y != train.true_y
    predicted = predict_logits(predict, train)[noisy].argmax(1)
    true, given = predicted == train.true_y[noisy], predicted == train.y[noisy]
    return {"memorization/true_label": true.float().mean().item(), "memorization/noisy_label": given.float().mean().item(),
            "memorization/other": (~true & ~given).float().mean().item()}


def fit(method: Method, train: TensorSplit, valid: TensorSplit, settings: TrainSettings, seed: int,
        curves: Curves | None = None, desc: str = "train", progress: bool = True,
        checkpoint: Checkpoint | None = None) -> dict[str, float]:
    """Train for the method's number of epochs on batches in a seeded random order (or drawn by
    the method's sampling weights). Per epoch: the mean of each named loss and the validation
    accuracy (and, when some training labels are noisy, the memorization fractions), shown on the
    progress bar and logged to `curves`. Returns the last epoch's log. No model selection: the
    last epoch is kept. With `settings.augment`, the method sees only augmented training batches.
    With a `checkpoint`, the loop goes on from its saved state and saves at epoch ends (see
    `mitigate.core.resume`)."""
    has_noise = bool((train.y != train.true_y).any())
    order, augmentation = torch_generator(seed, "batch_order"), torch_generator(seed, "augment")
    state = {"method": method, "order": order, "augmentation": augmentation, "curves": curves, "log": {}}
    start = checkpoint.restore(state, method.num_epochs) if checkpoint is not None else 0
    bar = tqdm(range(start, method.num_epochs), desc=desc, unit="epoch", dynamic_ncols=True, mininterval=1.0,
               initial=start, total=method.num_epochs, disable=not progress)
    log: dict[str, float] = state["log"]
    for epoch in bar:
        method.train()
        sums: dict[str, torch.Tensor] = {}
        for batch in train.batches(settings.batch_size, order, method.sampling_weights()):
            batch = dataclasses.replace(batch, x=augment(batch.x, settings.augment, augmentation))
            for key, value in method.update(batch).items():
                sums[key] = sums.get(key, 0) + value * len(batch.y)
        method.on_epoch_end(epoch, train)
        method.eval()
        log = {f"train/{k}": v.item() / len(train) for k, v in sums.items()}
        log["valid/accuracy"] = accuracy(method.predict, valid)
        if has_noise:
            log |= memorization(method.predict, train)
        bar.set_postfix(loss=f"{log['train/loss']:.4f}", valid_acc=f"{log['valid/accuracy']:.3f}", refresh=False)
        if curves is not None:
            curves.log(epoch, log)
        if checkpoint is not None:
            state["log"] = log
            checkpoint.save_if_due(state, epoch + 1)
    return log
