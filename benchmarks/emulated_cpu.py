"""Would an AMD or an older Intel CPU write the same bytes? Stages of a tiny run, on this CPU and
on CPUs that QEMU emulates.

QEMU's user-mode emulator (`qemu-x86_64 -cpu MODEL`, Debian's package qemu-user) runs this
machine's Python and libraries on an emulated CPU whose CPUID names that model's vendor, family and
instruction sets, so MKL, oneDNN, ATen and numpy pick the kernels they would pick there: on
EPYC-Milan MKL sees an AMD Zen 3 (AVX2, no AVX-512) and takes its AMD branches. The emulated
arithmetic is IEEE's, so one run per CPU model checks, on one machine, what `cpu_kernels: portable`
promises: the same bytes whichever kernels the CPU offers. What it cannot show: instructions whose
results are the CPU's own approximations (rcpps, rsqrtps: QEMU computes them exactly), and cache
sizes other than the model's table.

Another architecture: `--cpus neoverse-n1` runs the stage on an emulated 64-bit Arm CPU, with the
aarch64 builds of the same packages (`bash benchmarks/arm_python.sh DIR`, then `--arm-python
DIR/python`). No pin gives x86's bytes there; what differs comes with `dvc metrics diff`, to say
how far apart the numbers are.

    python benchmarks/emulated_cpu.py --out benchmarks/results/emulated_cpu_<this cpu>.md

The project at HEAD runs in a temporary git repository on the tiny params of the end-to-end test
(tests/tiny_project.py; one epoch of the biased CNN), both tracks, on this CPU; then each chosen stage reruns alone
(`dvc repro -f -s`) with `python` on PATH running under the emulator, and its outputs' hashes in
dvc.lock are compared with this CPU's. Emulation is slow: on 2 cores, beside other jobs, 11-23
minutes per MLP stage on an emulated x86 CPU, 3-5 on the Arm one, longer for convolutional ones;
the table is rewritten after each stage.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from compute import cpu_model
from cross_cpu import outputs
from tables import publish

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from tiny_project import TINY, TINY_NOISY, commit, make_repo, run  # noqa: E402  the end-to-end tests' tiny project

CPUS = ["EPYC-Milan", "Haswell-v4"]  # an AMD Zen 3 and an Intel AVX2 CPU without AVX-512
ARM_CPUS = ["neoverse-n1"]  # AWS Graviton 2's core: another architecture, other library builds
# one stage per kind of kernel, the cheapest first: an MLP with GCE's pow (LfF), DivideMix's loss
# mixture (numpy, scikit-learn), DFA's swapped features, the swapping autoencoder and CAM, the
# biased CNN (oneDNN convolutions: the slowest to emulate)
STAGES = ["train@lff", "noisy/dvc.yaml:train@dividemix", "train@dfa", "train_swapae@cam", "train_biased"]
THREADS = 2  # the committed dvc.lock's


def lock_outputs(repo: Path, stage: str) -> dict[str, str]:
    """Output path -> hash of `stage` (`noisy/dvc.yaml:train@gce` reads noisy/dvc.lock) in the workspace's lock."""
    pipeline, _, name = stage.rpartition(":")
    lock = repo / Path(pipeline or "dvc.yaml").with_name("dvc.lock")
    return outputs(yaml.safe_load(lock.read_text()), name)


