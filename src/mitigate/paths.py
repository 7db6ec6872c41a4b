"""Where stages read and write; dvc.yaml lists the same paths."""
DATASET = "data/dataset"
BIASED_MODEL = "data/biased/model.pt"
SPLIT_TABLE = "data/split/train.csv"
TRAINED_DIR = "data/trained"
CURVES_DIR = "metrics/curves"
SYNTH_METRICS = "metrics/synthesize.json"
SAMPLES_PNG = "metrics/samples.png"
SPLIT_METRICS = "metrics/split.json"
EVAL_METRICS_DIR = "metrics/evaluate"
EVAL_CELLS_DIR = "metrics/cells"
EVAL_TABLE = "metrics/evaluate.md"


def trained_model(method: str) -> str:
    return f"{TRAINED_DIR}/{method}.pt"
