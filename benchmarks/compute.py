"""Threads and CPU kernels: seconds of two stages on an idle machine and beside a busy neighbour.

Times `train@lff` and `train_swapae@cam` on the embedded default (epochs cut, see the flags)
as processes, the way DVC runs them:
- before: the stage scripts of an earlier commit (`--before REV`), with torch's defaults
  (one thread per core, spinning OpenMP threads, each library's kernels for this CPU);
- after: this commit's `compute` settings: `portable` kernels with 1 and 2 threads and
  `native` kernels with 2 threads (the cost of pinning the kernels is portable vs native).
"Busy" runs a neighbour beside the timed stage: `train@vanilla` of the same code and settings,
restarted in a loop in its own copy of the project (two stages of one `dvc repro` or two queue
workers). Each configuration runs in a scratch copy holding the stage's inputs, so the project's
own outputs are not touched. Needs the pipeline's outputs: run `dvc repro` first.

    python benchmarks/compute.py --before 9edfe6d
    python benchmarks/compute.py --waiting --out benchmarks/results/waiting.md   # how idle threads wait

--waiting compares how idle OpenMP threads wait (portable kernels, 2 threads): sleeping at once
(OMP_WAIT_POLICY=PASSIVE), spinning GOMP_SPINCOUNT iterations first (libgomp, torch's OpenMP),
libgomp's default (300,000) and spinning (ACTIVE). Waiting changes speed, never the bytes.
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from tables import publish

from mitigate.core.compute import PORTABLE_ENVIRONMENT, THREAD_VARIABLES, WAITING

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ["data/dataset", "data/biased", "data/judges"]  # what train@lff and train_swapae@cam read
STAGES = {"train@lff": ["stages/train.py", "lff"], "train_swapae@cam": ["stages/train_swapae.py", "cam"]}
NEIGHBOUR = ["stages/train.py", "vanilla"]
AFTER = [("portable", 1), ("portable", 2), ("native", 2)]
WAITS = {"OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
         "GOMP_SPINCOUNT=10000": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "10000"},
         "GOMP_SPINCOUNT=100000": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "100000"},
         "libgomp default": {"OMP_WAIT_POLICY": ""},
         "OMP_WAIT_POLICY=ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"}}


def describe_cpu(lscpu_output: str) -> str:
    """lscpu's model name with its family and model numbers: one name covers several CPU models
    (sessions here have reported "Intel(R) Xeon(R) Processor" as family 6, model 207 and model 167)."""
    fields = dict((key.strip(), value.strip()) for key, value in
                  (line.split(":", 1) for line in lscpu_output.splitlines() if ":" in line))
    name = fields.get("Model name") or platform.processor()
    numbers = ", ".join(f"{label} {fields[key]}" for key, label in (("CPU family", "family"), ("Model", "model")) if key in fields)
    return f"{name} ({numbers})" if numbers else name


def cpu_model() -> str:
    return describe_cpu(subprocess.run(["lscpu"], capture_output=True, text=True).stdout)


def clean_environment(src: Path, waiting: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any thread, kernel or waiting variable, importing
    `src`'s package, with `waiting` added (an empty OMP_WAIT_POLICY, which pin keeps, is
    libgomp's default)."""
    pinned = {*THREAD_VARIABLES, *WAITING, *PORTABLE_ENVIRONMENT, "GOMP_SPINCOUNT"}
    env = {k: v for k, v in os.environ.items() if k not in pinned}
    return env | {"PYTHONPATH": str(src)} | (waiting or {})


