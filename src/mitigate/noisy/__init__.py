"""The noisy-label track's parts: label noise and transition matrices, clean / noisy detection,
loss mixtures, the memorization figure."""
