"""The talk's memorization plot: for the training samples with a noisy label, the fraction a
model predicts as the true label, as the noisy label and as neither, per epoch."""
from pathlib import Path

import pandas as pd

from ..core.curves import PLOTS_FOLDER
from ..core.viz import figure, save_figure

CURVES = ("true_label", "noisy_label", "other")


def read_memorization(curves_dir: str | Path) -> dict[str, pd.Series] | None:
    """The three curves logged by `training.fit` for one method, from its dvclive log folder
    (`mitigate.core.curves`); None when it logged none (no noisy training labels)."""
    folder = Path(curves_dir) / PLOTS_FOLDER / "memorization"
    if not all((folder / f"{name}.tsv").exists() for name in CURVES):
        return None
    return {name: pd.read_csv(folder / f"{name}.tsv", sep="\t").set_index("step")[name] for name in CURVES}


def draw_memorization(path: str | Path, curves: dict[str, dict[str, pd.Series] | None]) -> None:
    """One panel per method (e.g. CE and ELR side by side)."""
    fig, axes = figure(1, len(curves), (4.5 * len(curves), 3.6))
    for ax, (method, series) in zip(axes[0], curves.items()):
        ax.set_title(method, fontsize=10)
        if series is None:
            ax.text(0.5, 0.5, "no noisy training labels\n(data.label_noise: none)", ha="center", va="center")
            ax.set_axis_off()
            continue
        for name, values in series.items():
            ax.plot(values.index, 100 * values.to_numpy(), label=name.replace("_", " "))
        ax.set_xlabel("epoch"), ax.set_ylabel("% of noisy-labeled training samples"), ax.set_ylim(0, 100)
        ax.legend(fontsize=8)
    save_figure(path, fig, "Predictions on the training samples whose label is noisy")
