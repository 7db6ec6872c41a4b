"""Stage corruptions: one photo under each of the 20 Corrupted CIFAR-10 corruptions at severities
1-5, as a PNG table (independent of the dataset, so it is drawn on every run)."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.stage import run_stage
from mitigate.data.figures import draw_corruption_table, example_photo


def main() -> None:
    params = Params.load()
    draw_corruption_table(example_photo(), params.seed, paths.CORRUPTIONS_PNG)


if __name__ == "__main__":
    run_stage(main)
