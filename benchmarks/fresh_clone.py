"""The README's two commands in a fresh clone, timed: what a new user waits for, and whether the
committed lock reproduces on this CPU.

Clones this repository's HEAD into a temporary folder and runs there, one after the other: the
pinned virtual environment's set-up (`make .venv/.installed`, the prerequisite of both commands),
`make test` (ruff and the test suite), `make run` (`dvc repro` of the bias track on the embedded
default), then `git status --porcelain`: a file it lists is a committed stage output that `make run`
wrote with other bytes (on another CPU model, `benchmarks/cross_cpu.py` in the kept clone says
which stages and how far the metrics moved). The README quotes the sentence it writes.

    python benchmarks/fresh_clone.py --out benchmarks/results/fresh_clone.md
    python benchmarks/fresh_clone.py --keep --out /tmp/fresh_clone.md   # keep the clone for cross_cpu.py

A failing step stops the script, names its log and leaves the clone beside it to look into.
Run it on an idle machine: a second busy process shares the cores. The set-up installs from the
package index (pip's cache makes a second set-up faster than a first one on a new machine).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compute import cpu_model
from tables import minutes, publish

from mitigate.core.compute import available_cpus

ROOT = Path(__file__).resolve().parents[1]
STEPS = [("set-up", ["make", ".venv/.installed"]), ("make test", ["make", "test"]), ("make run", ["make", "run"])]


def user_environment() -> dict[str, str]:
    """This environment without this checkout's virtual environment (make builds and uses the clone's)."""
    path = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if not entry.startswith(str(ROOT))]
    return {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"PATH": os.pathsep.join(path)}


def run_step(command: list[str], clone: Path, log: Path) -> float:
    """Seconds `command` took in `clone`; its output goes to `log`. Exits naming the log on failure."""
    started = time.perf_counter()
    with log.open("w") as output:
        code = subprocess.run(command, cwd=clone, env=user_environment(), stdout=output, stderr=subprocess.STDOUT).returncode
    if code != 0:
        sys.exit(f"error: `{' '.join(command)}` failed in the fresh clone (exit {code}); its output: {log}")
    return time.perf_counter() - started


def test_summary(make_test_output: str) -> str:
    """pytest's last line without its time and decorations, e.g. '847 passed'."""
    summaries = re.findall(r"^=*\s*(\d+ passed[^=]*?)\s+in [\d.]+s", make_test_output, re.M)
    if not summaries:
        raise SystemExit("error: no pytest summary line ('N passed in S s') in make test's output")
    return summaries[-1]


def stages_ran(make_run_output: str) -> int:
    return make_run_output.count("Running stage '")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/fresh_clone.md"))
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed) instead of deleting it")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # before anything starts: a busy neighbour shows here
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix="fresh_clone_"))
    clone = folder / "project"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    seconds = {name: run_step(command, clone, folder / f"{name.replace(' ', '_')}.log") for name, command in STEPS}
    summary = test_summary((folder / "make_test.log").read_text())
    ran = stages_ran((folder / "make_run.log").read_text())
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True).stdout.splitlines()
    verdict = ("`git status` then listed no file: the committed lock reproduced" if not changed else
               f"`git status` then listed {len(changed)} file{'s' * (len(changed) > 1)}: the committed lock did not reproduce here")
    report = "\n".join([
        "# A fresh clone", "",
        f"Made by `python benchmarks/fresh_clone.py` on {cpu_model()}, {available_cpus()} CPUs, "
        f"load average {load:.2f} at the start; the project at {head}.", "",
        f"In a fresh clone: set-up {minutes(seconds['set-up'])}, `make test` {minutes(seconds['make test'])} ({summary}), "
        f"`make run` {minutes(seconds['make run'])} ({ran} stages ran); {verdict}.", "",
        "| step | command | seconds |", "|---|---|---|",
        *(f"| {name} | `{' '.join(command)}` | {seconds[name]:.0f} |" for name, command in STEPS),
        *([""] + [f"    {line}" for line in changed] if changed else []), ""])
    publish(report, args.out)
    if args.keep:
        print(f"the clone: {clone}")
    else:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
