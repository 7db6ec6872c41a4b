"""The test process computes as a stage does: CPU kernels pinned and threads set before torch loads."""
from mitigate.core.compute import Compute, available_cpus, start

start(Compute(threads=available_cpus(), cpu_kernels="portable"))
