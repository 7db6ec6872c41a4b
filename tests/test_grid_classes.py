"""benchmarks/grid_classes.py: a class's accuracy from its (class, bias) cells, the classes a
model lost and in how many runs, and the cells read from an experiment's own commit."""
import importlib
import json
import subprocess

import pytest
from imports import ROOT

from mitigate.experiments_report import Run


@pytest.fixture
def grid_classes(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the script imports its neighbours
    return importlib.import_module("grid_classes")


def cells(accuracies: dict[tuple[int, int], tuple[float, int]]) -> list[dict]:
    return [{"target": target, "bias": bias, "accuracy": accuracy, "count": count}
            for (target, bias), (accuracy, count) in accuracies.items()]


def test_a_class_accuracy_weights_its_cells_by_their_counts(grid_classes):
    accuracies = grid_classes.class_accuracies(cells({(0, 0): (1.0, 30), (0, 1): (0.5, 10), (1, 0): (0.0, 5)}))
    assert accuracies == {0: pytest.approx(35 / 40), 1: 0.0}


def test_the_lost_classes_count_the_runs_that_lost_them(grid_classes):
    runs = [{0: 0.9, 1: 0.0, 2: 0.0}, {0: 0.8, 1: 0.0, 2: 0.4}, {0: 0.0, 1: 0.0, 2: 0.5}]
    assert grid_classes.lost(runs) == {0: 1, 1: 3, 2: 1}
    assert grid_classes.lost([{0: 0.9, 1: 0.1}]) == {}


def test_a_grid_point_is_a_row_per_model_with_its_class_means_and_losses(grid_classes):
    table = grid_classes.point_table({"vanilla": [{0: 0.9, 1: 0.5}, {0: 0.7, 1: 0.5}], "mae": [{0: 0.8, 1: 0.0}, {0: 0.8, 1: 0.0}]},
                                     ("T-shirt/top", "Trouser"))
    assert table[0] == "| model | runs | 0 T-shirt/top | 1 Trouser | lost (runs) |"
    assert table[2] == "| vanilla | 2 | 80.00 ± 14.14 | 50.00 ± 0.00 | none |"
    assert table[3] == "| mae | 2 | 80.00 ± 0.00 | 0.00 ± 0.00 | 1 Trouser (2/2) |"


def test_class_names_need_one_known_class_set(grid_classes):
    def run(pairs: str) -> Run:
        return Run("e", {"data.noise_pairs": pairs}, {}, "workspace")
    assert grid_classes.class_names([run("fashion_mnist"), run("fashion_mnist")])[2] == "Pullover"
    assert grid_classes.class_names([run("fashion_mnist"), run("mnist")]) is None
    assert grid_classes.class_names([run("mnist")]) is None  # digits: the label is the name


def test_the_cells_come_from_the_experiments_commit_not_the_working_tree(grid_classes, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = ["-c", "user.name=t", "-c", "user.email=t@t"]
    (tmp_path / "metrics" / "cells").mkdir(parents=True)
    committed = cells({(0, 0): (0.25, 4)})
    (tmp_path / "metrics" / "cells" / "mae.json").write_text(json.dumps(committed))
    (tmp_path / "metrics" / "cells" / "notes.txt").write_text("not a model\n")
    for command in (["init", "-q"], ["add", "-A"], [*env, "commit", "-qm", "experiment"]):
        subprocess.run(["git", *command], check=True, capture_output=True)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    (tmp_path / "metrics" / "cells" / "mae.json").write_text(json.dumps(cells({(0, 0): (1.0, 4)})))
    (tmp_path / "metrics" / "cells" / "gce.json").write_text(json.dumps(cells({(0, 0): (1.0, 4)})))
    assert grid_classes.cells_of(Run("e", {}, {}, rev), "metrics/cells") == {"mae": committed}
    assert set(grid_classes.cells_of(Run("workspace", {}, {}, "workspace"), "metrics/cells")) == {"gce", "mae"}
    with pytest.raises(grid_classes.UserError, match="`git ls-tree --name-only 0{40}:metrics/cells` failed"):
        grid_classes.cells_of(Run("e", {}, {}, "0" * 40), "metrics/cells")
