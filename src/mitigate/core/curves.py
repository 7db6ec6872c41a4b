"""A training stage's log, written by dvclive in its layout: `<dir>/plots/metrics/<name>.tsv` per
curve (columns `step`, the epoch, and the name's last part) and `<dir>/metrics.json` (dvclive's
summary: the last epoch's values, `step`, and the stage's own metrics). dvc.yaml declares the
first as `plots` (x: step) and the second as `metrics`.

The training loop records the curves in memory (`Curves.log`); `save` hands them to dvclive once
training is over, in a temporary sibling folder that replaces `<dir>` when complete. So a crash
leaves no half-written log, and a run resumed after a kill (`mitigate.core.resume` keeps this object)
writes the bytes of an uninterrupted one; dvclive writes no timestamps unless asked.
"""
import os
from collections import defaultdict

from .errors import UserError
from .fileio import atomic_path

METRICS_FILE = "metrics.json"  # dvclive's summary file in a log folder
PLOTS_FOLDER = "plots/metrics"  # dvclive's folder of metric histories in a log folder


class Curves:
    def __init__(self):
        self.rows: dict[str, list[tuple[int, float]]] = defaultdict(list)

    def log(self, epoch: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.rows[name].append((epoch, value))

    def save(self, directory: str | os.PathLike, summary: dict | None = None) -> None:
        """Replace `directory` with dvclive's log of these curves; `summary` (JSON values) joins
        the last epoch's values in its metrics.json."""
        from dvclive import Live  # loads DVC: only the stages that write a log pay for it
        from scmrepo.exceptions import SCMError

        epochs = sorted({epoch for rows in self.rows.values() for epoch, _ in rows})
        values = {name: dict(rows) for name, rows in self.rows.items()}
        with atomic_path(directory) as tmp:
            try:
                live = Live(os.fspath(tmp), save_dvc_exp=False, dvcyaml=None, report=None)
            except SCMError as error:  # dvclive opens the repository: `git rev-parse HEAD` must work
                raise UserError(f"dvclive cannot write {directory}: {error}; commit once (`git add -A && git commit`) "
                                "and rerun") from None
            with live:
                for epoch in epochs:
                    live.step = epoch
                    for name, by_epoch in values.items():
                        if epoch in by_epoch:
                            live.log_metric(name, by_epoch[epoch])
                live.summary.update(summary or {})
