from ..training.method import register_method
from .vanilla import Vanilla


@register_method("biaswap")
class BiaSwap(Vanilla):
    """BiaSwap (Kim et al. 2021): cross entropy on the training set plus its bias-swapped images
    (stage augment), each swap labeled with its content image's label."""
    training_set = "augmented"
