"""Stage evaluate: every trained model on the unbiased test set, its aligned and bias-conflicting
subsets and the validation split; one metrics file per model, so `dvc metrics show` reads as a
comparison table, and the (target, bias) accuracy matrix of each as plot data.

    python stages/evaluate.py [REFERENCE ...]

REFERENCE: a model evaluated before the methods: `biased` (the bias track's GCE model) or
`ceiling` (the noisy track's vanilla on clean labels)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

import sys

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.errors import UserError
from mitigate.core.fileio import write_json_files, write_text
from mitigate.core.runtime import resolve_device
from mitigate.core.stage import run_stage
from mitigate.data.dataset import TensorSplit, load_info, load_split
from mitigate.evaluation.evaluate import evaluate_model
from mitigate.evaluation.predictor import load_predictor
from mitigate.evaluation.report import comparison_table
from mitigate.methods import method_names

REFERENCES = {"biased": (paths.BIASED_MODEL, "train_biased"), "ceiling": (paths.CEILING_MODEL, "train_ceiling")}


def main() -> None:
    unknown = [name for name in sys.argv[1:] if name not in REFERENCES]
    if unknown:
        raise UserError(f"usage: python stages/evaluate.py [{' | '.join(REFERENCES)} ...]; unknown: {', '.join(unknown)}")
    params = Params.load()
    methods, device = method_names(params), resolve_device(params.device)
    info = load_info(paths.DATASET)
    splits = {name: TensorSplit(load_split(paths.DATASET, name), device) for name in ("test", "valid")}
    models = {name: REFERENCES[name] for name in sys.argv[1:]}
    models |= {m: (paths.trained_model(m), f"train@{m}") for m in methods}
    results, cells, knows_groups = {}, {}, []
    for name, (path, stage) in models.items():
        model = load_predictor(path, device, stage)
        if model.uses_bias_labels:
            knows_groups.append(name)
        results[name], cells[name] = evaluate_model(model, splits, info["num_classes"], info["num_bias"])
    write_json_files(paths.EVAL_METRICS_DIR, results)
    write_json_files(paths.EVAL_CELLS_DIR, cells)
    table = comparison_table(results, knows_groups=tuple(knows_groups))
    write_text(paths.EVAL_TABLE, table)
    print(table)


if __name__ == "__main__":
    run_stage(main)
