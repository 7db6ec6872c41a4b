"""Per-sample losses (reduction is left to the caller)."""
import torch
import torch.nn.functional as F


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, y, reduction="none")


def gce(logits: torch.Tensor, y: torch.Tensor, q: float) -> torch.Tensor:
    """Generalized cross entropy, L_q = (1 - p_y^q) / q (Zhang & Sabuncu 2018, eq. 6)."""
    p_y = F.softmax(logits, dim=1).gather(1, y[:, None]).squeeze(1)
    return (1 - p_y.clamp_min(1e-12) ** q) / q


def gce_lff(logits: torch.Tensor, y: torch.Tensor, q: float) -> torch.Tensor:
    """GCE as the LfF code writes it: CE * p_y.detach()^q * q. Its value differs from `gce`, and
    its gradient is exactly q times that of `gce` (tests pin this)."""
    p_y = F.softmax(logits, dim=1).gather(1, y[:, None]).squeeze(1)
    return cross_entropy(logits, y) * p_y.detach() ** q * q


def mae(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute error between softmax and one-hot, sum_k |p_k - e_yk| = 2 (1 - p_y)
    (Ghosh et al. 2017: symmetric, hence robust to symmetric label noise)."""
    return 2 * (1 - F.softmax(logits, dim=1).gather(1, y[:, None]).squeeze(1))
