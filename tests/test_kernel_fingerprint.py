"""benchmarks/kernel_fingerprint.py: its hashes repeat in a fresh process (what a committed
dvc.lock relies on on one CPU model) and its comparison names the operations whose bytes differ."""
import importlib
import json
import os
import subprocess
import sys

from imports import ROOT

SCRIPT = [sys.executable, "benchmarks/kernel_fingerprint.py"]
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src"))


def run(*args: str) -> str:
    result = subprocess.run([*SCRIPT, *args], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_fresh_process_gives_the_same_hashes():
    first, second = (json.loads(run("--worker", "{}").splitlines()[-1]) for _ in range(2))
    assert first == second
    assert len(first) == 21 and all(len(digest) == 12 for digest in first.values())


def test_compare_names_the_operation_and_column_that_differ(tmp_path):
    table = ("CPU: x\n\n| operation | library | portable | oneDNN off |\n|---|---|---|---|\n"
             "| mm | MKL sgemm | {mm} | aaaa |\n| conv | oneDNN conv | bbbb | cccc |\n")
    (tmp_path / "a.md").write_text(table.format(mm="1111"))
    (tmp_path / "b.md").write_text(table.format(mm="2222"))
    rows = [line for line in run("--compare", str(tmp_path / "a.md"), str(tmp_path / "b.md")).splitlines() if line.startswith("| ")]
    assert rows[1:] == ["| mm | differs | same |", "| conv | same | same |"]


def test_the_libraries_reports_keep_the_kernel_choice_and_drop_what_changes_run_to_run(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the script imports its neighbours
    fingerprint = importlib.import_module("kernel_fingerprint")
    log = "\n".join([
        "MKL_VERBOSE oneMKL 2024.0 Update 2 Product build 20240605 for Intel(R) 64 architecture Intel(R) Architecture "
        "processors, Lnx 2.30GHz lp64 gnu_thread",
        "MKL_VERBOSE SGEMM(N,N,100,16,2352,0x7ffc86a74e20,0x5615df0a5f40,100,0x5615df081300,2352,0x7ffc86a74e40,"
        "0x5615df077380,100) 7.27ms CNR:COMPATIBLE Dyn:0 FastMM:1 TID:0  NThr:2",
        "MKL_VERBOSE SGEMM(N,N,100,16,2352,0x7ffc86a74e28,0x5615df0a5f48,100,0x5615df081308,2352,0x7ffc86a74e48,"
        "0x5615df077388,100) 6.01ms CNR:COMPATIBLE Dyn:0 FastMM:1 TID:1  NThr:2",
        "onednn_verbose,v1,info,cpu,isa:Intel AVX2",
        "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:blk,undef,src:f32::blocked:abcd::f0,attr-scratchpad:user,,32x16x3x3,0.02",
        "onednn_verbose,v1,primitive,exec,cpu,convolution,jit:avx2,backward_weights,src:f32:a:blocked:aBcd8b::f0,"
        "attr-scratchpad:user,alg:convolution_direct,mb256_ic16oc32_ih14oh14kh3,1.5",
        '{"mm": "abc"}'])
    assert fingerprint.reported_kernels(log) == [
        "MKL: oneMKL 2024.0 Update 2 Product build 20240605 for Intel(R) 64 architecture Intel(R) Architecture processors, "
        "Lnx lp64 gnu_thread",
        "MKL SGEMM(N,N,100,16,2352) CNR:COMPATIBLE Dyn:0 FastMM:1 NThr:2",
        "oneDNN isa:Intel AVX2",
        "oneDNN convolution jit:avx2 backward_weights mb256_ic16oc32_ih14oh14kh3"]


def test_the_cpu_is_named_with_its_family_and_model_numbers(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    compute = importlib.import_module("compute")
    lscpu = "Vendor ID:  GenuineIntel\nModel name:   Intel(R) Xeon(R) Processor\nCPU family:  6\nModel:  167\nStepping: 1\n"
    assert compute.describe_cpu(lscpu) == "Intel(R) Xeon(R) Processor (family 6, model 167)"
    assert compute.describe_cpu("Model name: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
