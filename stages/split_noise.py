"""Stage split_noise: mark each training sample's label clean or noisy from out-of-sample
predicted probabilities (k-fold cross-validation) three ways: a loss GMM (DivideMix's, its clean
component from the losses against every class), the label's Bayes posterior under the estimated
noise transition matrix, and cleanlab; score each against the ground truth."""
import pandas as pd

from mitigate import paths
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.fileio import atomic_path, write_json
from mitigate.noise_detection import (cleanlab_noisy, detection_metrics, fold_training, gmm_noisy_scores,
                                      out_of_sample_probabilities, transition_noisy_scores)
from mitigate.runtime import resolve_device


def main() -> None:
    params = Params.load()
    split = load_split(paths.DATASET, "train")
    train = TensorSplit(split, resolve_device(params.device))
    probabilities = out_of_sample_probabilities(train, fold_training(params), load_info(paths.DATASET)["num_classes"],
                                                params.seed)
    labels = split.table["label"].to_numpy()
    gmm_scores = gmm_noisy_scores(probabilities, labels, params.seed)
    transition_scores = transition_noisy_scores(probabilities, labels)
    cleanlab_flags, cleanlab_scores = cleanlab_noisy(probabilities, labels)
    table = pd.DataFrame({"index": split.table["index"], "gmm_score": gmm_scores.round(6), "gmm_noisy": gmm_scores > 0.5,
                          "transition_score": transition_scores.round(6), "transition_noisy": transition_scores > 0.5,
                          "cleanlab_score": cleanlab_scores.round(6), "cleanlab_noisy": cleanlab_flags})
    with atomic_path(paths.NOISE_SPLIT_TABLE) as tmp:
        table.to_csv(tmp, index=False)
    truth = split.table["noisy"].to_numpy()
    metrics = {"true_noisy": int(truth.sum()), "gmm": detection_metrics(gmm_scores > 0.5, gmm_scores, truth),
               "transition": detection_metrics(transition_scores > 0.5, transition_scores, truth),
               "cleanlab": detection_metrics(cleanlab_flags, cleanlab_scores, truth)}
    write_json(paths.NOISE_SPLIT_METRICS, metrics)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
