"""BiaSwap scoring of training samples and the accuracy / precision metrics."""
import json
import math

import numpy as np
import pytest
import torch

from mitigate.biaswap.split import conflict_score, otsu_threshold, threshold_value
from mitigate.evaluation.metrics import bias_accuracies, cell_accuracy, precision_recall_f1

# --- conflict_score -------------------------------------------------------------------------

def test_conflict_score_confident_right_is_near_zero_and_confident_wrong_near_one():
    logits = torch.tensor([[20.0, 0.0, 0.0], [20.0, 0.0, 0.0]])
    scores = conflict_score(logits, torch.tensor([0, 1]))
    assert scores[0].item() < 1e-6
    assert scores[1].item() > 1 - 1e-6


def test_conflict_score_exact_values():
    # softmax of (ln 3, 0) is (3/4, 1/4)
    logits = torch.tensor([[math.log(3), 0.0]] * 2)
    scores = conflict_score(logits, torch.tensor([0, 1]))
    assert scores.tolist() == pytest.approx([1 - 0.75, 0.75], abs=1e-6)  # |1 - 3/4| and |0 - 3/4|
    # three classes, uniform: max softmax 1/3; argmax picks class 0
    scores = conflict_score(torch.zeros(2, 3), torch.tensor([0, 2]))
    assert scores.tolist() == pytest.approx([2 / 3, 1 / 3], abs=1e-6)


def test_conflict_score_in_unit_range_and_shape():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 10, generator=g) * 5
    y = torch.randint(0, 10, (50,), generator=g)
    scores = conflict_score(logits, y)
    assert scores.shape == (50,)
    assert ((scores >= 0) & (scores <= 1)).all()


# --- threshold_value ------------------------------------------------------------------------

def test_threshold_value_mean_and_number():
    scores = torch.tensor([0.1, 0.2, 0.6])
    assert threshold_value(scores, "mean") == pytest.approx(0.3)
    assert isinstance(threshold_value(scores, "mean"), float)
    assert threshold_value(scores, 0.5) == 0.5
    assert threshold_value(scores, 1) == 1.0 and isinstance(threshold_value(scores, 1), float)
    assert threshold_value(scores, 0) == 0.0


def test_otsu_threshold_by_hand():
    # cuts of (0, 0, 1, 3): after 0: 2*2*(0 - 2)^2 = 16; after 1: 3*1*(1/3 - 3)^2 = 21.3 (the max)
    assert otsu_threshold(torch.tensor([0.0, 1.0, 0.0, 3.0])) == 1.0
    assert threshold_value(torch.tensor([0.0, 1.0, 0.0, 3.0]), "otsu") == 1.0
    assert otsu_threshold(torch.tensor([0.5, 0.5])) == 0.5  # one value: nothing above it


def test_otsu_keeps_a_one_percent_minority_apart_where_the_mean_does_not():
    # 990 aligned scores with a tail (as a biased model gives them) and 10 conflicting near 1
    g = torch.Generator().manual_seed(0)
    aligned = torch.rand(990, generator=g).pow(8) * 0.05
    conflicting = 0.9 + 0.1 * torch.rand(10, generator=g)
    scores = torch.cat([aligned, conflicting])
    truth = torch.arange(1000) >= 990
    assert ((scores > threshold_value(scores, "otsu")) == truth).all()
    assert (scores > threshold_value(scores, "mean")).sum() > 20  # the mean sits inside the aligned tail


# --- precision_recall_f1 --------------------------------------------------------------------

def test_precision_recall_f1_by_hand():
    result = precision_recall_f1(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1]))
    # tp = 2, predicted 3, true 3
    assert result == {"precision": 0.666667, "recall": 0.666667, "f1": 0.666667}
    result = precision_recall_f1(np.array([True, True, True, True]), np.array([True, False, False, False]))
    # p = 1/4, r = 1, f1 = 2 * 0.25 / 1.25 = 0.4
    assert result == {"precision": 0.25, "recall": 1.0, "f1": 0.4}


@pytest.mark.parametrize("predicted,truth,expected", [
    ([0, 0, 0], [1, 0, 1], {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # nothing predicted
    ([1, 0, 1], [0, 0, 0], {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # nothing true
    ([0, 0, 0], [0, 0, 0], {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # neither
    ([1, 0, 0], [0, 1, 0], {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # no overlap
    ([1, 0, 1], [1, 0, 1], {"precision": 1.0, "recall": 1.0, "f1": 1.0}),
])
def test_precision_recall_f1_undefined_cases_are_zero(predicted, truth, expected):
    result = precision_recall_f1(np.array(predicted), np.array(truth))
    assert result == expected
    assert all(type(v) is float for v in result.values())


# --- bias_accuracies / cell_accuracy --------------------------------------------------------

# 2 classes x 2 bias values; aligned = (y == bias)
Y = np.array([0, 0, 0, 1, 1, 1, 0])
BIAS = np.array([0, 0, 1, 1, 1, 0, 1])
CORRECT = np.array([1, 1, 0, 1, 0, 1, 0], dtype=bool)
# cells: (0,0): samples 0,1 -> 2/2; (0,1): 2,6 -> 0/2; (1,1): 3,4 -> 1/2; (1,0): 5 -> 1/1


def test_cell_accuracy_by_hand():
    accuracy, counts = cell_accuracy(CORRECT, Y, BIAS, 2, 2)
    np.testing.assert_array_equal(counts, [[2, 2], [1, 2]])
    np.testing.assert_allclose(accuracy, [[1.0, 0.0], [1.0, 0.5]])


def test_cell_accuracy_empty_cells_are_nan():
    accuracy, counts = cell_accuracy(CORRECT, Y, BIAS, 3, 3)
    assert counts.shape == accuracy.shape == (3, 3)
    assert counts[2].sum() == 0 and counts[:, 2].sum() == 0
    assert np.isnan(accuracy[2]).all() and np.isnan(accuracy[:, 2]).all()
    np.testing.assert_allclose(accuracy[:2, :2], [[1.0, 0.0], [1.0, 0.5]])


def test_bias_accuracies_by_hand():
    result = bias_accuracies(CORRECT, Y, BIAS, 2, 2)
    assert result == {
        "unbiased": 0.571429,  # 4 / 7
        "aligned": 0.75,  # samples 0, 1, 3, 4 -> 3 / 4
        "conflicting": 0.333333,  # samples 2, 5, 6 -> 1 / 3
        "worst_group": 0.0,  # cell (0, 1)
    }
    json.dumps(result)  # plain floats


def test_worst_group_ignores_empty_cells():
    correct = np.array([1, 1, 1, 0, 1, 1, 1], dtype=bool)  # cells (0,0) 1, (0,1) 1, (1,1) 1/2, (1,0) 1
    result = bias_accuracies(correct, Y, BIAS, 3, 4)  # 8 of the 12 cells are empty
    assert result["worst_group"] == 0.5


def test_bias_accuracies_omit_empty_subsets():
    y = np.array([0, 1, 1])
    all_aligned = bias_accuracies(np.array([1, 0, 1], dtype=bool), y, y.copy(), 2, 2)
    assert set(all_aligned) == {"unbiased", "aligned", "worst_group"}
    assert all_aligned["aligned"] == all_aligned["unbiased"] == 0.666667
    assert all_aligned["worst_group"] == 0.5
    all_conflicting = bias_accuracies(np.array([1, 0, 1], dtype=bool), y, 1 - y, 2, 2)
    assert set(all_conflicting) == {"unbiased", "conflicting", "worst_group"}
    assert all_conflicting["conflicting"] == 0.666667
