"""Where stages read and write; dvc.yaml lists the same paths."""
DATASET = "data/dataset"
BIASED_MODEL = "data/biased/model.pt"
SPLIT_TABLE = "data/split/train.csv"
TRAINED_DIR = "data/trained"
CEILING_MODEL = "data/trained/ceiling.pt"  # noisy track: vanilla on the true labels
BIASED_LOG = "metrics/biased"  # a dvclive log folder (mitigate.core.curves): metrics.json + plots/metrics/
CEILING_LOG = "metrics/train/ceiling"
SYNTH_METRICS = "metrics/synthesize.json"
LABEL_NOISE_METRICS = "metrics/label_noise.json"  # realised transition matrices T_ij = p(noisy j | true i)
SAMPLES_PNG = "metrics/samples.png"
CORRUPTIONS_PNG = "metrics/figures/corruptions.png"
SPLIT_METRICS = "metrics/split.json"
NOISE_SPLIT_TABLE = "data/split/noise.csv"
NOISE_SPLIT_METRICS = "metrics/split_noise.json"
EVAL_METRICS_DIR = "metrics/evaluate"
EVAL_CELLS_DIR = "metrics/cells"
EVAL_TABLE = "metrics/evaluate.md"
JUDGES_DIR = "data/judges"  # the yardsticks of BiaSwap's swaps: bias.pt (reads the bias attribute), content.pt (the target)
JUDGES_METRICS = "metrics/judges.json"
SWAPAE_DIR = "data/swapae"
AUGMENTED = "data/augmented"  # BiaSwap's swaps alone, as split SWAPS_SPLIT: the images added to the training split
SWAPS_SPLIT = "train"  # so that a train@ stage reads data/<training set>/train (dvc.yaml)
AUGMENT_METRICS = "metrics/augment.json"


def trained_model(method: str) -> str:
    return f"{TRAINED_DIR}/{method}.pt"


def memorization_figure(method: str) -> str:
    return f"metrics/figures/memorization_{method}.png"


def training_log(method: str) -> str:
    """The dvclive log folder of train@<method> (mitigate.core.curves)."""
    return f"metrics/train/{method}"


def judge_model(judge: str) -> str:
    """The `bias` or the `content` judge of train_judges."""
    return f"{JUDGES_DIR}/{judge}.pt"


def swapae_model(sampling: str) -> str:
    return f"{SWAPAE_DIR}/{sampling}.pt"


def swapae_log(sampling: str) -> str:
    """The dvclive log folder of train_swapae@<sampling>: its loss curves, its swap quality."""
    return f"metrics/swapae/{sampling}"


def swapae_figure(sampling: str, name: str) -> str:
    return f"metrics/figures/swapae_{sampling}_{name}.png"


def embed_metrics(method: str) -> str:
    return f"metrics/embed/{method}.json"


def embed_figure(method: str) -> str:
    return f"metrics/figures/embed_{method}.png"
