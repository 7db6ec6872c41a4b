"""Stage train_ceiling (noisy-label track): vanilla cross-entropy on the training split's true
labels, the noise-free ceiling that the noisy-label methods are measured against."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.stage import run_stage
from mitigate.methods import method_hparams
from mitigate.training.settings import TrainSettings
from mitigate.training.stage import train_and_store


def main() -> None:
    params = Params.load()
    settings, seed, device = params.section(TrainSettings, "train"), params.seed, params.device
    train_and_store("vanilla", method_hparams(params, "vanilla"), settings, seed, device, paths.CEILING_MODEL,
                    paths.CEILING_LOG, "clean", stage="train_ceiling")


if __name__ == "__main__":
    run_stage(main)
