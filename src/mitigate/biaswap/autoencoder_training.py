"""Training the swapping autoencoder of BiaSwap (Kim et al. 2021) with CAM-guided or uniform
patch sampling for the patch co-occurrence discriminator."""
from collections.abc import Callable

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..core.config import NonNegative, Positive, PositiveInt, settings
from ..core.curves import Curves
from ..core.errors import InputError
from ..core.resume import Checkpoint
from ..core.runtime import derive_seed, torch_generator
from ..data.dataset import TensorSplit
from ..models import Classifier
from ..training.optimizer import adam
from .autoencoder import ImageDiscriminator, PatchCooccurrenceDiscriminator, SwappingAutoencoder
from .cam import class_activation_maps, crop_patches, patch_center_distribution, sample_centers, uniform_distribution


@settings
class SwapAESettings:
    steps: PositiveInt  # optimisation steps (batches), over passes through the training images in seeded orders
    batch_size: PositiveInt
    lr: Positive  # Adam, betas (0, 0.99) as Park et al.
    width: PositiveInt  # channels of the first conv; doubled twice
    content_channels: PositiveInt
    style_dim: PositiveInt
    patch_size: PositiveInt
    num_patches: PositiveInt  # patches of each swapped image the patch discriminator judges
    num_references: PositiveInt  # reference patches of the style image it compares them with
    rec_weight: NonNegative
    gan_weight: NonNegative
    patch_weight: NonNegative
    cycle_weight: NonNegative  # swapping back restores the content image (not in Park et al.; keeps the digit)
    r1_weight: NonNegative  # gamma of the R1 penalty, gamma/2 E||grad D(x)||^2, on both discriminators
    r1_every: PositiveInt  # lazy R1 (StyleGAN2, Park et al.): every k-th step, weighted by k


CenterDistribution = Callable[[torch.Tensor], torch.Tensor]  # images -> N x h x w distribution over cells


def cam_distribution(biased: Classifier) -> CenterDistribution:
    """BiaSwap: P(i, j) = softmax of the biased model's CAM for the class it predicts."""
    @torch.no_grad()
    def distribution(images: torch.Tensor) -> torch.Tensor:
        predicted = biased(images).argmax(1)
        return patch_center_distribution(class_activation_maps(biased, images, predicted))
    return distribution


def uniform_cells(cells: tuple[int, int]) -> CenterDistribution:
    return lambda images: uniform_distribution(len(images), *cells, images.device)


