"""BiaSwap (Kim et al. 2021): the bias-conflicting split, CAM-guided patches, the swapping
autoencoder, the judges of its swaps, the swaps."""
