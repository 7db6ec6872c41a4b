"""Wall time of a grid of DVC experiments on DVC's queue, and how many stages each experiment ran
or restored from the run-cache: the timing DVC itself does not report.

Queues the grid in the repository (`dvc exp run --queue` with DVC's grid syntax for -S), adds
`-S compute.threads=<CPUs / workers>` so that the workers share the cores without spin-waiting,
starts the workers (`dvc queue start -j N`), polls `dvc queue status` until nothing is queued or
running, and reads each experiment's log (`dvc queue logs`) for the stages it ran.

DVC's workers can stop while tasks are still queued. treeverse/dvc#10562: a worker logs "Got
shutdown from remote" right after it starts and stops after its first task. treeverse/dvc#7903
and treeverse/dvc-task#73: two workers race on the filesystem broker's files, and one dies with
"Unrecoverable error: JSONDecodeError('Expecting value: line 1 column 1 (char 0)')" after its
running task. `dvc queue status` then shows fewer workers than were started beside Queued tasks.
When that lasts three polls, the script runs `dvc queue start -j N` again, as a user would (DVC
starts only the missing workers), and counts the restart.

A worker that dies while it runs a task (killed, out of memory, a reboot) leaves that task Running
in `dvc queue status` for good (seen here with DVC 3.67.1: a worker's process group killed with
SIGKILL), so a script waiting for it would wait forever. When DVC reports no worker at all for
three polls while tasks are still Running, their processes are gone: the script runs
`dvc queue kill` on them, as a user would (DVC marks them Failed and their log ends with
"Process '<task>' had already aborted unexpectedly."), and names them under the table.

    python benchmarks/queue_timing.py --workers 2 -S 'data.aligned_ratio=0.95,0.98,0.99,0.995' -S 'seed=0,1,2'

A grid made of several `dvc exp run --queue` calls (other targets, a preset, methods left out at
some grid points) gives each call's arguments as one --grid string; --params names the params
file whose compute.threads is set (noisy/params.yaml for the noisy-label track):

    P="$(python -m mitigate.presets noisy_fashion_mnist_cpu)"; N=noisy/params.yaml
    python benchmarks/queue_timing.py --params $N --grid "noisy/dvc.yaml $P -S $N:seed=0,1,2" \
        --grid "noisy/dvc.yaml $P -S $N:data.noise_rate=0.8 -S $N:seed=0,1,2"

The experiments stay in the repository (`dvc exp show`), for the report:
`python -m mitigate.experiments_report --by data.aligned_ratio ...`.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compute import cpu_model
from tables import publish

from mitigate.core.compute import available_cpus
from mitigate.presets import DEFAULT_PARAMS, key_prefix

ROOT = Path(__file__).resolve().parents[1]


def dvc(*args: str, cwd: Path) -> str:
    """Without DVC's usage report: its daemon dies on start and would leave one file in /tmp per
    poll (docs/experiments.md, "Where DVC falls short")."""
    return run(["dvc", *args], cwd, env=dict(os.environ, DVC_NO_ANALYTICS="1"))


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """A command's stdout; exits naming it and its last stderr line if it fails. The output goes
    through files, not pipes: `dvc queue start` forks worker daemons that inherit them, and a pipe
    read to its end would wait for the last worker to exit, so the polling below, and the restart
    of dead workers, would never run."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        if done.returncode != 0:
            raise SystemExit(f"error: {' '.join(command)} failed: {err.read().strip().splitlines()[-1:]}")
        return out.read()


def queue_status(cwd: Path) -> tuple[list[tuple[str, str]], int]:
    """(experiment name, status) of every task `dvc queue status` lists, and its number of workers."""
    text = dvc("queue", "status", cwd=cwd)
    rows = []
    for line in text.splitlines():
        match = re.match(r"^\S+\s+(\S+)\s+.*\b(Queued|Running|Success|Failed)\s*$", line)
        if match:
            rows.append((match.group(1), match.group(2)))
    workers = re.search(r"Worker status: (\d+) active, (\d+) idle", text)
    if not workers:  # read as none, Running tasks would be killed: stop instead
        raise SystemExit("error: dvc queue status printed no 'Worker status: N active, M idle' line; "
                         "this script reads DVC 3's format (pip install the pinned requirements.txt)")
    return rows, int(workers.group(1)) + int(workers.group(2))


def short_of_workers(statuses: set[str], workers: int, wanted: int) -> bool:
    """Tasks wait in the queue and DVC reports fewer workers than were started to run them."""
    return "Queued" in statuses and workers < wanted


