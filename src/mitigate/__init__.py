"""mitigate: training classifiers that stay accurate under dataset bias and noisy labels."""
