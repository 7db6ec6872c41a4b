"""The test process computes as a stage does: CPU kernels pinned and threads set before torch loads.
The DVC it runs sends no usage report (its daemon would only leave the report in /tmp: docs/experiments.md).
`make test` runs the test files side by side (pytest-xdist's `-n auto`), each worker on its share
of the CPUs."""
import os

import pytest
from imports import worker_cpus

from mitigate.core.compute import Compute, available_cpus, start

# test_pipeline.py (one repository, its tests in order) takes about half the suite's serial time:
# more workers would not end sooner, so a larger machine gives each worker more threads instead
MAX_WORKERS = 2


@pytest.hookimpl(optionalhook=True)  # plain `pytest`, or one without pytest-xdist, runs serially
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: the CPUs this process may use (its affinity mask, as `compute.threads: auto`)."""
    return min(available_cpus(), MAX_WORKERS)


def pytest_collection_modifyitems(items):
    """The end-to-end files first: with `--dist loadfile` a worker takes a whole file at a time, in
    this order, so the longest start at once and the short ones fill in beside them."""
    items.sort(key=lambda item: not item.path.name.startswith("test_pipeline"))


os.environ["DVC_NO_ANALYTICS"] = "1"
start(Compute(threads=worker_cpus(), cpu_kernels="portable"))