def scratch_copy(where: Path, code_rev: str | None, changes: dict) -> Path:
    """The stage code (this tree's, or `code_rev`'s), its inputs and params.yaml with `changes`."""
    where.mkdir(parents=True)
    if code_rev is None:
        for name in ("stages", "src", "params.yaml"):
            source = ROOT / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, where / name)
    else:
        archive = subprocess.run(["git", "archive", code_rev, "stages", "src", "params.yaml"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    for name in INPUTS:
        shutil.copytree(ROOT / name, where / name)
    params = yaml.safe_load((where / "params.yaml").read_text())
    for (section, key), value in changes.items():
        params.setdefault(section, {})[key] = value
    (where / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return where


def run_stage(copy: Path, command: list[str], waiting: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *command], cwd=copy, env=clean_environment(copy / "src", waiting), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


class Neighbour:
    """`train@vanilla` restarted in a loop in its own copy until the block ends."""

    def __init__(self, copy: Path, waiting: dict[str, str] | None = None):
        self.copy, self.waiting, self.stop, self.process = copy, waiting, threading.Event(), None
        self.thread = threading.Thread(target=self.loop)

    def loop(self):
        while not self.stop.is_set():
            environment = clean_environment(self.copy / "src", self.waiting)
            self.process = subprocess.Popen([sys.executable, *NEIGHBOUR], cwd=self.copy, env=environment,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.process.wait()

    def __enter__(self):
        self.thread.start()
        time.sleep(8)  # past its imports, into training
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.process.kill()
        self.thread.join()


def measure(tmp: Path, label: str, code_rev: str | None, changes: dict,
            waiting: dict[str, str] | None = None) -> dict[str, tuple[float, float]]:
    """{stage: (idle seconds, busy seconds)} for one configuration (the neighbour waits the same way)."""
    timed = scratch_copy(tmp / f"{label}-timed", code_rev, changes)
    beside = scratch_copy(tmp / f"{label}-neighbour", code_rev, changes)
    seconds = {}
    for stage, command in STAGES.items():
        idle = run_stage(timed, command, waiting)
        with Neighbour(beside, waiting):
            busy = run_stage(timed, command, waiting)
        seconds[stage] = (idle, busy)
        print(f"{label} {stage}: idle {idle:.1f} s, busy {busy:.1f} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="commit whose stage scripts run with torch's defaults (one that reads swapae.steps)")
    parser.add_argument("--train-epochs", type=int, default=20, help="train.epochs (params.yaml: 100)")
    parser.add_argument("--swapae-steps", type=int, default=57, help="swapae.steps (params.yaml: 1140; 57 = one pass)")
    parser.add_argument("--waiting", action="store_true", help="compare how idle threads wait instead")
    parser.add_argument("--out", default="benchmarks/results/compute.md")
    args = parser.parse_args()
    epochs = {("train", "epochs"): args.train_epochs, ("swapae", "steps"): args.swapae_steps}
    missing = [name for name in INPUTS if not (ROOT / name).exists()]
    if missing:
        sys.exit(f"error: {', '.join(missing)} missing; run `dvc repro` first")
    configurations = [(f"before ({args.before})", "torch defaults", args.before, {}, None)] if args.before else []
    if args.waiting:
        portable = {("compute", "threads"): 2, ("compute", "cpu_kernels"): "portable"}
        configurations += [(f"portable, {label}", "2", None, portable, waiting) for label, waiting in WAITS.items()]
    else:
        configurations += [(f"after, {kernels}", str(threads), None, {("compute", "threads"): threads, ("compute", "cpu_kernels"): kernels},
                            None) for kernels, threads in AFTER]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (label, threads, code_rev, changes, waiting) in enumerate(configurations):
            seconds = measure(Path(tmp) / str(index), label.split(",")[-1].strip(), code_rev, epochs | changes, waiting)
            rows += [(stage, label, threads, idle, busy) for stage, (idle, busy) in seconds.items()]
    lines = [f"CPU: {cpu_model()} ({os.cpu_count()} CPUs); train.epochs {args.train_epochs}, swapae.steps {args.swapae_steps}, "
             "seconds of the whole stage process", "",
             "| stage | code | threads | idle (s) | beside a busy neighbour (s) | busy / idle |", "|---|---|---|---|---|---|"]
    lines += [f"| {stage} | {label} | {threads} | {idle:.1f} | {busy:.1f} | {busy / idle:.1f}x |"
              for stage, label, threads, idle, busy in sorted(rows, key=lambda row: row[0])]
    publish("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