def emulating(model: str, folder: Path, arm_python: Path | None) -> dict[str, str]:
    """The environment whose `python` runs this interpreter under QEMU emulating `model`, or, for
    an Arm model, the aarch64 build of it that benchmarks/arm_python.sh made."""
    if model in ARM_CPUS:
        if arm_python is None:
            raise SystemExit(f"error: {model} is an Arm CPU: build its Python with `bash benchmarks/arm_python.sh DIR`, "
                             "then pass --arm-python DIR/python")
        command = f'"{arm_python}"'
    else:
        command = f'qemu-x86_64 -cpu {model} "{sys.executable}"'
    (folder / "python").write_text(f'#!/bin/sh\nexec {command} "$@"\n')
    (folder / "python").chmod(0o755)
    return dict(os.environ, PATH=f"{folder}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def rerun_emulated(repo: Path, stage: str, model: str, folder: Path, arm_python: Path | None) -> str | None:
    """None when `stage` rerun on the emulated `model` writes this CPU's bytes, else the outputs
    that differ and how far DVC's `dvc metrics diff` finds the metrics moved; the workspace is back
    to this CPU's outputs afterwards."""
    native = lock_outputs(repo, stage)
    env = emulating(model, folder, arm_python) | {"PYTHONPATH": str(repo / "src")}
    if model in ARM_CPUS:  # the wrapper must reach an aarch64 interpreter, not this one
        machine = run(repo, str(folder / "python"), "-c", "import platform; print(platform.machine())").stdout.strip()
        if machine != "aarch64":
            raise SystemExit(f"error: {arm_python} runs on {machine!r}, not aarch64; rebuild it with benchmarks/arm_python.sh")
    started = time.perf_counter()
    subprocess.run(["dvc", "repro", "-f", "-s", stage], cwd=repo, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    emulated = lock_outputs(repo, stage)
    differing = sorted(path for path in native if emulated.get(path) != native[path])
    print(f"{stage} on {model}: {'differs: ' + ', '.join(differing) if differing else 'same'} ({seconds:.0f} s)", flush=True)
    details = None
    if differing:
        moved = json.loads(run(repo, "dvc", "metrics", "diff", "--json").stdout)
        table = run(repo, "dvc", "metrics", "diff", "--md", "--precision", "8").stdout.strip()
        details = f"Other bytes in {', '.join(differing)}. " + (f"The metrics that moved:\n\n{table}" if moved else "No metric moved.")
    run(repo, "git", "checkout", "--", ".")  # the locks and the outputs kept in git (metrics files: `cache: false`)
    run(repo, "dvc", "checkout", "--force")
    return details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpus", nargs="+", default=CPUS, help="QEMU CPU models (qemu-x86_64 -cpu help)")
    parser.add_argument("--stages", nargs="+", default=STAGES, help="stage names as `dvc stage list` prints them")
    parser.add_argument("--arm-python", type=Path, help="for neoverse-n1: DIR/python of `bash benchmarks/arm_python.sh DIR`")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if shutil.which("qemu-x86_64") is None:
        raise SystemExit("error: qemu-x86_64 not found; install QEMU's user-mode emulator (Debian: apt-get install qemu-user)")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    threads = {("compute", "threads"): THREADS}
    one_biased_epoch = {("biased", "epochs"): 1}
    with tempfile.TemporaryDirectory() as scratch:
        repo = make_repo(Path(scratch) / "project", TINY | threads | one_biased_epoch, TINY_NOISY | threads)
        wrappers = Path(scratch) / "bin"
        run(repo, "dvc", "repro", "noisy/dvc.yaml")
        commit(repo, "tiny run, noisy track")
        wrappers.mkdir()
        results = {}
        for stage in args.stages:  # the table is rewritten after each stage: a slow run stopped early keeps its rows
            for model in args.cpus:
                results[stage, model] = rerun_emulated(repo, stage, model, wrappers, args.arm_python)
            publish(report(results, args.stages, args.cpus, head), args.out)


def report(results: dict, stages: list[str], cpus: list[str], head: str) -> str:
    lines = [f"Host CPU: {cpu_model()} ({os.cpu_count()} CPUs); {THREADS} threads, portable kernels; the project at {head} on the "
             "end-to-end test's tiny params (one epoch of the biased CNN); each stage rerun alone under `qemu-x86_64 -cpu MODEL` "
             "(an x86 model) or `qemu-aarch64 -cpu MODEL` with the aarch64 builds of the same packages (an Arm model, "
             f"benchmarks/arm_python.sh); made by `python benchmarks/emulated_cpu.py {' '.join(sys.argv[1:])}`", "",
             "| stage | " + " | ".join(cpus) + " |", "|---|" + "---|" * len(cpus)]

    def cell(stage, model):
        if (stage, model) not in results:
            return "not run yet"
        return "same" if results[stage, model] is None else "differs"

    for stage in stages:
        lines.append(f"| {stage} | " + " | ".join(cell(stage, m) for m in cpus) + " |")
    for (stage, model), details in results.items():
        if details is not None:
            lines += ["", f"{stage} on {model}, against this CPU (`dvc metrics diff --md --precision 8`, HEAD = this CPU):", "", details]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
