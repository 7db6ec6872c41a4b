"""Settings of one classifier's optimisation (params.yaml `train` and `biased`)."""
from dataclasses import dataclass

from ..core.config import Problems, choice, positive
from ..models import arch_problems
from .transforms import AUGMENTATIONS


@dataclass(frozen=True)
class TrainSettings:
    """How one classifier is optimised (Adam)."""
    arch: str
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    augment: str  # none | crop_flip (random crop with 4 px zero padding and horizontal flip), of training batches

    def problems(self) -> Problems:
        yield from arch_problems(self.arch, "arch")
        yield from positive(self, "epochs", "batch_size", "lr")
        if not self.weight_decay >= 0:  # also catches NaN
            yield "weight_decay", f"must be >= 0, got {self.weight_decay}"
        yield from choice(self.augment, "augment", AUGMENTATIONS)


@dataclass(frozen=True)
class BiasedSettings(TrainSettings):
    """The biased classifier: trained with GCE to amplify the shortcut."""
    q: float

    def problems(self) -> Problems:
        yield from super().problems()
        if not 0 < self.q <= 1:
            yield "q", f"must be in (0, 1], got {self.q}"
