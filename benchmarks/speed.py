"""Speed benchmark: the default run from scratch, and the training loop's throughput.

1. Copies the project into a temporary git repository and times, from scratch, the bias track
   (`dvc repro`) and then the noisy-label track (`dvc repro noisy/dvc.yaml`) on the default
   params (every stage runs), with the time of each stage (from one `Running stage` line of
   dvc's output to the next). The README quotes the two totals.
2. Samples per second of the method loop (`mitigate.training.loop.fit`: method.update per batch,
   loss bookkeeping, validation accuracy and progress bar once per epoch) against a bare
   forward / backward / step loop over the same networks and the same batches.

Time it on an idle machine: a second busy process shares the cores.

    python benchmarks/speed.py              # both (14-28 min on 2 Intel Xeon cores, by model)
    python benchmarks/speed.py --skip-repro # throughput only
    python benchmarks/speed.py --skip-repro --preset colored_fashion_mnist_cpu --epochs 3  # at full size
"""
import mitigate.stage_start  # noqa: F401  first: pins threads and CPU kernels (params.yaml compute) before torch loads

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from compute import cpu_model
from tables import minutes, publish

from mitigate.core.compute import available_cpus
from mitigate.core.config import Params
from mitigate.core.runtime import torch_generator
from mitigate.data.build import NUM_CLASSES, build_dataset
from mitigate.data.dataset import TensorSplit
from mitigate.methods import method_hparams
from mitigate.presets import apply_preset, load_preset
from mitigate.training.loop import build_method, fit
from mitigate.training.optimizer import adam
from mitigate.training.settings import TrainSettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from tiny_project import copy_project, project_environment  # noqa: E402  the end-to-end tests' copy of the project

TRACKS = {"the bias track": (), "the noisy-label track": ("noisy/dvc.yaml",)}


def time_repro(repo: Path, *targets: str) -> tuple[float, dict[str, float]]:
    """Seconds of `dvc repro TARGETS` in `repo`, and of each stage it ran."""
    started = time.perf_counter()
    starts: dict[str, float] = {}
    with subprocess.Popen(["dvc", "repro", *targets], cwd=repo, env=project_environment(repo), stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as repro:
        for line in repro.stdout:
            if line.startswith("Running stage"):
                starts[line.split("'")[1]] = time.perf_counter()
    if repro.returncode != 0:
        sys.exit(f"error: dvc repro {' '.join(targets)} failed (exit {repro.returncode}); run it in the project to see why")
    finished = time.perf_counter()
    ends = [*list(starts.values())[1:], finished]
    return finished - started, {stage: end - start for (stage, start), end in zip(starts.items(), ends)}


def repro_report() -> list[str]:
    """Each track from scratch in one fresh copy of the project: its total (the sentence the README
    quotes) and a table of every stage's seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_project(Path(tmp))
        timed = {track: time_repro(repo, *targets) for track, targets in TRACKS.items()}
    lines = ["From scratch, " + ", ".join(f"{track} took {minutes(total)}" for track, (total, _) in timed.items()) + ".", "",
             "| stage | seconds |", "|---|---|"]
    return lines + [f"| {stage} | {t:.0f} |" for _, stages in timed.values() for stage, t in stages.items()] + [""]


def bare_loop(networks, train: TensorSplit, settings: TrainSettings, seed: int) -> None:
    """Forward, cross entropy, backward and Adam step for each network, nothing else."""
    optimizer = adam([p for n in networks for p in n.parameters()], lr=settings.lr)  # the pipeline's own optimizer
    order = torch_generator(seed, "batch_order")
    for _ in range(settings.epochs):
        for batch in train.batches(settings.batch_size, order):
            loss = sum(F.cross_entropy(n(batch.x), batch.y) for n in networks)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


def throughput(method: str, params: Params, epochs: int, seed: int = 0) -> tuple[float, float]:
    settings = dataclasses.replace(params.section(TrainSettings, "train"), epochs=epochs)
    splits = build_dataset(params.data, seed)
    device = torch.device("cpu")
    train, valid = TensorSplit(splits["train"], device), TensorSplit(splits["valid"], device)
    samples = epochs * len(train)

    def build():
        return build_method(method, method_hparams(params, method), settings, train, NUM_CLASSES, train.image_shape, seed)

    model = build()
    started = time.perf_counter()
    fit(model, train, valid, settings, seed, progress=True, desc=f"{method} (method loop)")
    method_rate = samples / (time.perf_counter() - started)
    networks = [m for m in build().modules() if hasattr(m, "forward_features")]
    started = time.perf_counter()
    bare_loop(networks, train, settings, seed)
    bare_rate = samples / (time.perf_counter() - started)
    return method_rate, bare_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["vanilla", "lff"])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--skip-repro", action="store_true")
    parser.add_argument("--preset", help="the throughput on a preset's data and settings (presets/NAME.yaml)")
    parser.add_argument("--out", help="default: benchmarks/results/speed.md, or speed_PRESET.md")
    args = parser.parse_args()
    raw = Params.load(ROOT / "params.yaml").raw
    params = Params(apply_preset(raw, load_preset(args.preset, ROOT / "presets")) if args.preset else raw)
    out = args.out or f"benchmarks/results/speed{'_' + args.preset if args.preset else ''}.md"
    project = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    lines = ["# Speed", "", f"Made by `{' '.join(['python', 'benchmarks/speed.py', *sys.argv[1:]])}` on {cpu_model()}, "
             f"{torch.get_num_threads()} threads ({available_cpus()} CPUs), torch {torch.__version__}; the project at "
             f"{project}" + (f", preset {args.preset}" if args.preset else "") + ".", ""]
    if not args.skip_repro:
        lines += repro_report()
    lines += ["| method | method loop (samples/s) | bare loop (samples/s) | ratio |", "|---|---|---|---|"]
    for method in args.methods:
        method_rate, bare_rate = throughput(method, params, args.epochs)
        lines.append(f"| {method} | {method_rate:.0f} | {bare_rate:.0f} | {method_rate / bare_rate:.2f} |")
    report = "\n".join(lines) + "\n"
    publish(report, out)


if __name__ == "__main__":
    main()