def patch_centers(sampling: str, biased: Classifier, image_size: tuple[int, int]) -> CenterDistribution:
    """`cam`: from the biased model's CAM; `uniform`: over the cells of its 4x-downsampled map."""
    if sampling == "cam":
        return cam_distribution(biased)
    return uniform_cells((image_size[0] // 4, image_size[1] // 4))


def r1_penalty(logits: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Mescheder et al. 2018: E ||grad_x D(x)||^2 over real inputs."""
    grad, = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


class SwapAETrainer(torch.nn.Module):
    """The autoencoder, both discriminators, their optimizers and one training step."""

    def __init__(self, input_shape, settings: SwapAESettings, centers: CenterDistribution, seed: int):
        super().__init__()
        channels = input_shape[0]
        self.settings = settings
        with torch.random.fork_rng(devices=[]):  # initial weights depend only on the seed
            torch.manual_seed(derive_seed(seed, "init/swapae"))
            self.autoencoder = SwappingAutoencoder(input_shape, settings.width, settings.content_channels, settings.style_dim)
            self.image_d = ImageDiscriminator(channels, settings.width)
            self.patch_d = PatchCooccurrenceDiscriminator(channels, settings.width)
        options = dict(lr=settings.lr, betas=(0.0, 0.99))
        self.opt_g = adam(self.autoencoder.parameters(), **options)
        self.opt_d = adam([*self.image_d.parameters(), *self.patch_d.parameters()], **options)
        self.centers = centers
        self.sampler = torch_generator(seed, "swapae/patches")
        self.steps = 0

    def patches(self, images: torch.Tensor, *counts: int) -> list[torch.Tensor]:
        """For each of `counts`, that many patches per image, centered by `self.centers`."""
        distribution = self.centers(images.detach())
        centers = sample_centers(distribution, images.shape[-2:], sum(counts), self.sampler)
        return [crop_patches(images, part, self.settings.patch_size) for part in centers.split(counts, dim=1)]

    def update(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """One generator step and one discriminator step. Swap partners: each image takes the
        style of the next one in the (shuffled) batch. Returns the weighted loss terms."""
        s = self.settings
        style_source = x.roll(1, dims=0)
        content, style = self.autoencoder.encode(x)
        reconstruction = self.autoencoder.decode(content, style)
        swapped = self.autoencoder.decode(content, style.roll(1, dims=0))
        references, real_patches = self.patches(style_source, s.num_references, s.num_patches)
        swapped_patches, = self.patches(swapped, s.num_patches)

        # generator: reconstruct, fool the image discriminator on reconstructions and swaps,
        # and make patches of the swap co-occur with patches of its style source
        # (non-saturating GAN losses, Park et al. 2020 sec. 3)
        losses = {
            "rec": s.rec_weight * F.l1_loss(reconstruction, x),
            "gan": s.gan_weight * F.softplus(-self.image_d(torch.cat([reconstruction, swapped]))).mean(),
            "patch": s.patch_weight * F.softplus(-self.patch_d(swapped_patches, references)).mean(),
        }
        if s.cycle_weight:  # CycleGAN-style: the swap's content with the original style gives x back
            losses["cycle"] = s.cycle_weight * F.l1_loss(self.autoencoder.decode(self.autoencoder.encode(swapped)[0], style), x)
        loss_g = sum(losses.values())
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()

        # discriminators: real images vs reconstructions and swaps; real patches of the style
        # source vs patches of the swap, both against the same references; R1 on the reals
        regularize = self.steps % s.r1_every == 0
        self.steps += 1
        real = x.detach().requires_grad_(regularize)
        real_patches = real_patches.detach().requires_grad_(regularize)
        real_logits = self.image_d(real)
        fake_logits = self.image_d(torch.cat([reconstruction, swapped]).detach())
        real_patch_logits = self.patch_d(real_patches, references.detach())
        fake_patch_logits = self.patch_d(swapped_patches.detach(), references.detach())
        losses["d_image"] = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        losses["d_patch"] = F.softplus(-real_patch_logits).mean() + F.softplus(fake_patch_logits).mean()
        losses["r1"] = (s.r1_weight / 2 * s.r1_every * (r1_penalty(real_logits, real) + r1_penalty(real_patch_logits, real_patches))
                        if regularize else torch.zeros((), device=x.device))
        loss_d = losses["d_image"] + losses["d_patch"] + losses["r1"]
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        return {"loss": loss_g.detach(), **{k: v.detach() for k, v in losses.items()}}


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Steps in one pass over `n` images: a last batch of one image has no swap partner and is skipped."""
    return n // batch_size + (n % batch_size >= 2)


def train_swapae(trainer: SwapAETrainer, train: TensorSplit, seed: int, curves: Curves | None = None,
                 desc: str = "swapae", progress: bool = True, checkpoint: Checkpoint | None = None) -> dict[str, float]:
    """`settings.steps` steps on batches of the training images, each pass in a fresh seeded order
    (the last pass stops early); per pass the mean of each loss term, on the progress bar and in
    `curves`. With a `checkpoint`, the loop goes on from its saved state and saves at pass ends
    (see `mitigate.core.resume`)."""
    s = trainer.settings
    per_epoch = steps_per_epoch(len(train), s.batch_size)
    if per_epoch == 0:
        raise InputError(f"the swapping autoencoder needs at least 2 training images, got {len(train)}")
    epochs = -(-s.steps // per_epoch)
    order = torch_generator(seed, "swapae/batch_order")
    state = {"trainer": trainer, "order": order, "curves": curves, "log": {}}
    start = checkpoint.restore(state, epochs) if checkpoint is not None else 0
    bar = tqdm(total=s.steps, initial=trainer.steps, desc=desc, unit="step", dynamic_ncols=True, mininterval=1.0,
               disable=not progress)
    log: dict[str, float] = state["log"]
    trainer.train()
    for epoch in range(start, epochs):
        if trainer.steps == s.steps:  # a trainer trained before reaches its steps early (benchmarks/swapae_steps.py)
            break
        sums: dict[str, torch.Tensor] = {}
        drawn = 0
        for batch in train.batches(s.batch_size, order):
            if trainer.steps == s.steps:
                break
            drawn += len(batch.y)
            if len(batch.y) < 2:  # a swap needs a partner
                continue
            for key, value in trainer.update(batch.x).items():
                sums[key] = sums.get(key, 0) + value * len(batch.y)
            bar.update()
        log = {f"train/{k}": v.item() / drawn for k, v in sums.items()}
        bar.set_postfix(epoch=epoch + 1, rec=f"{log['train/rec']:.4f}", patch=f"{log['train/patch']:.3f}", refresh=False)
        if curves is not None:
            curves.log(epoch, log)
        if checkpoint is not None:
            state["log"] = log
            checkpoint.save_if_due(state, epoch + 1)
    bar.close()
    trainer.eval()
    return log
