"""Imported first by every stage script and benchmark: the `compute` section of params.yaml pins
the process's threads and CPU kernels before torch or numpy loads (see `mitigate.compute`)."""
from .cli import run_stage
from .compute import parse_compute, start
from .config import Params

run_stage(lambda: start(parse_compute(Params.load().get("compute"))))
