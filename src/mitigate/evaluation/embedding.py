"""2-D embeddings of a disentangled model's intrinsic and bias features (the DFA figure of the
talk: intrinsic features cluster by class, bias features by bias attribute), with a number that
says the same: leave-one-out k-nearest-neighbour accuracy of each attribute in each feature space."""
import numpy as np
import torch

from ..core.config import Positive, PositiveInt, settings
from ..core.viz import figure, save_figure
from ..data.dataset import TensorSplit
from ..models.disentangled import DisentangledClassifier


@settings
class EmbedSettings:
    methods: list[str]  # methods whose predictor is a disentangled classifier (DFA)
    samples: PositiveInt  # test images embedded: a class-stratified subset of the (unbiased) test split
    perplexity: Positive  # t-SNE
    neighbors: PositiveInt  # k of the k-NN accuracy


@torch.no_grad()
def disentangled_features(model: DisentangledClassifier, data: TensorSplit, batch_size: int = 1024) -> dict[str, np.ndarray]:
    parts = [model.encode(images) for images in data.image_chunks(batch_size)]
    return {"intrinsic": torch.cat([p[0] for p in parts]).cpu().numpy(),
            "bias": torch.cat([p[1] for p in parts]).cpu().numpy()}


def squared_distances(z: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """Pairwise squared Euclidean distances as sums of squared differences: they rank as the
    distances do, without `torch.cdist`'s square root (MKL's vector math, whose last bit follows
    the CPU model; see methods/pgd.py)."""
    return torch.cat([(z[start : start + chunk, None] - z[None]).square().sum(-1) for start in range(0, len(z), chunk)])


def knn_accuracy(features: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Leave-one-out accuracy of a majority vote of the k nearest other samples (Euclidean)."""
    distances = squared_distances(torch.from_numpy(features).double())
    distances.fill_diagonal_(float("inf"))
    nearest = distances.topk(k, dim=1, largest=False).indices.numpy()
    votes = np.stack([np.bincount(row, minlength=labels.max() + 1) for row in labels[nearest]])
    return float((votes.argmax(1) == labels).mean())


def tsne_2d(features: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    return TSNE(n_components=2, perplexity=min(perplexity, len(features) - 1), init="pca",
                random_state=seed).fit_transform(features.astype(np.float64))


def plot_embeddings(path: str, embeddings: dict[str, np.ndarray], labels: dict[str, np.ndarray], title: str) -> None:
    """One panel per (feature space, coloring): rows = feature spaces, columns = attributes."""
    fig, axes = figure(len(embeddings), len(labels), (4.5 * len(labels), 4.2 * len(embeddings)))
    for row, (space, points) in enumerate(embeddings.items()):
        for col, (attribute, values) in enumerate(labels.items()):
            ax = axes[row, col]
            count = int(values.max()) + 1
            scatter = ax.scatter(points[:, 0], points[:, 1], c=values, cmap="tab10" if count <= 10 else "tab20",
                                 vmin=-0.5, vmax=count - 0.5, s=5)
            ax.set_title(f"{space} features, colored by {attribute}", fontsize=10)
            ax.set_xticks([]), ax.set_yticks([])
            fig.colorbar(scatter, ax=ax, ticks=range(count), fraction=0.046)
    save_figure(path, fig, title)
