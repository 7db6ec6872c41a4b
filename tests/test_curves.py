"""The training log: dvclive's layout, written whole or not at all."""
import json
import subprocess

import pytest

from mitigate.core.curves import Curves
from mitigate.core.errors import UserError


def test_curves_save_dvclives_layout_with_the_summary(tmp_path):
    curves = Curves()
    curves.log(0, {"train/loss": 2.5, "valid/accuracy": 0.125})
    curves.log(1, {"train/loss": 1.25, "valid/accuracy": 0.5})
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "stale.tsv").write_text("old")
    curves.save(tmp_path / "c", summary={"bias_transfer": 0.75})
    plots = tmp_path / "c" / "plots" / "metrics"
    assert (plots / "train" / "loss.tsv").read_text() == "step\tloss\n0\t2.5\n1\t1.25\n"  # no timestamps
    assert (plots / "valid" / "accuracy.tsv").read_text() == "step\taccuracy\n0\t0.125\n1\t0.5\n"
    summary = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert summary == {"train": {"loss": 1.25}, "valid": {"accuracy": 0.5}, "bias_transfer": 0.75, "step": 1}
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["metrics.json", "plots"]  # stale.tsv is gone
    assert [p.name for p in tmp_path.iterdir()] == ["c"]  # no temporary left


def test_curves_save_names_the_fix_in_a_git_repository_without_commits(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".dvc").mkdir()  # what dvclive looks for, so that it opens this repository
    monkeypatch.chdir(tmp_path)
    curves = Curves()
    curves.log(0, {"train/loss": 1.0})
    with pytest.raises(UserError, match=r"dvclive cannot write c: .*git commit"):
        curves.save("c")
    assert not (tmp_path / "c").exists()
