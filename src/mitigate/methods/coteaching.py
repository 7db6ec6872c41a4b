"""Co-teaching (Han et al. 2018)."""

import torch

from ..core.config import Fraction, Length, Problems, ProperFraction, portion, settings
from ..training.losses import cross_entropy
from ..training.method import Method, register_method, step


@settings
class CoteachingHparams:
    forget_rate: ProperFraction  # R at the end of the ramp: the authors set it to the (known) noise rate
    ramp: Fraction  # fraction of the training over which R(t) rises linearly from 0 to forget_rate (0: no ramp)


def forget_rate_at(epoch: int, forget_rate: float, ramp_epochs: int) -> float:
    """R(t) = forget_rate * min(t / ramp_epochs, 1) (Han et al. 2018, sec. 3)."""
    return forget_rate * min(epoch / ramp_epochs, 1.0) if ramp_epochs > 0 else forget_rate


def small_loss_selection(losses: torch.Tensor, keep_fraction: float) -> torch.Tensor:
    """Positions of the round(keep_fraction * n) smallest losses (at least one)."""
    keep = max(1, round(keep_fraction * len(losses)))
    return torch.argsort(losses, stable=True)[:keep]


@register_method("coteaching")
class Coteaching(Method):
    """Two networks; in each batch each keeps its (1 - R(t)) fraction of smallest-loss samples,
    and its peer trains on them with CE. Predicts with the mean of both networks' logits."""
    Hparams = CoteachingHparams

    @classmethod
    def schedule_problems(cls, hparams, length: Length) -> Problems:
        """A ramp that rounds to 0 epochs (it would forget at the full rate from the start)."""
        if hparams.ramp > 0 and length.phase(hparams.ramp) == 0:
            yield "ramp", (f"{length.describe(hparams.ramp)}: the ramp is empty; raise it or {length.key}, "
                           f"or set 0 to forget at the full rate from the start")

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.ramp_epochs = portion(hparams.ramp, settings.epochs)
        self.model = make_model("main")
        self.peer = make_model("peer")
        self.optimizer = self.make_optimizer(self.model, self.peer)
        self.epoch = 0

    def update(self, batch):
        logits, logits_peer = self.model(batch.x), self.peer(batch.x)
        ce, ce_peer = cross_entropy(logits, batch.y), cross_entropy(logits_peer, batch.y)
        keep = 1 - forget_rate_at(self.epoch, self.hparams.forget_rate, self.ramp_epochs)
        chosen_by_model = small_loss_selection(ce.detach(), keep)
        chosen_by_peer = small_loss_selection(ce_peer.detach(), keep)
        loss_model, loss_peer = ce[chosen_by_peer].mean(), ce_peer[chosen_by_model].mean()
        step(self.optimizer, loss_model + loss_peer)
        return {"loss": (loss_model + loss_peer).detach(), "loss_main": loss_model.detach(),
                "loss_peer": loss_peer.detach(), "kept": torch.tensor(keep)}

    def on_epoch_end(self, epoch, train) -> None:
        self.epoch = epoch + 1

    def predictors(self):
        return [self.model, self.peer]
