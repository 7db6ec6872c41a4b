import torch

from ..training.losses import cross_entropy
from ..training.method import Method, register_method, step


@register_method("vanilla")
class Vanilla(Method):
    """Empirical risk minimisation with cross entropy. Subclasses change only `loss`."""

    def __init__(self, make_model, train, num_classes, settings, hparams):
        super().__init__(make_model, train, num_classes, settings, hparams)
        self.model = make_model("main")
        self.optimizer = self.make_optimizer(self.model)

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return cross_entropy(logits, y)

    def update(self, batch):
        loss = self.loss(self.model(batch.x), batch.y).mean()
        step(self.optimizer, loss)
        return {"loss": loss.detach()}

    def predictors(self):
        return [self.model]
