"""Group DRO (Sagawa et al. 2020): the reference that knows the groups."""

import torch

from ..core.config import NonNegative, Positive, settings
from ..training.balanced_sampling import group_balanced_weights
from ..training.losses import cross_entropy
from ..training.method import Method, register_method, step
from ..training.optimizer import adam


@settings
class GroupDROHparams:
    eta: Positive  # step size of the group weights q
    group_adjustment: NonNegative  # C: each group's loss is raised by C / sqrt(n_g) in the q update
    balanced_sampling: bool  # draw batches so that every (label, bias) group is equally likely
    weight_decay: NonNegative  # overrides train.weight_decay: group DRO needs strong L2 (Sagawa et al., sec. 4)


def group_losses(losses: torch.Tensor, groups: torch.Tensor, num_groups: int) -> torch.Tensor:
    """Mean loss of each group in the batch; 0 for a group with no sample in it."""
    sums = torch.zeros(num_groups, device=losses.device).index_add(0, groups, losses)
    counts = torch.zeros(num_groups, device=losses.device).index_add(0, groups, torch.ones_like(losses))
    return sums / counts.clamp_min(1)


@register_method("group_dro")
class GroupDRO(Method):
    """Online group DRO (Sagawa et al. 2020, Algorithm 1): groups are (label, bias attribute)
    pairs of the training set; per batch, q_g <- q_g exp(eta (l_g + C / sqrt(n_g))), normalised,
    and the model minimises sum_g q_g l_g, so the worst groups dominate. Uses the ground-truth
    bias attribute of every training sample, which the other de-biasing methods do not have."""
    Hparams = GroupDROHparams
    uses_bias_labels = True

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.model = make_model("main")
        self.optimizer = adam(self.model.parameters(), lr=settings.lr, weight_decay=hparams.weight_decay)
        self.num_bias = int(train.bias.max()) + 1
        self.num_groups = num_classes * self.num_bias
        counts = torch.bincount(self.group_of(train.y, train.bias), minlength=self.num_groups).float()
        present = counts > 0
        self.register_buffer("q", present.float() / present.sum())  # groups absent from training keep q = 0
        self.adjustment = hparams.group_adjustment * counts.clamp_min(1).rsqrt()  # ATen's own 1 / sqrt, not MKL's vector math (see pgd.py)
        self.weights = group_balanced_weights(train.y, train.bias) if hparams.balanced_sampling else None

    def group_of(self, y: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return y * self.num_bias + bias

    def sampling_weights(self):
        return self.weights

    def update(self, batch):
        losses = group_losses(cross_entropy(self.model(batch.x), batch.y), self.group_of(batch.y, batch.bias),
                              self.num_groups)
        with torch.no_grad():
            q = self.q * torch.exp(self.hparams.eta * (losses + self.adjustment))
            self.q.copy_(q / q.sum())
        loss = (self.q * losses).sum()
        step(self.optimizer, loss)
        return {"loss": loss.detach(), "worst_group_loss": losses.max().detach(), "max_q": self.q.max()}

    def predictors(self):
        return [self.model]
