"""PGD: per-sample gradient-based debiasing (Ahn et al. 2023)."""

import torch
import torch.nn.functional as F

from ..core.config import Length, Positive, PositiveFraction, Problems, portion, settings
from ..data.dataset import TensorSplit
from ..models import Classifier
from ..training.losses import cross_entropy, gce
from ..training.method import Method, register_method, step


@settings
class PGDHparams:
    q: PositiveFraction  # GCE exponent of the biased model
    biased_length: Positive  # the biased model's epochs (before the debiased model's), as a multiple of the training's


@torch.no_grad()
def last_layer_gradient_norms(model: Classifier, data: TensorSplit, batch_size: int = 1024) -> torch.Tensor:
    """Per sample, the L2 norm of the gradient of CE with respect to the final linear layer
    (weight and bias), in closed form: for logits W h + b, dCE/dW = (p - e_y) h^T and
    dCE/db = p - e_y, so the norm is ||p - e_y|| * ||(h, 1)||.

    Both factors are vector norms, whose square root is the C library's (exactly rounded):
    ATen's element-wise `sqrt` runs MKL's vector math, whose last bit differs between CPU
    models, and PGD's draws then part between an AMD EPYC and an Intel Xeon
    (docs/reproducibility.md)."""
    norms = []
    for start in range(0, len(data), batch_size):
        x, y = data.images(slice(start, start + batch_size)), data.y[start : start + batch_size]
        h = model.pool(model.forward_features(x))
        residual = F.softmax(model.fc(h), dim=1) - F.one_hot(y, model.fc.out_features)
        with_bias_input = F.pad(h, (0, 1), value=1.0)
        norms.append(torch.linalg.vector_norm(residual, dim=1) * torch.linalg.vector_norm(with_bias_input, dim=1))
    return torch.cat(norms)


def sampling_probabilities(norms: torch.Tensor) -> torch.Tensor:
    """PGD's h(x_i) = ||g_i|| / sum_j ||g_j|| (Ahn et al. 2023, eq. 3 with the L2 norm)."""
    return norms / norms.sum()


@register_method("pgd")
class PGD(Method):
    """Three steps in one run: (1) a biased model trained with GCE on uniform batches for
    `biased_length` x train.epochs; (2) each training sample's last-layer CE gradient norm under
    it; (3) a debiased model of the same architecture trained with CE for train.epochs on batches drawn
    with replacement with probability proportional to that norm. Samples the biased model fits
    (bias-aligned) have small gradients; those it fails on (bias-conflicting) are drawn often.
    Predicts with the debiased model."""
    Hparams = PGDHparams

    @classmethod
    def schedule_problems(cls, hparams, length: Length) -> Problems:
        """A biased phase of 0 epochs: no model to take the gradients of."""
        if length.phase(hparams.biased_length) == 0:
            yield "biased_length", f"{length.describe(hparams.biased_length)}: the biased model never trains; raise it or {length.key}"

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.biased_epochs = portion(hparams.biased_length, settings.epochs)
        self.biased = make_model("biased")
        self.model = make_model("main")
        self.optimizer_biased = self.make_optimizer(self.biased)
        self.optimizer = self.make_optimizer(self.model)
        self.probabilities: torch.Tensor | None = None  # set when the biased phase ends

    @property
    def num_epochs(self) -> int:
        return self.biased_epochs + self.settings.epochs

    def sampling_weights(self):
        return self.probabilities

    def update(self, batch):
        if self.probabilities is None:
            loss = gce(self.biased(batch.x), batch.y, self.hparams.q).mean()
            step(self.optimizer_biased, loss)
            return {"loss": loss.detach(), "loss_biased": loss.detach()}
        loss = cross_entropy(self.model(batch.x), batch.y).mean()
        step(self.optimizer, loss)
        return {"loss": loss.detach(), "loss_debiased": loss.detach()}

    def on_epoch_end(self, epoch, train) -> None:
        if epoch + 1 == self.biased_epochs:
            self.biased.eval()
            self.probabilities = sampling_probabilities(last_layer_gradient_norms(self.biased, train))

    def predictors(self):
        return [self.model]
