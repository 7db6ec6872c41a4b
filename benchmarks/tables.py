"""What the benchmark scripts share: mean +- std over seeds, the "beyond the spread" verdict,
a duration in minutes, and printing a report and writing it to a file."""
import statistics
from pathlib import Path


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def fmt(values: list[float]) -> str:
    mean, std = mean_std(values)
    return f"{100 * mean:.2f} ± {100 * std:.2f}"


def verdict(ours: list[float], base: list[float]) -> str:
    """'yes' only when the mean - std of `ours` is above the mean + std of `base`."""
    (m1, s1), (m0, s0) = mean_std(ours), mean_std(base)
    if m1 - s1 > m0 + s0:
        return "yes"
    return "no (within spread)" if m1 > m0 else "no"


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s"


def publish(report: str, out: str) -> None:
    print(report)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(report)
