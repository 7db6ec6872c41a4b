"""Threads and CPU kernels: params.yaml's `compute` reaches torch in a stage process, before torch loads."""
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from imports import ROOT

from mitigate.core.compute import PORTABLE_ENVIRONMENT, Compute, available_cpus, environment, parse_compute, pin
from mitigate.core.errors import ConfigError

# What a stage process sees after its first import (`mitigate.stage_start`), and a few seeded
# training steps of a small CNN + linear head whose weights it hashes.
STAGE_PROBE = """
import mitigate.stage_start
import hashlib, json, os, sys
import numpy
import torch
import torch.nn.functional as F
from mitigate.models.cnn import SmallCNN
from mitigate.training.optimizer import adam
torch.manual_seed(0)
net = SmallCNN((3, 28, 28), 10)
optimizer = adam(net.parameters(), lr=1e-3)
x, y = torch.rand(64, 3, 28, 28), torch.randint(0, 10, (64,))
for _ in range(3):
    optimizer.zero_grad()
    F.cross_entropy(net(x), y).backward()
    optimizer.step()
print(json.dumps({
    "torch_threads": torch.get_num_threads(),
    "interop_threads": torch.get_num_interop_threads(),
    "deterministic": [torch.are_deterministic_algorithms_enabled(), torch.utils.deterministic.fill_uninitialized_memory],
    "capability": torch.backends.cpu.get_cpu_capability(),
    "numpy_avx512_loops": numpy._core._multiarray_umath.__cpu_features__["X86_V4"],
    "cuda_autocast": [torch.is_autocast_enabled("cuda"), str(torch.get_autocast_dtype("cuda")), torch.is_autocast_cache_enabled()],
    "parallel_info": torch.__config__.parallel_info(),
    "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                           "OMP_WAIT_POLICY", "MKL_CBWR", "ATEN_CPU_CAPABILITY")},
    "weights": hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in net.parameters())).hexdigest(),
}))
"""


def run_probe(tmp_path: Path, compute: dict) -> dict:
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"compute": compute}))
    env = {k: v for k, v in os.environ.items() if k not in environment(Compute(1, "portable"))}
    result = subprocess.run([sys.executable, "-c", STAGE_PROBE], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """run_probe, once per `compute` settings in this module (a stage process takes seconds)."""
    seen = {}

    def probe(threads: int, cpu_kernels: str, precision: str = "fp32") -> dict:
        key = threads, cpu_kernels, precision
        if key not in seen:
            compute = {"threads": threads, "cpu_kernels": cpu_kernels, "precision": precision}
            seen[key] = run_probe(tmp_path_factory.mktemp("probe"), compute)
        return seen[key]
    return probe


def test_threads_reach_torch_in_a_stage_process(probe):
    seen = probe(1, "portable")
    assert seen["torch_threads"] == 1 and seen["interop_threads"] == 1
    assert seen["deterministic"] == [True, False]  # deterministic kernels, without NaN-filling new memory
    assert seen["env"] == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                           "OMP_WAIT_POLICY": "PASSIVE", "MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"}


def test_the_variables_are_set_before_torch_loads(probe):
    """torch reads these when it loads: its report shows them, and ATen runs the pinned kernels
    although this CPU may offer AVX-512."""
    seen = probe(1, "portable")
    assert "OMP_NUM_THREADS : 1" in seen["parallel_info"] and "MKL_NUM_THREADS : 1" in seen["parallel_info"]
    assert seen["capability"] == "AVX2"
    assert seen["numpy_avx512_loops"] is False  # numpy's AVX2 loops, AVX-512 or not


def test_native_kernels_leave_the_libraries_their_choice(probe):
    seen = probe(1, "native")
    assert seen["env"]["MKL_CBWR"] is None and seen["env"]["ATEN_CPU_CAPABILITY"] is None
    assert seen["env"]["OMP_WAIT_POLICY"] == "PASSIVE"


def test_bf16_autocasts_cuda_operations_and_leaves_cpu_bytes_alone(probe):
    fp32, bf16 = probe(1, "portable"), probe(1, "portable", "bf16")
    assert fp32["cuda_autocast"][0] is False
    assert bf16["cuda_autocast"] == [True, "torch.bfloat16", False]  # no cast cache: weights change in place
    assert bf16["weights"] == fp32["weights"]


@pytest.mark.parametrize("threads", [1, 2])
def test_each_thread_count_reproduces_itself(probe, tmp_path, threads):
    first = probe(threads, "portable")
    second = run_probe(tmp_path, {"threads": threads, "cpu_kernels": "portable", "precision": "fp32"})  # another process
    assert first["torch_threads"] == threads
    assert first["weights"] == second["weights"]


