"""Every trained model on the unbiased test set, its bias-aligned and bias-conflicting subsets
and the validation split: the accuracies of each and its (target, bias) accuracy matrix."""
import numpy as np

from ..data.dataset import TensorSplit
from ..models.inference import predict_logits
from .metrics import bias_accuracies, cell_accuracy
from .predictor import Predictor


def correct(model: Predictor, data: TensorSplit) -> np.ndarray:
    return (predict_logits(model, data).argmax(1) == data.y).cpu().numpy()


def evaluate_model(model: Predictor, splits: dict[str, TensorSplit], num_classes: int, num_bias: int) -> tuple[dict, list[dict]]:
    """The accuracies of `model` on each split (see `metrics.bias_accuracies`), and its test
    accuracy per (target, bias) cell that holds samples."""
    results = {}
    for split_name, data in splits.items():
        results[split_name] = bias_accuracies(correct(model, data), data.y.cpu().numpy(), data.bias.cpu().numpy(),
                                              num_classes, num_bias)
    test = splits["test"]
    accuracy, counts = cell_accuracy(correct(model, test), test.y.cpu().numpy(), test.bias.cpu().numpy(), num_classes, num_bias)
    cells = [{"target": t, "bias": b, "accuracy": round(float(accuracy[t, b]), 6), "count": int(counts[t, b])}
             for t in range(num_classes) for b in range(num_bias) if counts[t, b]]
    return results, cells
