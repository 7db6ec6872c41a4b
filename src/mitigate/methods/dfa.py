"""DFA: learning debiased representation via disentangled feature augmentation (Lee et al. 2021),
as its authors coded it."""

import torch
from torch import nn

from ..core.config import Fraction, Length, NonNegative, Positive, PositiveFraction, Problems, ProperFraction, portion, settings
from ..models import DISENTANGLED, arch_problems
from ..training.loss_ema import ClasswiseLossEMA
from ..training.losses import cross_entropy, gce_lff
from ..training.method import Method, register_method, step
from ..training.optimizer import adam


@settings
class DFAHparams:
    encoder: str  # architecture of both encoders (its final layer dropped)
    lr: Positive  # Adam; overrides train.lr (the authors use 0.01 on Colored MNIST)
    q: PositiveFraction  # GCE exponent of the bias head
    ema_alpha: ProperFraction  # per-sample loss EMA, as LfF
    lambda_dis: NonNegative  # weight of the bias head's GCE in L_dis
    lambda_swap_b: NonNegative  # weight of the bias head's GCE in L_swap
    lambda_swap: NonNegative  # weight of L_swap
    disentangle: bool  # false (ablation): both heads plain CE, no relative-difficulty weight
    swap_start: Fraction  # L_swap from this fraction of the training on (0: from the start)
    lr_decay_every: PositiveFraction  # fraction of the training between decays, counted from the swap start
    lr_decay: Positive  # factor of the learning rate at each decay

    def problems(self) -> Problems:
        yield from arch_problems(self.encoder, "encoder")


def swap_bias_features(z_b: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """z_b permuted inside the batch, with the labels of the samples it came from (y~)."""
    permutation = torch.randperm(len(y), generator=generator).to(y.device)
    return z_b[permutation], y[permutation]


@register_method("dfa")
class DFA(Method):
    """Intrinsic and bias encoders, z = [z_i ; z_b]. The intrinsic head C_i sees
    [z_i ; z_b.detach()] and learns with CE weighted by the relative difficulty
    W = CE_b / (CE_b + CE_i) (LfF's class-normalised loss EMAs); the bias head C_b sees
    [z_i.detach() ; z_b] and learns with GCE, so E_b takes the shortcut (L_dis, eq. 3). From
    `swap_start` (a fraction of the training) on, z_b is permuted inside the batch, making
    bias-conflicting feature combinations: C_i must still predict y, C_b the label y~ of the
    permuted bias feature (L_swap, eq. 4). L = L_dis + lambda_swap L_swap (eq. 5). Predicts with
    C_i([z_i ; z_b]). With `disentangle: false` (the ablation's first row) both heads learn with plain CE."""
    Hparams = DFAHparams

    @classmethod
    def schedule_problems(cls, hparams, length: Length) -> Problems:
        """An empty L_dis-only phase, a swap that never starts (unless lambda_swap is 0: no swap
        wanted), a decay period of 0 epochs."""
        start = length.phase(hparams.swap_start)
        if hparams.swap_start > 0 and start == 0:
            yield "swap_start", (f"{length.describe(hparams.swap_start)}: the L_dis-only phase before the swap is empty; "
                                 f"raise it or {length.key}, or set 0 to swap from the start")
        if hparams.lambda_swap > 0 and start >= length.epochs:
            yield "swap_start", (f"{length.describe(hparams.swap_start)}: the swap never starts; lower it or raise "
                                 f"{length.key} (or set hparams.dfa.lambda_swap: 0 to train without the swap)")
        if length.phase(hparams.lr_decay_every) == 0:
            yield "lr_decay_every", (f"{length.describe(hparams.lr_decay_every)}: no period for the learning-rate decay; "
                                     f"raise it or {length.key}")

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.model = make_model("dfa", self.predictor_arch())  # E_i, E_b and C_i
        size = self.model.fc.in_features
        self.head_bias = make_model.module("dfa/head_bias", lambda: nn.Linear(size, num_classes))  # C_b
        self.optimizer = adam(self.parameters(), lr=hparams.lr, weight_decay=settings.weight_decay)
        self.ema_intrinsic = ClasswiseLossEMA(train.y, num_classes, hparams.ema_alpha)
        self.ema_bias = ClasswiseLossEMA(train.y, num_classes, hparams.ema_alpha)
        self.swap_generator = make_model.generator("dfa/swap")
        self.swap_start = portion(hparams.swap_start, settings.epochs)
        self.lr_decay_every = portion(hparams.lr_decay_every, settings.epochs)
        self.epochs_done = 0

    def predictor_arch(self) -> str:
        return DISENTANGLED + self.hparams.encoder

    def heads(self, z_i: torch.Tensor, z_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """C_i([z_i ; z_b.detach()]) and C_b([z_i.detach() ; z_b])."""
        return (self.model.fc(torch.cat([z_i, z_b.detach()], dim=1)),
                self.head_bias(torch.cat([z_i.detach(), z_b], dim=1)))

    def bias_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """GCE, which makes E_b take the shortcut; plain CE when not disentangling (ablation)."""
        return gce_lff(logits, labels, self.hparams.q) if self.hparams.disentangle else cross_entropy(logits, labels)

    def update(self, batch):
        h, y = self.hparams, batch.y
        z_i, z_b = self.model.encode(batch.x)
        logits_i, logits_b = self.heads(z_i, z_b)
        ce_i, ce_b = cross_entropy(logits_i, y), cross_entropy(logits_b, y)
        self.ema_intrinsic.update(batch.index, ce_i)
        self.ema_bias.update(batch.index, ce_b)
        ema_i, ema_b = self.ema_intrinsic.normalized(batch.index), self.ema_bias.normalized(batch.index)
        weight = ema_b / (ema_b + ema_i + 1e-8) if h.disentangle else torch.ones_like(ce_i)
        losses = {"dis_intrinsic": (weight * ce_i).mean(), "dis_bias": h.lambda_dis * self.bias_loss(logits_b, y).mean()}
        zero = torch.zeros((), device=y.device)
        losses["swap_intrinsic"], losses["swap_bias"] = zero, zero
        if self.epochs_done >= self.swap_start:
            z_b_swapped, y_swapped = swap_bias_features(z_b, y, self.swap_generator)
            swap_i, swap_b = self.heads(z_i, z_b_swapped)
            losses["swap_intrinsic"] = h.lambda_swap * (weight * cross_entropy(swap_i, y)).mean()
            losses["swap_bias"] = h.lambda_swap * h.lambda_swap_b * self.bias_loss(swap_b, y_swapped).mean()
        loss = sum(losses.values())
        step(self.optimizer, loss)
        return {"loss": loss.detach(), **{k: v.detach() for k, v in losses.items()}, "weight": weight.mean()}

    def on_epoch_end(self, epoch, train) -> None:
        """Learning rate x `lr_decay` every `lr_decay_every` of the training after the swap starts
        (the authors: x0.5 every 10k of 50k steps)."""
        self.epochs_done = epoch + 1
        since_start = self.epochs_done - self.swap_start
        if since_start > 0 and since_start % self.lr_decay_every == 0:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.hparams.lr_decay

    def predictors(self):
        return [self.model]
