"""Does the committed dvc.lock reproduce on this CPU? Which stages wrote other bytes, and how far
the metrics moved.

Run in a fresh clone on the CPU model to check, after the pipelines ran from scratch there:

    make run && dvc repro noisy/dvc.yaml && dvc repro -f -s corruptions
    python benchmarks/cross_cpu.py --out benchmarks/results/cross_cpu_<this cpu>.md

Per stage of every dvc.yaml: `same` when each output's hash equals the committed lock's, else
`differs`; then DVC's own `dvc metrics diff --md` (HEAD = the committed lock's machine). A stage
whose outputs are all in git and whose inputs are too (`corruptions`) is up to date in a fresh
clone, so only `dvc repro -f -s <stage>` reruns it.
"""
import argparse
import os
import subprocess
from pathlib import Path

import yaml
from compute import cpu_model
from tables import publish


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def outputs(lock: dict, stage: str) -> dict[str, str]:
    if stage not in lock["stages"]:
        raise SystemExit(f"error: stage {stage} is not in the lock file; run the pipelines first (see --help)")
    return {out["path"]: out.get("md5", "") for out in lock["stages"][stage].get("outs", [])}


def verdict(name: str, committed: dict, here: dict, folder: Path) -> str:
    """`differs`, `same`, or, for a stage whose lock entry is unchanged and whose outputs are all
    in git (a fresh clone finds it up to date and skips it), a reminder to force it."""
    ours = outputs(here, name)
    if outputs(committed, name) != ours:
        return "differs"
    in_git = subprocess.run(["git", "ls-files", "--error-unmatch", *(str(folder / path) for path in ours)],  # lock paths: from its folder
                            capture_output=True).returncode == 0
    unchanged = committed["stages"][name] == here["stages"][name]
    return f"same, if rerun (`dvc repro -f -s {name}`)" if in_git and unchanged else "same"


def stage_rows(pipeline: str) -> list[tuple[str, str]]:
    """(stage, verdict) for each stage `pipeline` defines now."""
    lock_path = str(Path(pipeline).with_name("dvc.lock"))
    committed, here = yaml.safe_load(git("show", f"HEAD:{lock_path}")), yaml.safe_load(Path(lock_path).read_text())
    names = subprocess.run(["dvc", "stage", "list", "--name-only", pipeline], capture_output=True, text=True,
                           check=True).stdout.split()  # e.g. noisy/dvc.yaml:train@gce, which its lock calls train@gce
    return [(name, verdict(name.split(":")[-1], committed, here, Path(lock_path).parent)) for name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipelines", nargs="+", default=["dvc.yaml", "noisy/dvc.yaml"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    head = git("rev-parse", "--short", "HEAD").strip()
    lines = [f"CPU: {cpu_model()} ({os.cpu_count()} CPUs); the pipelines run from scratch here against the dvc.lock "
             f"committed at {head}; made by `python benchmarks/cross_cpu.py`", "",
             "| pipeline | stage | outputs |", "|---|---|---|"]
    counts = {}
    for pipeline in args.pipelines:
        rows = stage_rows(pipeline)
        counts[pipeline] = (sum(result == "differs" for _, result in rows), len(rows))
        lines += [f"| {pipeline} | {name} | {result} |" for name, result in rows]
    differing = ", ".join(f"{pipeline} {differ} of {total}" for pipeline, (differ, total) in counts.items())
    lines += ["", f"Stages with other bytes: {differing}",
              "", "`dvc metrics diff --md` (HEAD: the committed lock; workspace: this CPU):", "",
              subprocess.run(["dvc", "metrics", "diff", "--md"], capture_output=True, text=True, check=True).stdout]
    publish("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
