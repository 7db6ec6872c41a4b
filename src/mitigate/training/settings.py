"""Settings of one classifier's optimisation (params.yaml `train` and `biased`)."""
from typing import Literal

from ..core.config import NonNegative, Positive, PositiveFraction, PositiveInt, Problems, settings
from ..models import arch_problems


@settings
class TrainSettings:
    """How one classifier is optimised (Adam)."""
    arch: str  # a registered architecture, timm/<name> or disentangled/<arch> (models.registry)
    epochs: PositiveInt
    batch_size: PositiveInt
    lr: Positive
    weight_decay: NonNegative
    augment: Literal["none", "crop_flip"]  # crop_flip: random crop with 4 px zero padding and horizontal flip, of training batches

    def problems(self) -> Problems:
        yield from arch_problems(self.arch, "arch")


@settings
class BiasedSettings(TrainSettings):
    """The biased classifier: trained with GCE to amplify the shortcut."""
    q: PositiveFraction
