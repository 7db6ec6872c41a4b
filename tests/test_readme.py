"""The README's numbers are the committed pipeline's: its results table is the evaluate stage's output."""
from imports import ROOT


def test_the_readme_results_table_is_the_committed_evaluate_table():
    table = (ROOT / "metrics/evaluate.md").read_text()
    assert table.strip() in (ROOT / "README.md").read_text(), "README's results table differs from metrics/evaluate.md: paste the file"
