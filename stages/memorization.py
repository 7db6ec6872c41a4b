"""Stage memorization@<method>: the memorization plot of one method (by default CE and ELR,
`memorization.methods`) from its training curves."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

import sys

from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.errors import UserError
from mitigate.core.stage import run_stage
from mitigate.methods import method_names
from mitigate.noisy.memorization_figure import draw_memorization, read_memorization


def main() -> None:
    if len(sys.argv) != 2:
        raise UserError("usage: python stages/memorization.py METHOD")
    method = sys.argv[1]
    trained = method_names(Params.load())
    if method not in trained:
        raise UserError(f"params.yaml: memorization.methods: {method!r} is not trained (methods: {', '.join(trained)})")
    draw_memorization(paths.memorization_figure(method), {method: read_memorization(paths.training_log(method))})


if __name__ == "__main__":
    run_stage(main)
