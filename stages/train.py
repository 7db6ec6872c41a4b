"""Stage train@<method>: one registered training method on its training set (params.yaml `methods`)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads
import sys

from mitigate import paths
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.errors import UserError
from mitigate.methods import method_hparams, training_set_of
from mitigate.runner import train_and_store
from mitigate.train_settings import TrainSettings


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
