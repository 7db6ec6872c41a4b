"""Scoring training samples as bias-aligned or bias-conflicting with the biased model, and
reading the stored assignment (the split stage's table) back."""
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..core.errors import InputError


def conflict_score(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """BiaSwap (Kim et al. 2021): |1[argmax f_B(x) = y] - max softmax f_B(x)|. Near 0 when the
    biased model is confidently right (aligned), near 1 when confidently wrong (conflicting)."""
    probs = F.softmax(logits, dim=1)
    confidence, predicted = probs.max(dim=1)
    return ((predicted == y).float() - confidence).abs()


def threshold_value(scores: torch.Tensor, threshold) -> float:
    """`threshold` is "mean" (BiaSwap: the mean score over the training set), "otsu" (see
    `otsu_threshold`) or a number. Samples scoring above it are taken as bias-conflicting."""
    if threshold == "mean":
        return scores.mean().item()
    if threshold == "otsu":
        return otsu_threshold(scores)
    return float(threshold)


def otsu_threshold(scores: torch.Tensor) -> float:
    """Otsu (1979, eq. 18): the cut maximising the between-class variance w0 w1 (mu0 - mu1)^2 of
    the scores below and above it, returned as the largest score below the cut. Unlike BiaSwap's
    mean, it does not move with the share of conflicting samples: at 1 % conflicting the mean is
    about 0.01 x their scores, inside the tail of the aligned scores (docs/results.md)."""
    values = scores.double().sort().values
    if values[0] == values[-1]:  # one value: nothing scores above it
        return values[0].item()
    counts = torch.arange(1, len(values), dtype=torch.float64)
    low_sums = values.cumsum(0)[:-1]
    low_mean, high_mean = low_sums / counts, (values.sum() - low_sums) / (len(values) - counts)
    between = counts * (len(values) - counts) * (low_mean - high_mean) ** 2
    between[values[:-1] == values[1:]] = -1  # cut only between distinct scores
    return values[between.argmax()].item()


def read_conflicting(path: str, num_samples: int) -> np.ndarray:
    """The `conflicting` column of the split stage's table at `path`, one flag per training sample."""
    try:
        conflicting = pd.read_csv(path)["conflicting"].to_numpy(dtype=bool)
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as error:
        raise InputError(f"{path} is missing or corrupt ({type(error).__name__}); regenerate it with `dvc repro split`") from None
    if len(conflicting) != num_samples:
        raise InputError(f"{path} does not match the training split; regenerate it with `dvc repro split`")
    return conflicting
