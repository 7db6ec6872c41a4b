from ..core.config import PositiveFraction, settings
from ..training.losses import gce
from ..training.method import register_method
from .vanilla import Vanilla


@settings
class GCEHparams:
    q: PositiveFraction


@register_method("gce")
class GCE(Vanilla):
    """Training with the generalized cross entropy (Zhang & Sabuncu 2018). Robust to noisy
    labels; on biased data it amplifies the shortcut, which is how the biased model is made."""
    Hparams = GCEHparams

    def loss(self, logits, y):
        return gce(logits, y, self.hparams.q)
