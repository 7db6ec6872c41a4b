"""Per-sample loss EMA with class-wise max normalisation, as in the LfF code (also used by DFA)."""
import torch


class ClasswiseLossEMA:
    """ema_i <- alpha * ema_i + (1 - alpha) * loss_i, except that a sample's first visit sets
    ema_i = loss_i. `normalized(index)` divides each EMA by the largest EMA over all training
    samples of the same class (samples not yet visited count as 0)."""

    def __init__(self, labels: torch.Tensor, num_classes: int, alpha: float):
        self.labels = labels
        self.num_classes = num_classes
        self.alpha = alpha
        self.values = torch.zeros(len(labels), device=labels.device)
        self.visited = torch.zeros(len(labels), dtype=torch.bool, device=labels.device)

    def update(self, index: torch.Tensor, loss: torch.Tensor) -> None:
        loss = loss.detach().to(self.values.dtype)
        old = self.values[index]
        self.values[index] = torch.where(self.visited[index], self.alpha * old + (1 - self.alpha) * loss, loss)
        self.visited[index] = True

    def class_max(self) -> torch.Tensor:
        maxima = torch.zeros(self.num_classes, device=self.values.device)
        return maxima.scatter_reduce(0, self.labels, self.values, reduce="amax", include_self=True)

    def normalized(self, index: torch.Tensor) -> torch.Tensor:
        return self.values[index] / self.class_max()[self.labels[index]]
