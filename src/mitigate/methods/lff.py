from ..core.config import PositiveFraction, ProperFraction, settings
from ..training.loss_ema import ClasswiseLossEMA
from ..training.losses import cross_entropy, gce_lff
from ..training.method import Method, register_method, step


@settings
class LfFHparams:
    q: PositiveFraction  # GCE exponent of the biased model
    ema_alpha: ProperFraction  # per-sample loss EMA


@register_method("lff")
class LfF(Method):
    """Learning from Failure (Nam et al. 2020), as its authors coded it: a biased model f_B
    trained with GCE and a debiased model f_D trained with CE re-weighted by the relative
    difficulty W(x) = CE_B / (CE_B + CE_D) (eq. 2), both from class-normalised per-sample loss
    EMAs; one backward per step. Predicts with f_D."""
    Hparams = LfFHparams

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.model = make_model("main")
        self.biased = make_model("biased")
        self.optimizer = self.make_optimizer(self.model, self.biased)
        self.ema_biased = ClasswiseLossEMA(train.y, num_classes, hparams.ema_alpha)
        self.ema_debiased = ClasswiseLossEMA(train.y, num_classes, hparams.ema_alpha)

    def update(self, batch):
        logits_b, logits_d = self.biased(batch.x), self.model(batch.x)
        ce_b, ce_d = cross_entropy(logits_b, batch.y), cross_entropy(logits_d, batch.y)
        self.ema_biased.update(batch.index, ce_b)
        self.ema_debiased.update(batch.index, ce_d)
        ema_b, ema_d = self.ema_biased.normalized(batch.index), self.ema_debiased.normalized(batch.index)
        weight = ema_b / (ema_b + ema_d + 1e-8)
        loss_b = gce_lff(logits_b, batch.y, self.hparams.q).mean()
        loss_d = (weight * ce_d).mean()
        step(self.optimizer, loss_b + loss_d)
        return {"loss": (loss_b + loss_d).detach(), "loss_biased": loss_b.detach(),
                "loss_debiased": loss_d.detach(), "weight": weight.mean()}

    def predictors(self):
        return [self.model]
