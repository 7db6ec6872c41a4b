"""The README and docs/ quote the committed outputs whole: no number in them is pasted by hand
from anything but the files a stage, a benchmark script or the experiments report wrote."""
import json
import re
import subprocess

import pytest
from imports import ROOT

README = (ROOT / "README.md").read_text()
DOCS = "\n".join(path.read_text() for path in sorted((ROOT / "docs").glob("*.md")))


def committed(path: str) -> str:
    """A stage output as committed, which the docs quote: `make run` on another CPU model rewrites
    the workspace's copy with that CPU's bytes (docs/reproducibility.md). Outside git, the file."""
    shown = subprocess.run(["git", "show", f"HEAD:{path}"], cwd=ROOT, capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else (ROOT / path).read_text()


def test_the_readme_is_a_front_page():
    assert len(README.splitlines()) <= 200


@pytest.mark.parametrize("table", ["metrics/evaluate.md", "noisy/metrics/evaluate.md"])
def test_the_readme_results_tables_are_the_committed_evaluate_tables(table):
    assert committed(table).strip() in README, f"README's copy of {table} differs: paste the file"


@pytest.mark.parametrize("report", ["full_size_colored_fashion_mnist_cpu.md", "swapae_steps_colored_fashion_mnist_cpu.md",
                                    "queue_bias_grid.md", "queue_bias_grid_intel_xeon.md", "queue_bias_ratios_intel_xeon.md",
                                    "queue_fashion_mnist_cpu_intel_xeon.md", "queue_corrupted_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_fashion_mnist_cpu_6_seeds_intel_xeon.md", "queue_fashion_mnist_cpu_6_seeds_995_intel_xeon.md",
                                    "run_cache_revisit.md", "jtt_error_set.md",
                                    "split_quality_embedded.md", "split_quality_colored_fashion_mnist_cpu.md",
                                    "full_size_colored_fashion_mnist_cpu_corrupted_mnist.md", "grid_swaps_fashion_mnist_cpu.md",
                                    "experiments_corrupted_fashion_mnist_cpu.md", "grid_swaps_corrupted_fashion_mnist_cpu.md",
                                    "grid_noisy_fashion_mnist_cpu.md", "grid_noisy_50_epochs_fashion_mnist_cpu.md",
                                    "grid_classes_noisy_50_epochs_fashion_mnist_cpu.md",
                                    "experiments_noisy_50_epochs_fashion_mnist_cpu.md",
                                    "queue_noisy_50_epochs_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_noisy_50_epochs_asymmetric_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_noisy_50_epochs_symmetric_20_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_noisy_50_epochs_asymmetric_variants_fashion_mnist_cpu_intel_xeon.md",
                                    "experiments_noisy_50_epochs_asymmetric_variants_fashion_mnist_cpu.md",
                                    "grid_classes_noisy_50_epochs_asymmetric_variants_fashion_mnist_cpu.md",
                                    "queue_noisy_embedded_intel_xeon.md",
                                    "queue_noisy_10_epochs_asymmetric_forget_rate_fashion_mnist_cpu_intel_xeon.md",
                                    "experiments_noisy_10_epochs_asymmetric_forget_rate_fashion_mnist_cpu.md",
                                    "grid_classes_noisy_10_epochs_asymmetric_forget_rate_fashion_mnist_cpu.md",
                                    "grid_swaps_biaswap_ablation_fashion_mnist_cpu.md",
                                    "queue_biaswap_ablation_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_biaswap_ablation_ceilings_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_biaswap_cycle_weight_seeds_3_4_5_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_biaswap_gan_weight_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_biaswap_gan_weight_seeds_3_4_5_fashion_mnist_cpu_intel_xeon.md",
                                    "grid_swaps_biaswap_gan_weight_fashion_mnist_cpu.md",
                                    "queue_biaswap_gan_weight_embedded_intel_xeon.md", "grid_swaps_biaswap_gan_weight_embedded.md",
                                    "queue_biaswap_gan_weight_corrupted_fashion_mnist_cpu_intel_xeon.md",
                                    "queue_biaswap_gan_weight_seeds_3_4_5_corrupted_fashion_mnist_cpu_intel_xeon.md",
                                    "grid_swaps_biaswap_gan_weight_corrupted_fashion_mnist_cpu.md",
                                    "queue_fashion_mnist_cpu_6_seeds_995_gan_weight_0_intel_xeon.md",
                                    "queue_lost_worker_intel_xeon.md",
                                    "kernel_fingerprint_intel_xeon.md", "compute_intel_xeon.md", "emulated_arm_intel_xeon.md",
                                    "emulated_cpu_intel_xeon_cnn.md", "emulated_cpu_intel_xeon_swapae.md", "speed.md", "fresh_clone.md",
                                    "pin_costs_intel_xeon.md", "cross_cpu_amd_epyc.md", "kernel_fingerprint_amd_epyc.md",
                                    "kernel_fingerprint_amd_epyc_vs_intel_xeon.md", "emulated_cpu_amd_epyc_pgd.md",
                                    "fresh_clone_amd_epyc.md", "pin_costs_amd_epyc.md"])
def test_the_docs_quote_the_committed_benchmark_reports_whole(report):
    body = (ROOT / "benchmarks/results" / report).read_text().split("\n", 2)[2].strip()  # without the title line
    assert body in DOCS, f"docs/' copy of benchmarks/results/{report} differs: paste the file's body"


@pytest.mark.parametrize(("report", "sentence"), [("speed.md", "From scratch"), ("fresh_clone.md", "In a fresh clone:")])
def test_the_readme_quotes_the_timings_of_its_two_commands(report, sentence):
    made_by, quoted = (line for line in (ROOT / "benchmarks/results" / report).read_text().splitlines()
                       if line.startswith(("Made by", sentence)))
    assert quoted in README, f"README's times differ from benchmarks/results/{report}: paste its '{sentence}' line"
    cpu = re.search(r"Intel\(R\) Xeon\(R\) Processor \((family \d+, model \d+)\), 2 ", made_by)
    assert cpu and cpu.group(1) in " ".join(README.split()), f"README's 'Intel Xeon cores (family ..., model ...' is not {report}'s"


# the grids whose first table the front page shows (the others are in docs/ only)
FRONT_PAGE = ["bias.md", "fashion_mnist_cpu.md", "noisy.md", "noisy_fashion_mnist_cpu.md"]


@pytest.mark.parametrize("report", sorted(path.name for path in (ROOT / "reports").glob("*.md")))
def test_the_grids_reports_are_in_the_docs(report):
    assert (ROOT / "reports" / report).read_text().strip() in DOCS, f"docs/' copy of reports/{report} differs: paste it"


@pytest.mark.parametrize("report", FRONT_PAGE)
def test_the_front_page_shows_the_first_table_of_the_main_grids(report):
    text = (ROOT / "reports" / report).read_text().strip()
    first_table = re.search(r"^\*\*.*?\n\n(\|.*?)\n\n", text + "\n\n", re.S | re.M).group(1)
    assert first_table in README, f"the README lacks the first table of reports/{report}"


@pytest.mark.parametrize("link", sorted(set(re.findall(r"\]\((docs/[^)#]+)", README))))
def test_the_readme_links_to_files_that_exist(link):
    assert (ROOT / link).is_file()


@pytest.mark.parametrize("doc", sorted(path.name for path in (ROOT / "docs").glob("*.md")))
def test_the_docs_links_point_inside_the_repository(doc):
    for link in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", (ROOT / "docs" / doc).read_text()):
        if not link.startswith("http"):
            assert (ROOT / "docs" / link).exists(), f"docs/{doc} links to {link}, which does not exist"


def test_the_split_numbers_in_the_docs_are_the_committed_metrics():
    split = json.loads(committed("metrics/split.json"))
    quoted = (f"{split['predicted_conflicting']} images marked bias-conflicting for {split['true_conflicting']} true ones "
              f"(precision {split['precision']:.2f}, recall {split['recall']:.2f}, F1 {split['f1']:.2f};")
    assert " ".join(quoted.split()) in " ".join((ROOT / "docs/results.md").read_text().split())


def test_the_swap_numbers_in_the_docs_are_the_committed_metrics():
    judges = json.loads(committed("metrics/judges.json"))
    swaps = json.loads(committed("metrics/swapae/cam/metrics.json"))
    augment = json.loads(committed("metrics/augment.json"))
    results = (ROOT / "docs/results.md").read_text()
    quoted = [f"{100 * judges['bias']['test']['conflicting']:g}% of the real test images",
              f"digit of {100 * judges['content']['test']['unbiased']:.1f}% ({100 * judges['content']['test']['conflicting']:.1f}%",
              f"color {100 * swaps['bias_transfer']:.1f}% of the time", f"digit {100 * swaps['content_kept']:.2f}% of the time",
              f"{swaps['content_kept_relative']:.2f} of the content judge's {100 * swaps['content_judge_on_real']:.2f}%",
              f"bias transfer is {augment['bias_transfer']:.3f}"]
    assert [text for text in quoted if " ".join(text.split()) not in " ".join(results.split())] == []


# the AMD-lock vs Intel Xeon numbers docs/reproducibility.md quotes, by the metric they come from
CROSS_CPU_QUOTES = {"LfF": "metrics/evaluate/lff.json", "BiaSwap": "metrics/evaluate/biaswap.json",
                    "DFA": "metrics/evaluate/dfa.json", "PGD": "metrics/evaluate/pgd.json",
                    "entropy, which memorizes half-wrong labels, moved most:": "noisy/metrics/evaluate/vanilla.json",
                    "(ELR": "noisy/metrics/evaluate/elr.json", "DivideMix": "noisy/metrics/evaluate/dividemix.json"}


def test_the_cross_cpu_numbers_in_the_docs_are_the_reports():
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in (ROOT / "benchmarks/results/cross_cpu_intel_xeon.md").read_text().splitlines() if line.startswith("| ")]
    unbiased = {row[0]: (row[2], row[3]) for row in rows if len(row) == 5 and row[1] == "test.unbiased"}  # dvc metrics diff's rows
    quoted = [f"{name} {unbiased[path][0]} vs {unbiased[path][1]}" for name, path in CROSS_CPU_QUOTES.items()]
    text = " ".join((ROOT / "docs/reproducibility.md").read_text().split())
    assert [quote for quote in quoted if quote not in text] == []
