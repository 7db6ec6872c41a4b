"""The DFA feature embedding: k-NN accuracy, t-SNE, the figure, features of a disentangled model."""
import numpy as np
import pytest
import torch
from tiny import INPUT_SHAPE, NUM_CLASSES, tiny_tensor_split

from mitigate.evaluation.embedding import disentangled_features, knn_accuracy, plot_embeddings, squared_distances, tsne_2d
from mitigate.models import build_model


def clusters(seed: int = 0):
    """Three tight, well separated clusters in 8-d; labels by cluster; labels independent of them."""
    rng = np.random.default_rng(seed)
    by_cluster = np.repeat(np.arange(3), 30)
    features = 10 * np.eye(8)[by_cluster] + 0.1 * rng.standard_normal((90, 8))
    return features.astype(np.float32), by_cluster, rng.integers(0, 3, 90)


def test_knn_accuracy_is_one_for_the_clustered_attribute_and_near_chance_for_an_independent_one():
    features, by_cluster, independent = clusters()
    assert knn_accuracy(features, by_cluster, k=5) == 1.0
    assert knn_accuracy(features, independent, k=5) < 0.6


def test_knn_accuracy_leaves_each_sample_out():
    features = np.array([[0.0], [0.0], [5.0]], dtype=np.float32)
    # samples 0 and 1 see each other (right), sample 2 sees one of them (wrong); counting itself, all would be right
    assert knn_accuracy(features, np.array([0, 0, 1]), k=1) == pytest.approx(2 / 3)


def test_squared_distances_are_the_squared_euclidean_distances_across_chunks():
    z = torch.randn(70, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)  # 70 rows: two chunks of 64
    assert torch.allclose(squared_distances(z), torch.cdist(z, z).square())
    assert torch.equal(squared_distances(z).diagonal(), torch.zeros(70, dtype=torch.float64))


def test_tsne_is_seeded_and_keeps_clusters_apart(tmp_path):
    features, by_cluster, independent = clusters()
    points = tsne_2d(features, perplexity=10, seed=0)
    assert points.shape == (90, 2) and np.array_equal(points, tsne_2d(features, perplexity=10, seed=0))
    assert knn_accuracy(points.astype(np.float32), by_cluster, k=5) == 1.0
    path = tmp_path / "embed.png"
    plot_embeddings(str(path), {"intrinsic": points, "bias": points}, {"class": by_cluster, "bias": independent}, "t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_features_of_a_disentangled_model_are_its_two_encoders():
    model = build_model("disentangled/mlp_dfa", INPUT_SHAPE, NUM_CLASSES).eval()
    data = tiny_tensor_split(8)
    features = disentangled_features(model, data, batch_size=3)
    with torch.no_grad():
        assert np.allclose(features["intrinsic"], model.intrinsic(data.images()).numpy(), atol=1e-6)
        assert np.allclose(features["bias"], model.bias(data.images()).numpy(), atol=1e-6)
