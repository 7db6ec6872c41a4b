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
    """`threshold` is "mean" (BiaSwap: the mean score over the training set) or a number."""
    return scores.mean().item() if threshold == "mean" else float(threshold)


def read_conflicting(path: str, num_samples: int) -> np.ndarray:
    """The `conflicting` column of the split stage's table at `path`, one flag per training sample."""
    try:
        conflicting = pd.read_csv(path)["conflicting"].to_numpy(dtype=bool)
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as error:
        raise InputError(f"{path} is missing or corrupt ({type(error).__name__}); regenerate it with `dvc repro split`") from None
    if len(conflicting) != num_samples:
        raise InputError(f"{path} does not match the training split; regenerate it with `dvc repro split`")
    return conflicting
