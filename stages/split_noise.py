"""Stage split_noise: mark each training sample's label clean or noisy from out-of-sample
predicted probabilities (k-fold cross-validation) three ways: a loss GMM (DivideMix's, its clean
component from the losses against every class), the label's Bayes posterior under the estimated
noise transition matrix, and cleanlab; score each against the ground truth."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

import pandas as pd

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.fileio import atomic_path, write_json
from mitigate.core.runtime import resolve_device
from mitigate.core.stage import run_stage
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.methods import method_hparams
from mitigate.noisy.detection import NoiseSplitSettings, detect_noisy_labels, detection_metrics, fold_training, out_of_sample_probabilities
from mitigate.training.settings import TrainSettings


def main() -> None:
    params = Params.load()
    split = load_split(paths.DATASET, "train")
    train = TensorSplit(split, resolve_device(params.device))
    split_settings = params.section(NoiseSplitSettings, "split_noise")
    training = fold_training(split_settings, params.section(TrainSettings, "train"), method_hparams(params, split_settings.method))
    probabilities = out_of_sample_probabilities(train, training, load_info(paths.DATASET)["num_classes"], params.seed)
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
