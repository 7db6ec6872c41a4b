"""Imported first by every stage script and benchmark: the `compute` section of params.yaml pins
the process's threads and CPU kernels before torch or numpy loads (see `mitigate.core.compute`)."""
from .core.compute import parse_compute, start
from .core.config import Params
from .core.stage import run_stage

run_stage(lambda: start(parse_compute(Params.load().get("compute"))))
