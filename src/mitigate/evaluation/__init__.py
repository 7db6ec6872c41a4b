"""Evaluating trained models: accuracies per split and (target, bias) cell, the comparison table,
saved predictors, DFA's feature embeddings."""
