"""Which CPU kernels give other bytes on another CPU model: a fingerprint per operation.

Runs the operations the pipeline's models are made of (the MLP's and the CNN's forward and
backward passes, their GEMMs and convolutions one by one, ATen's element-wise and reduction
kernels, an Adam step, numpy's) on seeded inputs and prints a short hash of each result's bytes,
once per kernel setting (a column): the project's `portable` pinning and variants of it, each in
a fresh process since the libraries read their variables when they load. Two CPU models give the
same bytes for an operation exactly when its hashes agree, so comparing the tables of two
machines names the library that differs (MKL's sgemm, oneDNN's convolutions, ATen's own kernels,
numpy's OpenBLAS) and whether a variant removes the difference:

    python benchmarks/kernel_fingerprint.py       # writes benchmarks/results/kernel_fingerprint_<cpu>.md
    python benchmarks/kernel_fingerprint.py --emulate EPYC-Milan Haswell-v4   # + portable on CPUs QEMU emulates
    python benchmarks/kernel_fingerprint.py --compare benchmarks/results/kernel_fingerprint_{amd_epyc,intel_xeon}.md
"""
import argparse
import ctypes
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from compute import cpu_model
from tables import publish

from mitigate.core.compute import Compute, environment

ROOT = Path(__file__).resolve().parents[1]
THREADS = 2  # the committed dvc.lock's thread count
VARIANTS = {  # column -> how a worker computes: `threads`, `variables` over the portable environment,
    # torch.backends.mkldnn `onednn` on or off, MKL's own pool cut to `mkl_threads` (ATen keeps `threads`)
    "portable": {},
    "1 thread": {"threads": 1},
    "MKL 1 thread": {"mkl_threads": 1},
    "MKL_CBWR=AVX2": {"variables": {"MKL_CBWR": "AVX2"}},
    "MKL_CBWR=AUTO": {"variables": {"MKL_CBWR": "AUTO"}},
    "oneDNN off": {"onednn": False},
    "oneDNN off, MKL 1 thread": {"onednn": False, "mkl_threads": 1},
}


