from mitigate.evaluation.report import comparison_table

RESULT = {"test": {"unbiased": 0.5, "aligned": 1.0, "conflicting": 0.4444, "worst_group": 0.0}, "valid": {"unbiased": 0.99}}


def test_table_has_one_row_per_model_and_marks_those_that_know_the_groups():
    table = comparison_table({"biased": RESULT, "vanilla": RESULT, "group_dro": RESULT}, knows_groups=("group_dro",))
    lines = table.splitlines()
    assert lines[0] == "| method | unbiased | aligned | conflicting | worst group | valid |"
    assert lines[2] == "| biased (GCE) | 50.00 | 100.00 | 44.44 | 0.00 | 99.00 |"
    assert lines[3].startswith("| vanilla |")
    assert lines[4].startswith("| group_dro (knows groups) | 50.00 |")
    assert len(lines) == 5
