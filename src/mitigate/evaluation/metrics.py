"""Accuracy per (target, bias) cell and its summaries; precision / recall / F1 of a split."""
import numpy as np


def cell_accuracy(correct: np.ndarray, y: np.ndarray, bias: np.ndarray, num_classes: int, num_bias: int):
    """(accuracy, count) matrices of shape num_classes x num_bias; accuracy is NaN in empty cells."""
    counts = np.zeros((num_classes, num_bias), dtype=np.int64)
    hits = np.zeros((num_classes, num_bias), dtype=np.int64)
    np.add.at(counts, (y, bias), 1)
    np.add.at(hits, (y, bias), correct.astype(np.int64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / counts, counts


def bias_accuracies(correct: np.ndarray, y: np.ndarray, bias: np.ndarray, num_classes: int, num_bias: int) -> dict:
    """unbiased: all samples (the test set is balanced over cells); aligned / conflicting: the
    samples whose bias attribute equals / differs from their label; worst_group: the lowest
    accuracy over non-empty (target, bias) cells. Subsets with no samples are left out."""
    aligned = y == bias
    result = {"unbiased": correct.mean()}
    if aligned.any():
        result["aligned"] = correct[aligned].mean()
    if (~aligned).any():
        result["conflicting"] = correct[~aligned].mean()
    cells, _ = cell_accuracy(correct, y, bias, num_classes, num_bias)
    result["worst_group"] = np.nanmin(cells)
    return {k: round(float(v), 6) for k, v in result.items()}


def precision_recall_f1(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """Of the positive class (e.g. "bias-conflicting"); 0 where a ratio is undefined."""
    predicted, truth = predicted.astype(bool), truth.astype(bool)
    tp = int((predicted & truth).sum())
    precision = tp / predicted.sum() if predicted.any() else 0.0
    recall = tp / truth.sum() if truth.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(float(precision), 6), "recall": round(float(recall), 6), "f1": round(float(f1), 6)}
