"""Group-balanced sampling (Sagawa et al. 2020): batches in which every (target, bias) group
present in the training split is equally likely, whatever its size."""
import torch


def group_balanced_weights(y: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Per sample, the weight 1 / n_g of its group g = (y, bias): drawn with these weights, a
    sample of group g comes with probability 1 / (G n_g), so each of the G groups with 1 / G."""
    groups = y * (int(bias.max()) + 1) + bias
    return (1 / torch.bincount(groups).float())[groups]
