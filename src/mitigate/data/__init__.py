"""Datasets: raw sources, biased synthetic datasets, and the on-disk format stages share."""
