"""Stage split: mark each training sample bias-aligned or bias-conflicting with the biased
model, and score the assignment against the ground truth."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

import pandas as pd

from mitigate.biaswap.split import conflict_score, threshold_value
from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.fileio import atomic_path, write_json
from mitigate.core.runtime import resolve_device
from mitigate.core.stage import run_stage
from mitigate.data.dataset import TensorSplit, load_split
from mitigate.evaluation.metrics import precision_recall_f1
from mitigate.evaluation.predictor import load_predictor
from mitigate.models.inference import predict_logits


def main() -> None:
    params = Params.load()
    settings, device = params.split, resolve_device(params.device)
    split = load_split(paths.DATASET, "train")
    train = TensorSplit(split, device)
    biased = load_predictor(paths.BIASED_MODEL, device, stage="train_biased")
    scores = conflict_score(predict_logits(biased, train), train.y).cpu()
    threshold = threshold_value(scores, settings.threshold)
    conflicting = (scores > threshold).numpy()
    table = pd.DataFrame({"index": split.table["index"], "score": scores.numpy().round(6), "conflicting": conflicting})
    with atomic_path(paths.SPLIT_TABLE) as tmp:
        table.to_csv(tmp, index=False)
    truth = ~split.table["aligned"].to_numpy()
    metrics = {"threshold": round(threshold, 6), "predicted_conflicting": int(conflicting.sum()),
               "true_conflicting": int(truth.sum()), **precision_recall_f1(conflicting, truth)}
    write_json(paths.SPLIT_METRICS, metrics)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
