"""Per-epoch training curves in the layout `dvc plots` reads: one TSV per metric
(`<dir>/train/loss.tsv` with columns `epoch` and `loss`).

dvclive writes the same layout, but on start it opens (or even `dvc init`s) the enclosing git
repository and fails in one without commits; a training loop should not touch the repository.
"""
import os
from collections import defaultdict

from .fileio import atomic_path


class Curves:
    def __init__(self):
        self.rows: dict[str, list[tuple[int, float]]] = defaultdict(list)

    def log(self, epoch: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.rows[name].append((epoch, value))

    def save(self, directory: str | os.PathLike) -> None:
        """Replace `directory` with one TSV per logged metric."""
        with atomic_path(directory) as tmp:
            for name, rows in self.rows.items():
                path = tmp / f"{name}.tsv"
                path.parent.mkdir(parents=True, exist_ok=True)
                lines = [f"epoch\t{path.stem}"] + [f"{epoch}\t{value:.6g}" for epoch, value in rows]
                path.write_text("\n".join(lines) + "\n")