def operations():
    """(name, library, function returning tensors or arrays) for every fingerprinted operation."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from mitigate.models import build_model
    from mitigate.training.optimizer import adam

    def randn(*shape, seed):
        return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))

    def forward_backward(arch, batch):
        torch.manual_seed(0)
        model = build_model(arch, (3, 28, 28), 10)
        x, y = randn(batch, 3, 28, 28, seed=1), torch.arange(batch) % 10
        logits = model(x)
        F.cross_entropy(logits, y).backward()
        return [logits.detach()] + [p.grad for p in model.parameters()]

    def conv(grad_of):
        x, w = randn(256, 16, 14, 14, seed=2).requires_grad_(), randn(32, 16, 3, 3, seed=3).requires_grad_()
        out = F.conv2d(x, w, padding=1)
        if grad_of == "output":
            return [out.detach()]
        out.backward(randn(*out.shape, seed=4))
        return [x.grad if grad_of == "input" else w.grad]

    def adam_step(make_optimizer):
        weight = torch.nn.Parameter(randn(100, 2352, seed=5))
        weight.grad = randn(100, 2352, seed=6)
        optimizer = make_optimizer([weight], lr=1e-3)
        for _ in range(3):
            optimizer.step()
        return [weight.detach()]

    a, b = randn(256, 2352, seed=7), randn(2352, 100, seed=8)
    g = randn(256, 100, seed=9)
    logits, labels = randn(256, 10, seed=10), torch.arange(256) % 10
    positive = randn(4096, seed=11).abs() + 0.1
    rng = np.random.default_rng(12)
    m, n = rng.standard_normal((256, 2352)), rng.standard_normal((2352, 100))
    return [
        ("MLP forward + backward (batch 256)", "MKL sgemm, ATen", lambda: forward_backward("mlp", 256)),
        ("MLP forward + backward (batch 16)", "MKL sgemm, ATen", lambda: forward_backward("mlp", 16)),
        ("CNN forward + backward (batch 256)", "oneDNN conv, ATen", lambda: forward_backward("cnn", 256)),
        ("mm 256x2352 @ 2352x100 (layer)", "MKL sgemm", lambda: [a @ b]),
        ("mm 100x256 @ 256x2352 (weight grad)", "MKL sgemm", lambda: [g.T @ a]),
        ("mm 16x2352 @ 2352x100 (last batch)", "MKL sgemm", lambda: [a[:16] @ b]),
        ("conv2d 3x3 output", "oneDNN conv", lambda: conv("output")),
        ("conv2d 3x3 input grad", "oneDNN conv", lambda: conv("input")),
        ("conv2d 3x3 weight grad", "oneDNN conv", lambda: conv("weight")),
        ("cross_entropy + log_softmax", "ATen (its own exp, log)", lambda: [F.log_softmax(logits, 1), F.cross_entropy(logits, labels)]),
        ("exp, log, pow 0.7", "ATen via MKL vector math", lambda: [positive.exp(), positive.log(), positive.pow(0.7)]),
        ("sqrt", "ATen via MKL vector math", lambda: [positive.sqrt()]),
        ("vector norm along rows", "ATen reduction (the C library's sqrt)", lambda: [torch.linalg.vector_norm(a, dim=1)]),
        ("atan", "ATen via MKL vector math", lambda: [positive.atan()]),
        ("float64 exp, log", "ATen via MKL vector math", lambda: [positive.double().exp(), positive.double().log()]),
        ("tanh, sigmoid, erf, GELU", "ATen (activations)", lambda: [positive.tanh(), positive.sigmoid(), positive.erf(), F.gelu(positive)]),
        ("sum of 256x2352", "ATen reduction", lambda: [a.sum(), a.sum(0)]),
        ("Adam, 3 steps", "ATen element-wise, MKL vector math", lambda: adam_step(torch.optim.Adam)),
        ("fused Adam (the pipeline's), 3 steps", "ATen fused kernel", lambda: adam_step(adam)),
        ("numpy matmul float64", "numpy OpenBLAS", lambda: [m @ n]),
        ("numpy exp, log float64", "numpy SIMD", lambda: [np.exp(m), np.log(np.abs(m) + 0.1)]),
    ]


def digest(values) -> str:
    hashed = hashlib.sha256()
    for value in values:
        hashed.update(value.detach().contiguous().numpy().tobytes() if hasattr(value, "detach") else value.tobytes())
    return hashed.hexdigest()[:12]


def fingerprint_here(variant: dict) -> dict[str, str]:
    """In a process whose variables are already set for `variant`: operation name -> hash."""
    import torch

    from mitigate.core.compute import apply_to_torch

    apply_to_torch(Compute(variant.get("threads", THREADS), "portable"))
    torch.backends.mkldnn.enabled = variant.get("onednn", True)
    if "mkl_threads" in variant:  # torch.set_num_threads sets MKL's pool too: cut it afterwards (MKL is inside libtorch_cpu)
        mkl = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        mkl.MKL_Set_Dynamic(0)  # the C entry points (the lower-case ones take pointers, Fortran style)
        mkl.MKL_Set_Num_Threads_Local(variant["mkl_threads"])
    return {name: digest(run()) for name, _, run in operations()}


def fingerprint(variant: dict, verbose: bool = False) -> tuple[dict[str, str], str]:
    """The hashes of a fresh process computing as `variant` says (see VARIANTS), and its output:
    with `verbose`, MKL's and oneDNN's log of each call (see `reported_kernels`)."""
    threads = variant.get("threads", THREADS)
    env = os.environ | environment(Compute(threads, "portable")) | variant.get("variables", {})  # waiting: PASSIVE
    if verbose:
        env |= {"MKL_VERBOSE": "1", "ONEDNN_VERBOSE": "1"}
    emulator = ["qemu-x86_64", "-cpu", variant["emulate"]] if "emulate" in variant else []  # see --emulate
    result = subprocess.run([*emulator, sys.executable, __file__, "--worker", json.dumps(variant)], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1]), result.stdout


def reported_kernels(log: str) -> list[str]:
    """What MKL and oneDNN say they ran, once per distinct line, without pointers, timings and
    thread ids: MKL's build and code path, each GEMM's shape, reproducibility branch and thread
    count (MKL may split a sum between threads), oneDNN's instruction set and each convolution's
    implementation and shape."""
    kept = []
    for line in log.splitlines():
        fields = line.split(",")
        if line.startswith("MKL_VERBOSE oneMKL") or line.startswith("MKL_VERBOSE Intel"):
            kept.append("MKL: " + re.sub(r" \S+GHz", "", line.removeprefix("MKL_VERBOSE ")))
        elif call := re.match(r"MKL_VERBOSE (\w+)\(([^)]*)\) \S+ (.*)", line):
            shape = ",".join(itertools.takewhile(lambda arg: not arg.startswith("0x"), call[2].split(",")))
            kept.append(f"MKL {call[1]}({shape}) " + " ".join(re.sub(r"TID:\d+", "", call[3]).split()))
        elif fields[0] == "onednn_verbose" and fields[2:4] == ["info", "cpu"] and fields[4].startswith("isa:"):
            kept.append(f"oneDNN {fields[4]}")
        elif fields[0] == "onednn_verbose" and fields[2:4] == ["primitive", "exec"] and fields[5] != "reorder":
            kept.append(f"oneDNN {fields[5]} {fields[6]} {fields[7]} {fields[11]}")  # primitive, implementation, direction, shape
    return list(dict.fromkeys(kept))


def read_table(path: str) -> dict[str, dict[str, str]]:
    """A written fingerprint file: operation -> {column: hash}."""
    lines = [line for line in Path(path).read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header[2:], cells[2:]))
    return rows


def compare(first: str, second: str) -> str:
    """Per operation and column of two fingerprint files: `same` or `differs`."""
    ours, theirs = read_table(first), read_table(second)
    columns = [column for column in next(iter(ours.values())) if column in next(iter(theirs.values()))]
    lines = [f"Same bytes in {first} and {second}?", "",
             "| operation | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, hashes in ours.items():
        if name in theirs:
            lines.append(f"| {name} | " + " | ".join("same" if hashes[c] == theirs[name][c] else "differs" for c in columns) + " |")
    return "\n".join(lines) + "\n"


def cpu_slug() -> str:
    words = re.findall(r"[a-z0-9]+", cpu_model().lower().replace("(r)", ""))
    return "_".join(words[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="default: benchmarks/results/kernel_fingerprint_<cpu>.md")
    parser.add_argument("--compare", nargs=2, metavar="FILE", help="two written fingerprint files (two CPUs): say per operation and column "
                        "whether their bytes agree, computing nothing")
    parser.add_argument("--emulate", nargs="+", default=[], metavar="MODEL",
                        help="also the portable column on these CPU models, emulated by QEMU's qemu-x86_64 -cpu MODEL "
                        "(e.g. EPYC-Milan: an AMD Zen 3; see benchmarks/emulated_cpu.py); a few minutes each")
    parser.add_argument("--worker", type=json.loads, help=argparse.SUPPRESS)  # a variant, as JSON
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(fingerprint_here(args.worker)))
        return
    if args.compare:
        print(compare(*args.compare), end="")
        return
    variants = VARIANTS | {f"portable, emulated {model}": {"emulate": model} for model in args.emulate}
    columns = {column: fingerprint(variant)[0] for column, variant in variants.items()}
    _, log = fingerprint(VARIANTS["portable"], verbose=True)
    import torch  # after the workers: only for the versions in the header

    lines = [f"CPU: {cpu_model()} ({os.cpu_count()} CPUs), {THREADS} threads unless said; torch {torch.__version__}; "
             "hash = first 12 hex digits of the SHA-256 of the result's bytes", "",
             "| operation | library | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for name, library, _ in operations():
        lines.append(f"| {name} | {library} | " + " | ".join(columns[c][name] for c in columns) + " |")
    lines += ["", "What MKL and oneDNN report running in the portable column (MKL_VERBOSE=1, ONEDNN_VERBOSE=1; "
              "`diff` this list between two CPUs' files):", ""] + [f"- {kernel}" for kernel in reported_kernels(log)]
    report = "\n".join(lines) + "\n"
    publish(report, args.out or f"benchmarks/results/kernel_fingerprint_{cpu_slug()}.md")


if __name__ == "__main__":
    main()
