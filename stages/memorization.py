"""Stage memorization: the memorization plot of the methods in `memorization.methods` (by
default CE and ELR) from their training curves."""
from mitigate import paths
from mitigate.cli import run_stage
from mitigate.config import Params
from mitigate.errors import UserError
from mitigate.memorization_figure import draw_memorization, read_memorization
from mitigate.methods import method_names


def main() -> None:
    params = Params.load()
    section = params.get("memorization")
    wanted = section.get("methods") if isinstance(section, dict) else None
    trained = method_names(params)
    if not isinstance(wanted, list) or not wanted or any(m not in trained for m in wanted):
        raise UserError(f"params.yaml: memorization.methods: must be a non-empty list of trained methods ({', '.join(trained)}), got {wanted!r}")
    draw_memorization(paths.MEMORIZATION_PNG, {m: read_memorization(f"{paths.CURVES_DIR}/{m}") for m in wanted})


if __name__ == "__main__":
    run_stage(main)
