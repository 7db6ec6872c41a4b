"""Stage train_judges: the yardsticks of BiaSwap's swaps for any bias attribute, a bias judge
(reads the bias attribute) and a content judge (reads the target), each trained where the two
attributes are independent (`biaswap.judges`); their accuracies on the real valid and test images."""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels before torch loads

from mitigate.biaswap.judges import train_judges
from mitigate.core import paths
from mitigate.core.config import Params
from mitigate.core.fileio import atomic_path, write_json
from mitigate.core.runtime import resolve_device
from mitigate.core.stage import run_stage
from mitigate.data.dataset import SPLITS, TensorSplit, has_split, load_info, load_split
from mitigate.evaluation.predictor import save_predictor
from mitigate.training.settings import TrainSettings


def main() -> None:
    params = Params.load()
    settings, seed, device = params.section(TrainSettings, "judges"), params.seed, resolve_device(params.device)
    info = load_info(paths.DATASET)
    names = [*SPLITS, *(["balanced"] if has_split(paths.DATASET, "balanced") else [])]
    splits = {name: TensorSplit(load_split(paths.DATASET, name), device) for name in names}
    judges, metrics = train_judges(splits, settings, info["num_classes"], info["num_bias"], seed)
    for judge, method in judges.items():
        with atomic_path(paths.judge_model(judge)) as tmp:
            save_predictor(tmp, method, info["input_shape"], method.num_classes)
    write_json(paths.JUDGES_METRICS, metrics)
    print(metrics)


if __name__ == "__main__":
    run_stage(main)