def orphaned(tasks: list[tuple[str, str]], workers: int) -> list[str]:
    """Tasks DVC lists as Running while it reports no worker to run them."""
    return [name for name, status in tasks if status == "Running"] if workers == 0 else []


def stage_counts(log: str) -> tuple[int, int]:
    """Stages an experiment ran, and stages it restored from the run-cache."""
    ran = len(re.findall(r"^Running stage '", log, flags=re.M))
    restored = len(re.findall(r"^Stage '.*' is cached - skipping run", log, flags=re.M))
    return ran, restored


def queue_calls(overrides: list[str] | None, grids: list[str] | None, params: str, threads: int) -> list[list[str]]:
    """The arguments of each `dvc exp run --queue` call: one for the -S shorthand, one per --grid
    string; each ends by setting compute.threads in the params file the workers read."""
    calls = [[arg for value in overrides for arg in ("-S", value)]] if overrides else [shlex.split(grid) for grid in grids]
    return [[*call, "-S", f"{key_prefix(params)}compute.threads={threads}"] for call in calls]


def made_by(args: argparse.Namespace) -> str:
    option, values = ("-S", args.overrides) if args.overrides else ("--grid", args.grid)
    calls = " ".join(f"{option} {shlex.quote(value)}" for value in values)
    params = "" if args.params == DEFAULT_PARAMS else f" --params {args.params}"
    return f"python benchmarks/queue_timing.py --workers {args.workers}{params} {calls}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    calls = parser.add_mutually_exclusive_group(required=True)
    calls.add_argument("-S", dest="overrides", action="append", help="as `dvc exp run -S`, grid syntax allowed: one call")
    calls.add_argument("--grid", action="append", help="the arguments of one `dvc exp run --queue` call, as one string; repeatable")
    parser.add_argument("--params", default=DEFAULT_PARAMS, help="the params file whose compute.threads is set")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--out", default="benchmarks/results/queue_timing.md")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    threads = max(1, available_cpus() // args.workers)
    before = {name for name, _ in queue_status(args.repo)[0]}
    start = time.monotonic()
    for call in queue_calls(args.overrides, args.grid, args.params, threads):
        dvc("exp", "run", "--queue", *call, cwd=args.repo)
    dvc("queue", "start", "-j", str(args.workers), cwd=args.repo)
    restarts = short_polls = orphan_polls = 0
    lost: list[str] = []
    while True:
        rows, workers = queue_status(args.repo)
        tasks = [(name, status) for name, status in rows if name not in before]
        statuses = {status for _, status in tasks}
        if not {"Queued", "Running"} & statuses:
            break
        short_polls = short_polls + 1 if short_of_workers(statuses, workers, args.workers) else 0
        if short_polls == 3:
            print(f"{workers} of DVC's {args.workers} workers left with tasks queued: dvc queue start again", file=sys.stderr)
            dvc("queue", "start", "-j", str(args.workers), cwd=args.repo)
            restarts, short_polls = restarts + 1, 0
        orphans = orphaned(tasks, workers)
        orphan_polls = orphan_polls + 1 if orphans else 0
        if orphan_polls == 3:
            print(f"{', '.join(orphans)} Running with no DVC worker: dvc queue kill (DVC marks them Failed)", file=sys.stderr)
            dvc("queue", "kill", *orphans, cwd=args.repo)
            lost, orphan_polls = lost + orphans, 0
        time.sleep(10)
    seconds = time.monotonic() - start
    ran = restored = 0
    for name, _ in tasks:
        r, c = stage_counts(dvc("queue", "logs", name, cwd=args.repo))
        ran, restored = ran + r, restored + c
    succeeded = sum(status == "Success" for _, status in tasks)
    report = "\n".join([
        f"# DVC queue: {len(tasks)} experiments, {args.workers} workers",
        "",
        f"Made by `{made_by(args)}`; "
        f"CPU: {cpu_model()}, {available_cpus()} CPUs, compute.threads={threads} per worker.",
        "",
        "| experiments | succeeded | workers | threads each | wall time (min) | stages run"
        " | stages restored from the run-cache | worker restarts |",
        "|---|---|---|---|---|---|---|---|",
        f"| {len(tasks)} | {succeeded} | {args.workers} | {threads} | {seconds / 60:.1f} | {ran} | {restored} | {restarts} |",
        "",
        *([f"Lost with their worker (DVC kept them Running; `dvc queue kill` marked them Failed): {', '.join(lost)}.", ""]
          if lost else []),
    ])
    publish(report, args.out)


if __name__ == "__main__":
    main()
