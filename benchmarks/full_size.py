"""The bias track at full size: each stage of a preset's run as DVC runs it, with its seconds and
peak memory, then the accuracies it reached.

Copies the project's code, dvc.yaml and params.yaml (with the preset applied, as
`dvc exp run $(python -m mitigate.presets NAME)` applies it) into a scratch git repository and
runs `dvc repro --single-item` for each stage of the bias track in order, each under a wrapper
process that reports the peak resident memory of the stage's process tree. Resumable: each
finished stage's row is kept in the scratch copy (default benchmarks/.scratch/<preset>), so a
rerun after an interruption continues with the next stage (and the interrupted stage resumes
from its own checkpoint).

    python benchmarks/full_size.py colored_fashion_mnist_cpu
    python benchmarks/full_size.py colored_fashion_mnist_cpu -S data.dataset=corrupted_mnist
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from compute import cpu_model
from tables import publish

from mitigate.core.compute import parse_compute
from mitigate.core.config import Params
from mitigate.presets import apply_preset, load_preset

ROOT = Path(__file__).resolve().parents[1]
# data/raw/README.md: the default data.root, a dependency of synthesize
COPIED = ["src", "stages", "dvc.yaml", ".dvc/config", ".dvcignore", ".gitignore", "pyproject.toml", "data/raw/README.md"]
BEFORE_METHODS = ["synthesize", "train_biased", "split", "train_judges", "train_swapae@cam", "augment"]
# runs a command and prints the peak resident memory (kB) of its largest process
PEAK_MEMORY = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def scratch_repo(where: Path, params: dict) -> None:
    """A git + DVC repository holding this tree's code and the preset's params, committed (kept
    when it already exists with the same committed params, so an interrupted run resumes; a
    script may edit params.yaml there per run)."""
    params_text = yaml.safe_dump(params, sort_keys=False)
    committed = subprocess.run(["git", "show", "HEAD:params.yaml"], cwd=where, capture_output=True, text=True) if where.is_dir() else None
    if committed and committed.returncode == 0 and committed.stdout == params_text:
        return
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for name in COPIED:
        source, target = ROOT / name, where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    (where / "params.yaml").write_text(params_text)
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "scratch"]):
        subprocess.run(command, cwd=where, check=True, env=os.environ | {
            "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost"})


def run_stage(where: Path, stage: str, log) -> dict:
    """`dvc repro --single-item STAGE`: seconds, peak memory (MB), and whether it ran."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK_MEMORY, "dvc", "repro", "--single-item", stage],
                          cwd=where, stdout=log, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{stage} failed (see {log.name}): {done.stderr.strip().splitlines()[-2:]}")
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return {"stage": stage, "seconds": round(seconds, 1), "peak_mb": round(peak_kb / 1024)}


def report(name: str, overrides: list[str], params: dict, rows: list[dict], where: Path) -> str:
    compute = parse_compute(params["compute"])
    command = " ".join(["python benchmarks/full_size.py", name, *(f"-S {override}" for override in overrides)])
    lines = [f"# Bias track at full size: preset `{name}`{''.join(f', `{override}`' for override in overrides)}", "",
             f"Made by `{command}`; CPU: {cpu_model()}, {os.cpu_count()} CPUs, "
             f"threads {compute.threads}, {compute.cpu_kernels} kernels.", "",
             "| stage | seconds | peak memory (MB) |", "|---|---|---|"]
    lines += [f"| {r['stage']} | {r['seconds']:.0f} | {r['peak_mb']} |" for r in rows]
    total = sum(r["seconds"] for r in rows)
    lines += [f"| **total** | **{total:.0f}** ({total / 60:.1f} min) "
              f"| **{max(r['peak_mb'] for r in rows)}** |", ""]
    for title, path in (("Split", "metrics/split.json"), ("Judges", "metrics/judges.json"), ("Swaps", "metrics/swapae/cam/metrics.json"),
                        ("Augment", "metrics/augment.json")):
        if (where / path).exists():
            lines += [f"{title} (`{path}`): `{json.dumps(json.loads((where / path).read_text()))}`", ""]
    if (where / "metrics/evaluate.md").exists():
        lines += ["Accuracy (`metrics/evaluate.md`):", "", (where / "metrics/evaluate.md").read_text()]
    return "\n".join(lines)


def bias_track(params: dict) -> list[str]:
    """The stages evaluate needs, in an order DVC can run one by one: the preset's methods from its params."""
    return [*BEFORE_METHODS, *(f"train@{method}" for method in params["methods"]), "evaluate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("-S", "--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a params override on top of the preset, as `dvc exp run -S` takes it (repeatable)")
    parser.add_argument("--scratch", type=Path, help="the scratch repository (default benchmarks/.scratch/PRESET)")
    args = parser.parse_args()
    os.chdir(ROOT)
    overrides = dict(override.split("=", 1) for override in args.set)
    params = apply_preset(apply_preset(Params.load(ROOT / "params.yaml").raw, load_preset(args.preset)),
                          {"set": {key: yaml.safe_load(value) for key, value in overrides.items()}, "remove": []})
    name = "_".join([args.preset, *overrides.values()])  # e.g. colored_fashion_mnist_cpu_corrupted_mnist
    where = args.scratch or ROOT / "benchmarks" / ".scratch" / name
    scratch_repo(where, params)
    done_file = where / "stages.jsonl"
    rows = [json.loads(line) for line in done_file.read_text().splitlines()] if done_file.exists() else []
    with open(where / "repro.log", "a") as log:
        for stage in bias_track(params)[len(rows):]:
            rows.append(run_stage(where, stage, log))
            with done_file.open("a") as out:
                out.write(json.dumps(rows[-1]) + "\n")
            print(rows[-1], flush=True)
    publish(report(args.preset, args.set, params, rows, where), f"benchmarks/results/full_size_{name}.md")


if __name__ == "__main__":
    main()
