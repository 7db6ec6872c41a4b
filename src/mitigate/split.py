"""Scoring training samples as bias-aligned or bias-conflicting with the biased model."""
import torch
import torch.nn.functional as F


def conflict_score(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """BiaSwap (Kim et al. 2021): |1[argmax f_B(x) = y] - max softmax f_B(x)|. Near 0 when the
    biased model is confidently right (aligned), near 1 when confidently wrong (conflicting)."""
    probs = F.softmax(logits, dim=1)
    confidence, predicted = probs.max(dim=1)
    return ((predicted == y).float() - confidence).abs()


def threshold_value(scores: torch.Tensor, threshold) -> float:
    """`threshold` is "mean" (BiaSwap: the mean score over the training set) or a number."""
    return scores.mean().item() if threshold == "mean" else float(threshold)
