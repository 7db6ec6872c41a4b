from ..training.losses import mae
from ..training.method import register_method
from .vanilla import Vanilla


@register_method("mae")
class MAE(Vanilla):
    """Training with the mean absolute error (Ghosh et al. 2017), a noise-tolerant loss."""

    def loss(self, logits, y):
        return mae(logits, y)
