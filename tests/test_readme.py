"""The README's numbers are the committed pipeline's: its results table is the evaluate stage's output."""
import pytest

from imports import ROOT


@pytest.mark.parametrize("table", ["metrics/evaluate.md", "noisy/metrics/evaluate.md"])
def test_the_readme_results_tables_are_the_committed_evaluate_tables(table):
    assert (ROOT / table).read_text().strip() in (ROOT / "README.md").read_text(), f"README's copy of {table} differs: paste the file"


@pytest.mark.parametrize("report", ["full_size_colored_fashion_mnist_cpu.md", "swapae_steps_colored_fashion_mnist_cpu.md",
                                    "queue_bias_grid.md", "run_cache_revisit.md"])
def test_the_readme_quotes_the_committed_benchmark_reports_whole(report):
    body = (ROOT / "benchmarks/results" / report).read_text().split("\n", 2)[2].strip()  # without the title line
    assert body in (ROOT / "README.md").read_text(), f"README's copy of benchmarks/results/{report} differs: paste the file's body"


@pytest.mark.parametrize("report", ["reports/bias.md", "reports/noisy.md"])
def test_the_readme_results_of_the_grids_are_the_committed_reports(report):
    assert (ROOT / report).read_text().strip() in (ROOT / "README.md").read_text(), f"README's copy of {report} differs: paste it"
