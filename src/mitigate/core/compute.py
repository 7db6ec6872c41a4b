"""How a process computes on the CPU: its thread count and which kernels the libraries run.

Besides params and seed, two things decide the bytes a CPU run produces:
- the thread count: it sets how reductions are split, so 1 and 2 threads round differently;
- the CPU model: ATen, MKL, oneDNN and OpenBLAS each pick kernels for the CPU they find
  (AVX-512 or AVX2 builds, Intel or AMD code paths, blockings sized to its caches).

`cpu_kernels: portable` pins every one of them to a choice that does not depend on the CPU
model (any x86-64 CPU with AVX2); `native` lets each library pick its fastest kernels (faster,
but the numbers differ between CPU models). On other architectures (64-bit Arm: Apple silicon,
AWS Graviton) the libraries are other builds with other kernels, so no pin gives x86's bytes:
`portable` runs them as `native` does and says so. The libraries read the variables when they
load, so `pin` runs before torch or numpy is imported: `mitigate.stage_start` does it for the
stages, `tests/conftest.py` for the tests and each benchmark at its top. This module imports
neither.
"""
import os
import platform
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from .config import parse_section, settings

KERNELS = ("portable", "native")

# Each entry pins one library's kernel choice (measured in benchmarks/compute.py):
PORTABLE_ENVIRONMENT = {
    # ATen's vectorised kernels: its AVX2 build on every CPU (it picks AVX-512 on CPUs that have it).
    "ATEN_CPU_CAPABILITY": "avx2",
    # MKL's conditional numerical reproducibility: COMPATIBLE is the only branch that Intel
    # documents as giving the same results on Intel and non-Intel CPUs (on AMD, AVX2 silently
    # falls back to AUTO, which runs MKL's Zen kernels).
    "MKL_CBWR": "COMPATIBLE",
    # oneDNN (convolutions): its AVX2 JIT kernels on every CPU (it picks AVX-512 / AMX where
    # present). oneDNN promises no cross-CPU equality: benchmarks/emulated_cpu.py checks it against
    # emulated AMD and Intel AVX2 CPUs, and each session checks the committed lock on its CPU model.
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    # numpy's and scipy's OpenBLAS: one kernel set (AVX2) instead of one per CPU family.
    "OPENBLAS_CORETYPE": "Haswell",
    # numpy's own loops: its AVX2 builds (X86_V3) on every CPU; the AVX-512 ones it dispatches to
    # where present give other float64 exp and log bytes (DivideMix's loss mixture uses them).
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
# Idle OpenMP threads sleep instead of spinning: beside a busy neighbour a spinning pool made
# stages 4-9x slower (benchmarks/results/compute.md). Waiting changes speed, never the bytes, so
# a value the caller exported wins (OMP_WAIT_POLICY=ACTIVE is faster on an idle machine).
WAITING = {"OMP_WAIT_POLICY": "PASSIVE"}
# cuBLAS is deterministic only with a fixed workspace (torch.use_deterministic_algorithms's docs);
# read when CUDA starts, ignored on the CPU.
CUDA_DETERMINISM = {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}


PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class Compute:
    threads: int  # resolved: a count, never "auto"
    cpu_kernels: str  # portable | native
    precision: str = "fp32"  # fp32 | bf16: autocast of CUDA operations to bfloat16


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask where the OS keeps one (Linux, so
    taskset and cgroups count), else every CPU (macOS has no affinity mask)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _threads(value):
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return value
    raise ValueError(f"must be auto or an integer >= 1, got {value!r}")


@settings
class ComputeSettings:
    """params.yaml `compute`, as written: `threads` may be auto."""
    threads: Annotated[Any, AfterValidator(_threads)]  # a count >= 1, or auto = the CPUs this process may use
    cpu_kernels: Literal[KERNELS]
    precision: Literal[PRECISIONS]


def parse_compute(raw) -> Compute:
    """The `compute` section of params.yaml, its thread count resolved."""
    section = parse_section(ComputeSettings, raw, "compute")
    threads = available_cpus() if section.threads == "auto" else section.threads
    return Compute(threads, section.cpu_kernels, section.precision)


def pins_kernels(compute: Compute) -> bool:
    """Whether `compute` pins the CPU kernels: `portable`, on an x86-64 CPU (PORTABLE_ENVIRONMENT
    names x86 instruction sets and libraries)."""
    return compute.cpu_kernels == "portable" and platform.machine().lower() in ("x86_64", "amd64")


def environment(compute: Compute) -> dict[str, str]:
    """The variables `pin` sets for `compute`."""
    variables = {name: str(compute.threads) for name in THREAD_VARIABLES} | WAITING | CUDA_DETERMINISM
    if pins_kernels(compute):
        variables |= PORTABLE_ENVIRONMENT
    return variables


def pin(compute: Compute) -> None:
    """Set the thread and kernel variables; the libraries read them when they load, so this
    must run before torch or numpy is imported (a RuntimeError says so otherwise). A waiting
    policy the caller exported is kept."""
    loaded = [name for name in ("torch", "numpy") if name in sys.modules]
    if loaded:
        raise RuntimeError(f"mitigate.core.compute.pin must run before {' and '.join(loaded)} is imported")
    for name in PORTABLE_ENVIRONMENT:  # native: each library's own choice, whatever a parent pinned
        os.environ.pop(name, None)
    if compute.cpu_kernels == "portable" and not pins_kernels(compute):
        print(f"note: compute.cpu_kernels portable pins x86-64 kernels; this {platform.machine()} CPU runs its libraries' "
              "own, so its numbers differ from the committed dvc.lock's (docs/reproducibility.md)", file=sys.stderr)
    for name, value in environment(compute).items():
        if name in WAITING:
            os.environ.setdefault(name, value)
        else:
            os.environ[name] = value


def apply_to_torch(compute: Compute) -> None:
    """After `pin`, once torch is imported: thread pools and deterministic algorithms."""
    import torch

    torch.set_num_threads(compute.threads)
    if torch.get_num_interop_threads() != 1:  # settable once per process, before any inter-op work
        torch.set_num_interop_threads(1)  # no stage runs operators concurrently
    torch.use_deterministic_algorithms(True, warn_only=True)
    # ...which also fills every new tensor's memory with NaN before use, a debugging aid (torch
    # docs, torch.utils.deterministic): the bytes are the same without it, and the swapping
    # autoencoder's step is about 12% faster (AMD EPYC, 2 threads: 138-151 ms against 157-170 ms).
    torch.utils.deterministic.fill_uninitialized_memory = False
    torch.backends.cudnn.benchmark = False
    capability = torch.backends.cpu.get_cpu_capability()
    if pins_kernels(compute) and capability != "AVX2":
        raise RuntimeError(f"ATen runs its {capability} kernels, not the pinned AVX2 ones: torch was imported before "
                           "mitigate.core.compute.pin, or this CPU lacks AVX2 (then set compute.cpu_kernels: native)")
    if compute.precision == "bf16":
        # every CUDA operation autocast for the whole process (weights and optimizer stay fp32; CPU
        # operations are untouched). The cast cache is off: it is cleared only on leaving an
        # autocast block, and without one it would keep casts of weights that optimizer steps change
        torch.set_autocast_dtype("cuda", torch.bfloat16)
        torch.set_autocast_enabled("cuda", True)
        torch.set_autocast_cache_enabled(False)


def start(compute: Compute) -> None:
    """`pin`, import torch, `apply_to_torch`: the whole set-up of a process."""
    pin(compute)
    apply_to_torch(compute)
