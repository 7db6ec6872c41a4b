"""ELR: early-learning regularization (Liu et al. 2020)."""
import torch
import torch.nn.functional as F

from ..core.config import NonNegative, ProperFraction, settings
from ..training.losses import cross_entropy
from ..training.method import Method, register_method, step


@settings
class ELRHparams:
    beta: ProperFraction  # EMA of the per-sample targets
    lam: NonNegative  # weight of the regularizer (lambda)


class TargetEMA:
    """Per training sample, a running average of the model's predictions (ELR's t_i), from 0."""

    def __init__(self, num_samples: int, num_classes: int, beta: float, device: torch.device):
        self.beta = beta
        self.values = torch.zeros(num_samples, num_classes, device=device)

    def update(self, index: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
        """t_i <- beta t_i + (1 - beta) p_i / sum(p_i), p detached; returns the new t of `index`."""
        p = probabilities.detach()
        self.values[index] = self.beta * self.values[index] + (1 - self.beta) * p / p.sum(1, keepdim=True)
        return self.values[index]


@register_method("elr")
class ELR(Method):
    """Cross entropy plus lambda * mean(log(1 - <t_i, p_i>)) (Liu et al. 2020, eq. 6), where t_i
    is the temporal ensemble of the model's own early predictions: minimising the term pulls p_i
    towards t_i, so the model keeps what it learned before memorising wrong labels. p is clamped
    to [1e-4, 1 - 1e-4] as in the authors' code."""
    Hparams = ELRHparams

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.model = make_model("main")
        self.optimizer = self.make_optimizer(self.model)
        self.targets = TargetEMA(len(train), num_classes, hparams.beta, train.y.device)

    def update(self, batch):
        logits = self.model(batch.x)
        p = F.softmax(logits, dim=1).clamp(1e-4, 1 - 1e-4)
        t = self.targets.update(batch.index, p)
        ce = cross_entropy(logits, batch.y).mean()
        regularizer = torch.log(1 - (t * p).sum(1)).mean()
        loss = ce + self.hparams.lam * regularizer
        step(self.optimizer, loss)
        return {"loss": loss.detach(), "cross_entropy": ce.detach(), "elr": regularizer.detach()}

    def predictors(self):
        return [self.model]
