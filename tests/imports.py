"""The project root, for tests that read its files, and this test process's share of the CPUs."""
import os
from pathlib import Path

from mitigate.core.compute import available_cpus

ROOT = Path(__file__).resolve().parents[1]


def worker_cpus() -> int:
    """The CPUs this process may use, split between pytest-xdist's workers (`make test` runs them
    side by side): threads that outnumber the cores slow every process."""
    return max(1, available_cpus() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
