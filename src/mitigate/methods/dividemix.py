"""DivideMix (Li et al. 2020)."""

import numpy as np
import torch
import torch.nn.functional as F

from ..core.config import Length, NonNegative, OpenFraction, Positive, PositiveFraction, Problems, portion, settings
from ..core.runtime import derive_seed
from ..models.inference import predict_logits
from ..noisy.loss_mixture import clean_probability
from ..training.losses import cross_entropy
from ..training.method import Method, register_method, step


@settings
class DivideMixHparams:
    warmup: OpenFraction  # fraction of the training: plain CE on both networks
    p_threshold: OpenFraction  # clean probability above which a sample is labeled
    temperature: Positive  # sharpening
    alpha: Positive  # mixup Beta(alpha, alpha)
    lambda_u: NonNegative  # weight of the unlabeled loss after its ramp
    rampup: PositiveFraction  # fraction of the training over which lambda_u rises linearly from 0 after warm-up


def sharpen(p: torch.Tensor, temperature: float) -> torch.Tensor:
    """p^(1/T), renormalised (MixMatch)."""
    p = p ** (1 / temperature)
    return p / p.sum(1, keepdim=True)


@register_method("dividemix")
class DivideMix(Method):
    """Two networks. After a CE warm-up, at every epoch end each network's per-sample losses on
    the training set are divided by a two-component GMM into clean (labeled) and noisy
    (unlabeled) samples; each network then trains on its peer's division (co-divide). In each
    batch: labels of labeled samples are refined with the network's own prediction by the clean
    probability w and sharpened (co-refinement); unlabeled samples get the sharpened mean of
    both networks' predictions (co-guessing); both are mixed up (lambda ~ Beta(alpha, alpha),
    lambda = max(lambda, 1 - lambda)); loss = CE on the mixed labeled part + lambda_u (ramped)
    x MSE on the mixed unlabeled part + a uniform-prior penalty (Li et al. 2020, Algorithm 1).
    No data augmentation here (MNIST-sized inputs; the authors use two augmented views).
    Predicts with the mean of both networks' logits."""
    Hparams = DivideMixHparams

    @classmethod
    def schedule_problems(cls, hparams, length: Length) -> Problems:
        """An empty warm-up (the GMM would divide by untrained networks' losses), one that leaves
        no epoch for the co-divided training, an empty ramp of lambda_u."""
        warmup = length.phase(hparams.warmup)
        if warmup == 0:
            yield "warmup", f"{length.describe(hparams.warmup)}: the warm-up is empty; raise it or {length.key}"
        if warmup >= length.epochs:
            yield "warmup", f"{length.describe(hparams.warmup)}: the co-divided training never starts; lower it or raise {length.key}"
        if length.phase(hparams.rampup) == 0:
            yield "rampup", f"{length.describe(hparams.rampup)}: the ramp of lambda_u is empty; raise it or {length.key}"

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.warmup_epochs = portion(hparams.warmup, settings.epochs)
        self.rampup_epochs = portion(hparams.rampup, settings.epochs)
        self.networks = torch.nn.ModuleList([make_model("main"), make_model("peer")])
        self.optimizer = self.make_optimizer(self.networks)
        self.rng = np.random.default_rng(derive_seed(make_model.seed, "dividemix/mixup"))
        self.permutations = make_model.generator("dividemix/mixup_pairs")
        self.seed = make_model.seed
        self.clean_probabilities: list[torch.Tensor] | None = None  # per network, set after warm-up
        self.epoch = 0

    def update(self, batch):
        if self.clean_probabilities is None:
            losses = [cross_entropy(net(batch.x), batch.y).mean() for net in self.networks]
            step(self.optimizer, sum(losses))
            return {"loss": sum(losses).detach(), "labeled_loss": sum(losses).detach() / 2}
        ramp = min(max((self.epoch - self.warmup_epochs) / self.rampup_epochs, 0.0), 1.0)
        parts = [self.mixmatch_loss(k, batch, self.hparams.lambda_u * ramp) for k in range(2)]
        loss = sum(p["loss"] for p in parts)
        step(self.optimizer, loss)
        return {"loss": loss.detach(), **{key: sum(p[key] for p in parts).detach() / 2
                                          for key in ("labeled_loss", "unlabeled_loss", "penalty", "labeled_fraction")}}

    def mixmatch_loss(self, k: int, batch, lambda_u: float) -> dict[str, torch.Tensor]:
        """Network k's loss on the batch, divided by its peer's clean probabilities."""
        h, net = self.hparams, self.networks[k]
        w = self.clean_probabilities[1 - k][batch.index]
        labeled = w > h.p_threshold
        x_l, y_l, w_l, x_u = batch.x[labeled], batch.y[labeled], w[labeled], batch.x[~labeled]
        with torch.no_grad():
            one_hot = F.one_hot(y_l, self.num_classes).float()
            refined = sharpen(w_l[:, None] * one_hot + (1 - w_l[:, None]) * F.softmax(net(x_l), 1), h.temperature)
            guessed = sharpen(sum(F.softmax(other(x_u), 1) for other in self.networks) / 2, h.temperature)
        inputs, targets = torch.cat([x_l, x_u]), torch.cat([refined, guessed])
        mix = float(self.rng.beta(h.alpha, h.alpha))
        mix = max(mix, 1 - mix)
        partner = torch.randperm(len(inputs), generator=self.permutations).to(inputs.device)
        mixed_x = mix * inputs + (1 - mix) * inputs[partner]
        mixed_t = mix * targets + (1 - mix) * targets[partner]
        logits = net(mixed_x)
        n = len(x_l)
        zero = logits.new_zeros(())
        labeled_loss = -(F.log_softmax(logits[:n], 1) * mixed_t[:n]).sum(1).mean() if n else zero
        unlabeled_loss = (F.softmax(logits[n:], 1) - mixed_t[n:]).square().mean() if n < len(inputs) else zero
        prior = torch.full((self.num_classes,), 1 / self.num_classes, device=logits.device)
        mean_prediction = F.softmax(logits, 1).mean(0)
        penalty = (prior * torch.log(prior / mean_prediction)).sum()
        return {"loss": labeled_loss + lambda_u * unlabeled_loss + penalty, "labeled_loss": labeled_loss,
                "unlabeled_loss": unlabeled_loss, "penalty": penalty, "labeled_fraction": labeled.float().mean()}

    def on_epoch_end(self, epoch, train) -> None:
        """From the end of warm-up on: each network's GMM division of the training set."""
        self.epoch = epoch + 1
        if self.epoch >= self.warmup_epochs:
            self.networks.eval()
            probabilities = []
            for net in self.networks:
                losses = cross_entropy(predict_logits(net, train), train.y).cpu().numpy()
                probabilities.append(torch.tensor(clean_probability(losses, seed=self.seed), dtype=torch.float32,
                                                  device=train.y.device))
            self.clean_probabilities = probabilities

    def predictors(self):
        return list(self.networks)
