"""Stage embed@<method>: t-SNE of the intrinsic and the bias features of a disentangled model
(DFA) on the unbiased test set, colored by class and by bias attribute, and the k-NN accuracy of
each attribute in each feature space."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

import sys

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.errors import UserError
from mitigate.core.fileio import write_json
from mitigate.core.runtime import numpy_rng, resolve_device
from mitigate.core.stage import run_stage
from mitigate.data.dataset import Split, TensorSplit, load_split
from mitigate.data.sampling import stratified_subset
from mitigate.evaluation.embedding import EmbedSettings, disentangled_features, knn_accuracy, plot_embeddings, tsne_2d
from mitigate.evaluation.predictor import load_predictor
from mitigate.models.disentangled import DisentangledClassifier


def main() -> None:
    if len(sys.argv) != 2:
        raise UserError("usage: python stages/embed.py METHOD")
    method = sys.argv[1]
    params = Params.load()
    settings = params.section(EmbedSettings, "embed")
    predictor = load_predictor(paths.trained_model(method), resolve_device(params.device), f"train@{method}")
    model = predictor.members[0]
    if not isinstance(model, DisentangledClassifier):
        raise UserError(f"params.yaml: embed.methods: {method} has no intrinsic and bias features (only dfa has); remove it")
    test = load_split(paths.DATASET, "test")
    if settings.samples < len(test):
        keep = stratified_subset(test.table["label"].to_numpy(), settings.samples, numpy_rng(params.seed, "embed"))
        test = Split(test.images[keep], test.table.iloc[keep].reset_index(drop=True))
    data, n = TensorSplit(test, model.fc.weight.device), len(test)
    features = disentangled_features(model, data)
    attributes = {"class": data.y.cpu().numpy(), "bias": data.bias.cpu().numpy()}
    metrics = {f"{space}/{name}_knn_accuracy": round(knn_accuracy(z, values, settings.neighbors), 6)
               for space, z in features.items() for name, values in attributes.items()}
    metrics = {"samples": n, "neighbors": settings.neighbors, **metrics}
    embeddings = {space: tsne_2d(z, settings.perplexity, params.seed) for space, z in features.items()}
    plot_embeddings(paths.embed_figure(method), embeddings, attributes,
                    f"{method}: t-SNE of {n} unbiased test images")
    write_json(paths.embed_metrics(method), metrics)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
