"""What each CPU-kernel pin of `compute.cpu_kernels: portable` costs on this CPU: seconds per
training step of the embedded default's three kinds of network under the portable pinning, with
one library's pin lifted at a time (that library then picks its kernels for this CPU), and with
every pin lifted (`native`). Each column runs in a fresh process, since the libraries read their
variables when they load; the columns take turns, round after round, so a slow spell of the
machine spreads over all of them; 2 threads, as the committed dvc.lock needs. The kinds of step:
- LfF's (`train@lff`): two MLPs, forward, GCE and cross entropy, backward, fused Adam;
- GCE's on the biased CNN (`train_biased`): oneDNN's convolutions;
- the swapping autoencoder's (`train_swapae@cam`): its encoder, generator and patch discriminator.
numpy's and OpenBLAS's pins are not lifted: no training step runs them.

    python benchmarks/pin_costs.py     # writes benchmarks/results/pin_costs_<cpu>.md; about 5 minutes on 2 cores
"""
import argparse
import json
import subprocess
import sys

from compute import clean_environment, cpu_model
from kernel_fingerprint import ROOT, THREADS, cpu_slug
from tables import mean_std, publish

from mitigate.core.compute import PORTABLE_ENVIRONMENT, Compute, available_cpus, environment

LIFTED = {"portable": (), "ATen native": ("ATEN_CPU_CAPABILITY",), "MKL native": ("MKL_CBWR",),
          "oneDNN native": ("ONEDNN_MAX_CPU_ISA",), "native": tuple(PORTABLE_ENVIRONMENT)}
STEPS = {"train@lff (MLPs)": 100, "train_biased (CNN)": 40, "train_swapae@cam (autoencoder)": 20}  # measured steps per kind


def steps_here() -> dict[str, float]:
    """In a process whose variables are already set: seconds per step of each kind of STEPS."""
    import torch
    from steps import method_step, swapae_step

    from mitigate.biaswap.autoencoder_training import SwapAESettings
    from mitigate.core.compute import apply_to_torch
    from mitigate.core.config import Params
    from mitigate.methods import method_hparams
    from mitigate.methods.gce import GCEHparams
    from mitigate.training.settings import BiasedSettings, TrainSettings

    apply_to_torch(Compute(THREADS, "native"))  # native: skips the check that ATen runs AVX2, lifted in one column
    params, cpu, shape = Params.load(ROOT / "params.yaml"), torch.device("cpu"), (3, 28, 28)
    biased = params.section(BiasedSettings, "biased")
    mlp, cnn, autoencoder = STEPS
    return {mlp: method_step("lff", method_hparams(params, "lff"), params.section(TrainSettings, "train"), shape, cpu, STEPS[mlp]),
            cnn: method_step("gce", GCEHparams(q=biased.q), biased, shape, cpu, STEPS[cnn]),
            autoencoder: swapae_step(params.section(SwapAESettings, "swapae"), shape, cpu, STEPS[autoencoder])}


def measure(lifted: tuple[str, ...]) -> dict[str, float]:
    """`steps_here` in a fresh process pinned as `portable`, less the variables `lifted`."""
    pinned = {name: value for name, value in environment(Compute(THREADS, "portable")).items() if name not in lifted}
    result = subprocess.run([sys.executable, __file__, "--worker"], env=clean_environment(ROOT / "src") | pinned, cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="default: benchmarks/results/pin_costs_<cpu>.md")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each column (at least 2, for a std)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error(f"--rounds must be at least 2 for a std, got {args.rounds}")
    if args.worker:
        print(json.dumps(steps_here()))
        return
    runs = {column: [] for column in LIFTED}
    for round_ in range(args.rounds):
        for column, lifted in LIFTED.items():
            runs[column].append(measure(lifted))
            print(f"round {round_ + 1}, {column}: {runs[column][-1]}", flush=True)
    spread = {column: {kind: mean_std([run[kind] for run in column_runs]) for kind in STEPS} for column, column_runs in runs.items()}
    lines = ["# What each CPU-kernel pin costs", "",
             f"Made by `python benchmarks/pin_costs.py --rounds {args.rounds}` on {cpu_model()} ({available_cpus()} CPUs), "
             f"{THREADS} threads; milliseconds per training step on the embedded default's settings (random images; "
             + ", ".join(f"{n} steps of {kind.split()[0]}" for kind, n in STEPS.items())
             + f" after a warm-up step), mean ± std over {args.rounds} rounds; in brackets, the mean against portable's.", "",
             "| step | " + " | ".join(LIFTED) + " |", "|---|" + "---|" * len(LIFTED)]
    for kind in STEPS:
        cells = [f"{1000 * mean:.1f} ± {1000 * std:.1f} ({mean / spread['portable'][kind][0]:.2f}x)"
                 for mean, std in (spread[column][kind] for column in LIFTED)]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    publish("\n".join(lines) + "\n", args.out or f"benchmarks/results/pin_costs_{cpu_slug()}.md")


if __name__ == "__main__":
    main()
