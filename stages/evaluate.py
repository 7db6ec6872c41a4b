"""Stage evaluate: every trained model on the unbiased test set, its aligned and bias-conflicting
subsets and the validation split; one metrics file per model, so `dvc metrics show` reads as a
comparison table, and the (target, bias) accuracy matrix of each as plot data.

    python stages/evaluate.py [REFERENCE ...]

REFERENCE: a model evaluated before the methods: `biased` (the bias track's GCE model) or
`ceiling` (the noisy track's vanilla on clean labels)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads
import sys

import numpy as np

from mitigate import paths
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.errors import UserError
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.fileio import write_json_files, write_text
from mitigate.methods import method_names
from mitigate.metrics import bias_accuracies, cell_accuracy
from mitigate.report import comparison_table
from mitigate.runtime import resolve_device
from mitigate.checkpoint import load_predictor, predict_logits


def correct(model, data: TensorSplit) -> np.ndarray:
    return (predict_logits(model, data).argmax(1) == data.y).cpu().numpy()


REFERENCES = {"biased": (paths.BIASED_MODEL, "train_biased"), "ceiling": (paths.CEILING_MODEL, "train_ceiling")}


def main() -> None:
    unknown = [name for name in sys.argv[1:] if name not in REFERENCES]
    if unknown:
        raise UserError(f"usage: python stages/evaluate.py [{' | '.join(REFERENCES)} ...]; unknown: {', '.join(unknown)}")
    params = Params.load()
    methods, device = method_names(params), resolve_device(params.device)
    info = load_info(paths.DATASET)
    shape = (info["num_classes"], info["num_bias"])
    splits = {name: TensorSplit(load_split(paths.DATASET, name), device) for name in ("test", "valid")}
    models = {name: REFERENCES[name] for name in sys.argv[1:]}
    models |= {m: (paths.trained_model(m), f"train@{m}") for m in methods}
    results, cells, knows_groups = {}, {}, []
    for name, (path, stage) in models.items():
        model = load_predictor(path, device, stage)
        if model.uses_bias_labels:
            knows_groups.append(name)
        results[name] = {}
        for split_name, data in splits.items():
            y, bias = data.y.cpu().numpy(), data.bias.cpu().numpy()
            hits = correct(model, data)
            results[name][split_name] = bias_accuracies(hits, y, bias, *shape)
        y, bias = splits["test"].y.cpu().numpy(), splits["test"].bias.cpu().numpy()
        accuracy, counts = cell_accuracy(correct(model, splits["test"]), y, bias, *shape)
        cells[name] = [{"target": t, "bias": b, "accuracy": round(float(accuracy[t, b]), 6), "count": int(counts[t, b])}
                       for t in range(shape[0]) for b in range(shape[1]) if counts[t, b]]
    write_json_files(paths.EVAL_METRICS_DIR, results)
    write_json_files(paths.EVAL_CELLS_DIR, cells)
    table = comparison_table(results, knows_groups=tuple(knows_groups))
    write_text(paths.EVAL_TABLE, table)
    print(table)


if __name__ == "__main__":
    run_stage(main)
