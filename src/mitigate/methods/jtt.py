"""JTT: Just Train Twice (Liu et al. 2021)."""

from typing import Annotated

import torch

from ..core.config import Float, Length, Positive, Problems, bounded, portion, settings
from ..data.dataset import TensorSplit
from ..models.inference import predict_logits
from ..training.losses import cross_entropy
from ..training.method import Method, register_method, step


@settings
class JTTHparams:
    identification_length: Positive  # T: the ERM identification model's epochs, as a fraction of train.epochs
    upweight: Annotated[Float, bounded(">= 1")]  # lambda_up: how many times more often a sample of the error set is drawn (1: ERM)


@torch.no_grad()
def error_set(model, data: TensorSplit, batch_size: int = 1024) -> torch.Tensor:
    """JTT's error set E (Liu et al. 2021, Algorithm 1, step 2): a boolean per training sample,
    True where the identification model's prediction differs from the (given) label."""
    return predict_logits(model, data, batch_size).argmax(1) != data.y


def upweighted(errors: torch.Tensor, upweight: float) -> torch.Tensor:
    """Per sample, the relative probability of being drawn: `upweight` for the error set, 1
    otherwise: the composition of JTT's upsampled set D_up, E repeated lambda_up times (step 3)."""
    return torch.where(errors, torch.tensor(float(upweight)), torch.tensor(1.0)).to(errors.device)


@register_method("jtt")
class JTT(Method):
    """Two trainings in one run: (1) an ERM identification model for `identification_length` x
    train.epochs; (2) its training errors form the error set E; (3) a fresh model (the same
    initial weights as vanilla's) trained with CE for train.epochs on batches drawn with
    replacement, samples of E `upweight` times as often as the others. Predicts with the second.
    Deviation: each epoch draws n samples, the size of the training set, where the paper passes
    over the upsampled set of n + (lambda_up - 1)|E| samples; so JTT takes as many steps as vanilla."""
    Hparams = JTTHparams

    @classmethod
    def schedule_problems(cls, hparams, length: Length) -> Problems:
        if length.phase(hparams.identification_length) == 0:
            yield ("identification_length",
                   f"{length.describe(hparams.identification_length)}: the identification model never trains; raise it or {length.key}")

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.identification_epochs = portion(hparams.identification_length, settings.epochs)
        self.identification = make_model("identification")
        self.model = make_model("main")
        self.optimizer_identification = self.make_optimizer(self.identification)
        self.optimizer = self.make_optimizer(self.model)
        self.weights: torch.Tensor | None = None  # set when the identification phase ends
        self.errors: dict[str, float] = {}

    @property
    def num_epochs(self) -> int:
        return self.identification_epochs + self.settings.epochs

    def sampling_weights(self):
        return self.weights

    def update(self, batch):
        if self.weights is None:
            loss = cross_entropy(self.identification(batch.x), batch.y).mean()
            step(self.optimizer_identification, loss)
            return {"loss": loss.detach(), "loss_identification": loss.detach()}
        loss = cross_entropy(self.model(batch.x), batch.y).mean()
        step(self.optimizer, loss)
        return {"loss": loss.detach(), "loss_final": loss.detach()}

    def on_epoch_end(self, epoch, train) -> None:
        if epoch + 1 == self.identification_epochs:
            self.identification.eval()
            errors = error_set(self.identification, train)
            self.weights = upweighted(errors, self.hparams.upweight)
            conflicting = ~train.aligned  # measured, never trained on
            self.errors = {"size": int(errors.sum()), "of_training_set": round(errors.float().mean().item(), 6),
                           "bias_conflicting_share": round(conflicting[errors].float().mean().item(), 6) if errors.any() else 0.0}

    def report(self) -> dict:
        """The error set: its size, its share of the training set, and how much of it is
        bias-conflicting (from the bias labels, which only this measurement reads)."""
        return {"error_set": self.errors}

    def predictors(self):
        return [self.model]
