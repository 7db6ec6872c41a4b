"""How long going back to params already run takes: DVC's run-cache restores each stage.

In a scratch clone of this repository that shares this repository's DVC cache (so the committed
outputs and the run-cache are there), runs an experiment with other params, then the committed
params again, and times both with the stages each ran or restored.

    python benchmarks/run_cache_revisit.py                        # -S train.lr=0.002 by default
    python benchmarks/run_cache_revisit.py -S method.lff.q=0.5
"""
import argparse
import shutil
import subprocess
import time
from pathlib import Path

import yaml
from compute import cpu_model
from queue_timing import stage_counts
from tables import publish

from mitigate.core.compute import available_cpus

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def timed(*args: str, cwd: Path) -> tuple[float, int, int]:
    """Seconds, stages run, stages restored from the run-cache."""
    start = time.monotonic()
    output = run(*args, cwd=cwd)
    return time.monotonic() - start, *stage_counts(output)


def committed_value(key: str):
    node = yaml.safe_load((ROOT / "params.yaml").read_text())
    for part in key.split("."):
        node = node[part]
    return node


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-S", dest="change", default="train.lr=0.002", help="the experiment's param change, KEY=VALUE")
    parser.add_argument("--scratch", type=Path, default=ROOT / "benchmarks/.scratch/run_cache_revisit")
    parser.add_argument("--out", default="benchmarks/results/run_cache_revisit.md")
    args = parser.parse_args()
    key = args.change.split("=", 1)[0]
    shutil.rmtree(args.scratch, ignore_errors=True)
    run("git", "clone", "-q", str(ROOT), str(args.scratch), cwd=ROOT)
    run("dvc", "cache", "dir", "--local", str(ROOT / ".dvc/cache"), cwd=args.scratch)
    run("dvc", "checkout", "dvc.yaml", cwd=args.scratch)
    rows = [("experiment `-S " + args.change + "`", *timed("dvc", "exp", "run", "-S", args.change, cwd=args.scratch)),
            ("the committed params again", *timed("dvc", "exp", "run", "-S", f"{key}={committed_value(key)}", cwd=args.scratch))]
    threads = yaml.safe_load((ROOT / "params.yaml").read_text())["compute"]["threads"]
    report = "\n".join([
        "# Revisiting params already run: DVC's run-cache",
        "",
        f"Made by `python benchmarks/run_cache_revisit.py -S {args.change}`; CPU: {cpu_model()}, "
        f"{available_cpus()} CPUs, compute.threads {threads}; a clone sharing the project's DVC cache.",
        "",
        "| run | seconds | stages run | stages restored from the run-cache |",
        "|---|---|---|---|",
        *(f"| {name} | {seconds:.1f} | {ran} | {restored} |" for name, seconds, ran, restored in rows),
        "",
    ])
    publish(report, args.out)


if __name__ == "__main__":
    main()
