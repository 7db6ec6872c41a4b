"""The noise adaptation layer (Goldberger & Ben-Reuven 2017)."""
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from ..core.config import Length, OpenFraction, Problems, ProperFraction, portion, settings
from ..models.inference import predict_logits
from ..noisy.label_noise import transition_matrix
from ..training.losses import cross_entropy
from ..training.method import Method, register_method, step


@settings
class NALHparams:
    init: Literal["identity", "confusion"]  # identity: T_ii = diagonal; confusion: the warm-up model's confusion with the noisy labels
    diagonal: OpenFraction  # identity init: T_ii = diagonal, T_ij = (1 - diagonal) / (C - 1)
    warmup: ProperFraction  # fraction of the training: CE on the base model alone before the layer is used

    def problems(self) -> Problems:
        if self.init == "confusion" and self.warmup == 0:
            yield "warmup", "must be > 0 with the confusion init (it needs a warmed-up model), got 0"


def identity_leaning(num_classes: int, diagonal: float) -> torch.Tensor:
    off = (1 - diagonal) / (num_classes - 1)
    return torch.full((num_classes, num_classes), off).fill_diagonal_(diagonal)


def confusion(predicted: torch.Tensor, noisy: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Row i: the distribution of noisy labels among samples predicted as i (identity row when
    none is), i.e. an estimate of p(noisy = j | true = i) from a model that learned mostly the
    clean signal: the transition matrix with the predictions standing in for the true labels."""
    matrix = transition_matrix(predicted.cpu().numpy(), noisy.cpu().numpy(), num_classes)
    return torch.from_numpy(matrix).float()


class NoiseAdaptationLayer(nn.Module):
    """p(noisy = j | x) = sum_i T_ij p(y = i | x) with T = row-softmax(W), so every row of T is a
    distribution (Goldberger & Ben-Reuven 2017, eq. 3)."""

    def __init__(self, initial: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(torch.log(initial.clamp_min(1e-6)))

    def transition(self) -> torch.Tensor:
        return F.softmax(self.weight, dim=1)

    def forward(self, clean_probabilities: torch.Tensor) -> torch.Tensor:
        return clean_probabilities @ self.transition()

    def reset(self, initial: torch.Tensor) -> None:
        with torch.no_grad():
            self.weight.copy_(torch.log(initial.clamp_min(1e-6)))


@register_method("nal")
class NAL(Method):
    """A base classifier for p(y | x) followed by the noise adaptation layer, trained with the
    likelihood of the noisy labels; the layer is dropped at prediction. The first `warmup` of
    the training trains the base model with plain CE; the `confusion` init then sets T from
    the base model's predictions against the noisy labels."""
    Hparams = NALHparams

    @classmethod
    def schedule_problems(cls, hparams, length: Length) -> Problems:
        """An empty warm-up (with the confusion init: no model to take the confusion of), or one
        that leaves no epoch for the noise layer."""
        warmup = length.phase(hparams.warmup)
        if hparams.warmup > 0 and warmup == 0:
            yield "warmup", f"{length.describe(hparams.warmup)}: the warm-up is empty; raise it or {length.key}"
        if warmup >= length.epochs:
            yield "warmup", f"{length.describe(hparams.warmup)}: the noise layer is never used; lower it or raise {length.key}"

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.model = make_model("main")
        self.noise_layer = NoiseAdaptationLayer(identity_leaning(num_classes, hparams.diagonal)).to(train.y.device)
        self.optimizer = self.make_optimizer(self.model, self.noise_layer)
        self.warmup_epochs = portion(hparams.warmup, settings.epochs)
        self.adapting = self.warmup_epochs == 0

    def update(self, batch):
        logits = self.model(batch.x)
        if not self.adapting:
            loss = cross_entropy(logits, batch.y).mean()
        else:
            noisy_probabilities = self.noise_layer(F.softmax(logits, dim=1))
            loss = F.nll_loss(torch.log(noisy_probabilities.clamp_min(1e-12)), batch.y)
        step(self.optimizer, loss)
        return {"loss": loss.detach()}

    def on_epoch_end(self, epoch, train) -> None:
        if epoch + 1 == self.warmup_epochs:
            if self.hparams.init == "confusion":
                self.model.eval()
                predicted = predict_logits(self.model, train).argmax(1)
                self.noise_layer.reset(confusion(predicted, train.y, self.num_classes))
            self.adapting = True

    def report(self) -> dict:
        return {"learned_transition": self.noise_layer.transition().detach().cpu()}

    def predictors(self):
        return [self.model]
