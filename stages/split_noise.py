"""Stage split_noise: mark each training sample's label clean or noisy from out-of-sample
predicted probabilities (k-fold cross-validation) three ways: a loss GMM (DivideMix's, its clean
component from the losses against every class), the label's Bayes posterior under the estimated
noise transition matrix, and cleanlab; score each against the ground truth."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads
import pandas as pd

from mitigate import paths
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.fileio import atomic_path, write_json
from mitigate.noise_detection import detect_noisy_labels, detection_metrics, fold_training, out_of_sample_probabilities
from mitigate.runtime import resolve_device


def main() -> None:
    params = Params.load()
    split = load_split(paths.DATASET, "train")
    train = TensorSplit(split, resolve_device(params.device))
    probabilities = out_of_sample_probabilities(train, fold_training(params), load_info(paths.DATASET)["num_classes"],
                                                params.seed)
    labels = split.table["label"].to_numpy()
    detections = detect_noisy_labels(probabilities, labels, params.seed)
    columns = {"index": split.table["index"]}
    for name, (flags, scores) in detections.items():
        columns[f"{name}_score"], columns[f"{name}_noisy"] = scores.round(6), flags
    with atomic_path(paths.NOISE_SPLIT_TABLE) as tmp:
        pd.DataFrame(columns).to_csv(tmp, index=False)
    truth = split.table["noisy"].to_numpy()
    metrics = {"true_noisy": int(truth.sum()),
               **{name: detection_metrics(flags, scores, truth) for name, (flags, scores) in detections.items()}}
    write_json(paths.NOISE_SPLIT_METRICS, metrics)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