def test_every_stage_script_pins_before_anything_else():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        script = ROOT / shlex.split(stage.get("do", stage)["cmd"])[1]
        imports = [line for line in script.read_text().splitlines() if line.startswith(("import ", "from "))]
        assert imports[0].startswith("import mitigate.stage_start"), f"{name}: {script.name} imports {imports[0]!r} first"
        assert "compute" in stage.get("do", stage)["params"], f"{name}: params does not list compute"


def test_the_pipeline_takes_no_elementwise_square_root():
    """ATen's element-wise sqrt (and pow 0.5) runs MKL's vector math, whose last bit follows the CPU
    model even on MKL's compatible branch: it parted PGD's draws between an AMD EPYC and an Intel
    Xeon (docs/reproducibility.md); torch.cdist takes one too. Vector norms and rsqrt are ATen's own,
    exactly rounded (an emulated CPU, which computes approximations exactly, gives their bytes)."""
    square_root = re.compile(r"(?<!math)\.sqrt\(|\.pow\(0?\.5\)|\*\* ?0?\.5\b|cdist\(")  # cdist: a sqrt inside
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sorted((ROOT / "src/mitigate").rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1) if square_root.search(line.split("#")[0])]
    assert not found, f"element-wise square roots at {found}: use torch.linalg.vector_norm or rsqrt"


def test_auto_threads_are_the_cpus_this_process_may_use():
    assert parse_compute({"threads": "auto", "cpu_kernels": "native", "precision": "fp32"}) == Compute(available_cpus(), "native")
    assert parse_compute({"threads": 3, "cpu_kernels": "portable", "precision": "fp32"}) == Compute(3, "portable")


def test_auto_threads_without_an_affinity_mask_are_every_cpu(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity")  # macOS
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert available_cpus() == 8


@pytest.mark.parametrize("raw, key", [
    ({"threads": 0, "cpu_kernels": "portable", "precision": "fp32"}, "compute.threads"),
    ({"threads": "two", "cpu_kernels": "portable", "precision": "fp32"}, "compute.threads"),
    ({"threads": True, "cpu_kernels": "portable", "precision": "fp32"}, "compute.threads"),
    ({"threads": 2, "cpu_kernels": "avx512", "precision": "fp32"}, "compute.cpu_kernels"),
    ({"threads": 2, "cpu_kernels": "portable", "precision": "fp16"}, "compute.precision"),
    ({"threads": 2, "cpu_kernels": "portable"}, "compute.precision"),
    ({"threads": 2, "cpu_kernels": "portable", "precision": "fp32", "thread": 2}, "compute.thread"),
    ([2, "portable"], "compute"),
])
def test_bad_compute_settings_name_the_key(raw, key):
    with pytest.raises(ConfigError) as error:
        parse_compute(raw)
    assert error.value.key == key


def test_environment_pins_kernels_only_when_portable():
    portable, native = environment(Compute(2, "portable")), environment(Compute(2, "native"))
    assert PORTABLE_ENVIRONMENT.items() <= portable.items()
    assert not set(PORTABLE_ENVIRONMENT) & set(native)
    assert portable["OMP_NUM_THREADS"] == native["MKL_NUM_THREADS"] == "2"


def test_portable_on_an_arm_cpu_pins_nothing_and_says_so(monkeypatch, capsys):
    """PORTABLE_ENVIRONMENT names x86 instruction sets: on a 64-bit Arm CPU (Apple silicon,
    Graviton) nothing gives x86's bytes, so the libraries keep their own kernels and the stage
    says its numbers will differ from the committed lock's."""
    monkeypatch.setattr("platform.machine", lambda: "arm64")
    monkeypatch.delitem(sys.modules, "torch")  # pin checks that torch is not loaded yet
    monkeypatch.delitem(sys.modules, "numpy")
    for name in PORTABLE_ENVIRONMENT:
        monkeypatch.setenv(name, "pinned by a parent")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, os.environ[name])  # restored after the test
    assert environment(Compute(2, "portable")) == environment(Compute(2, "native"))
    pin(Compute(2, "portable"))
    assert not set(PORTABLE_ENVIRONMENT) & set(os.environ)
    assert "this arm64 CPU runs its libraries' own" in capsys.readouterr().err


def test_pinning_after_torch_loaded_is_refused():
    import torch  # noqa: F401  (loaded by the tests already; explicit here)

    with pytest.raises(RuntimeError, match="before torch"):
        pin(Compute(1, "portable"))


def test_a_test_worker_threads_on_its_share_of_the_cpus(monkeypatch):
    import imports

    monkeypatch.setattr(imports, "available_cpus", lambda: 5)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    assert imports.worker_cpus() == 5  # plain pytest: one process, every CPU
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert imports.worker_cpus() == 2
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "8")
    assert imports.worker_cpus() == 1
