"""Stage train@<method>: one registered training method on its training set (params.yaml `methods`)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

import sys

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.errors import UserError
from mitigate.core.stage import run_stage
from mitigate.methods import method_hparams, training_set_of
from mitigate.training.settings import TrainSettings
from mitigate.training.stage import train_and_store


def main() -> None:
    if len(sys.argv) != 2:
        raise UserError("usage: python stages/train.py METHOD")
    method = sys.argv[1]
    params = Params.load()
    hparams = method_hparams(params, method)
    training_set = training_set_of(params, method)
    settings, seed, device = params.section(TrainSettings, "train"), params.seed, params.device
    train_and_store(method, hparams, settings, seed, device, paths.trained_model(method), paths.training_log(method),
                    training_set, stage=f"train@{method}")


if __name__ == "__main__":
    run_stage(main)
