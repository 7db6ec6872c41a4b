"""The optimizer every network here trains with."""
from collections.abc import Iterable

import torch


def adam(params: Iterable[torch.nn.Parameter], **options) -> torch.optim.Adam:
    """torch.optim.Adam with its fused kernel: the same update (torch.optim.Adam's docs), computed
    by ATen's own loop, whose square root is the CPU's exactly rounded one. The unfused Adam takes
    its square root from MKL's vector math, whose bytes follow the CPU (an AVX-512 Intel Xeon and an
    AVX2 CPU differ from the first step, even with MKL_CBWR=COMPATIBLE): the Adam rows of
    benchmarks/results/kernel_fingerprint_intel_xeon.md."""
    return torch.optim.Adam(params, fused=True, **options)
