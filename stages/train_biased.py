"""Stage train_biased: a classifier trained with GCE, which amplifies the shortcut."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.stage import run_stage
from mitigate.methods.gce import GCEHparams
from mitigate.training.settings import BiasedSettings
from mitigate.training.stage import train_and_store


def main() -> None:
    params = Params.load()
    settings, seed, device = params.section(BiasedSettings, "biased"), params.seed, params.device
    train_and_store("gce", GCEHparams(q=settings.q), settings, seed, device,
                    paths.BIASED_MODEL, paths.BIASED_LOG, epochs_key="biased.epochs", stage="train_biased")


if __name__ == "__main__":
    run_stage(main)
