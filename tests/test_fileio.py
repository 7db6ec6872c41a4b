"""Atomic writes: an output is either the old one or the complete new one, never half of either."""
import json

import pytest

from mitigate.core.fileio import atomic_path, write_json, write_json_files, write_text


class Boom(Exception):
    pass


def names(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def tree(directory) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


# --- a file ---------------------------------------------------------------------------------

def test_file_replaced_on_success(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with atomic_path(path) as tmp:
        assert tmp != path and tmp.parent == path.parent
        tmp.write_text("new")
        assert path.read_text() == "old"  # not replaced before the block ends
    assert path.read_text() == "new"
    assert names(tmp_path) == ["out.json"]


def test_file_untouched_on_error(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with pytest.raises(Boom):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise Boom
    assert path.read_text() == "old"
    assert names(tmp_path) == ["out.json"]  # no temporary file left


def test_file_untouched_on_keyboard_interrupt(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert path.read_text() == "old"
    assert names(tmp_path) == ["out.json"]


def test_new_file_in_new_parent_directories(tmp_path):
    path = tmp_path / "a" / "b" / "out.txt"
    with atomic_path(path) as tmp:
        tmp.write_text("x")
    assert path.read_text() == "x"
    assert names(path.parent) == ["out.txt"]


def test_new_file_not_created_on_error(tmp_path):
    path = tmp_path / "out.txt"
    with pytest.raises(Boom):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise Boom
    assert names(tmp_path) == []


def test_stale_temporary_from_a_crashed_run_is_cleared(tmp_path):
    path = tmp_path / "out"
    stale = tmp_path / ".out.tmp"
    stale.mkdir()
    (stale / "junk").write_text("junk")
    with atomic_path(path) as tmp:
        assert not tmp.exists()
        tmp.write_text("new")
    assert path.read_text() == "new"
    assert names(tmp_path) == ["out"]


# --- a directory ----------------------------------------------------------------------------

@pytest.fixture
def old_dir(tmp_path):
    path = tmp_path / "curves"
    (path / "train").mkdir(parents=True)
    (path / "train" / "loss.tsv").write_text("old loss")
    (path / "stale.tsv").write_text("stale")
    return path


def test_directory_replaced_wholesale_on_success(tmp_path, old_dir):
    with atomic_path(old_dir) as tmp:
        (tmp / "train").mkdir(parents=True)
        (tmp / "train" / "loss.tsv").write_text("new loss")
        (tmp / "valid.tsv").write_text("valid")
        assert tree(old_dir) == {"stale.tsv": "stale", "train/loss.tsv": "old loss"}
    assert tree(old_dir) == {"train/loss.tsv": "new loss", "valid.tsv": "valid"}  # stale.tsv is gone
    assert names(tmp_path) == ["curves"]  # neither the new nor the old temporary is left


def test_directory_untouched_on_error(tmp_path, old_dir):
    with pytest.raises(Boom):
        with atomic_path(old_dir) as tmp:
            (tmp / "train").mkdir(parents=True)
            (tmp / "train" / "loss.tsv").write_text("half")
            raise Boom
    assert tree(old_dir) == {"stale.tsv": "stale", "train/loss.tsv": "old loss"}
    assert names(tmp_path) == ["curves"]


def test_directory_replaced_by_a_file(tmp_path, old_dir):
    with atomic_path(old_dir) as tmp:
        tmp.write_text("now a file")
    assert old_dir.is_file() and old_dir.read_text() == "now a file"
    assert names(tmp_path) == ["curves"]


def test_directory_kept_when_nothing_was_written(tmp_path, old_dir):
    with pytest.raises(FileNotFoundError):
        with atomic_path(old_dir):
            pass  # e.g. Curves.save with no logged metric
    assert tree(old_dir) == {"stale.tsv": "stale", "train/loss.tsv": "old loss"}


# --- the helpers built on it ----------------------------------------------------------------

def test_write_json_and_text(tmp_path):
    write_json(tmp_path / "m" / "a.json", {"b": 1, "a": [1.5]})
    assert json.loads((tmp_path / "m" / "a.json").read_text()) == {"b": 1, "a": [1.5]}
    assert (tmp_path / "m" / "a.json").read_text().endswith("\n")
    write_text(tmp_path / "t.md", "| x |\n")
    write_text(tmp_path / "t.md", "| y |\n")
    assert (tmp_path / "t.md").read_text() == "| y |\n"
    assert names(tmp_path) == ["m", "t.md"]


def test_write_json_files_replaces_the_directory(tmp_path):
    directory = tmp_path / "evaluate"
    write_json_files(directory, {"vanilla": {"acc": 0.5}, "lff": {"acc": 0.75}})
    assert names(directory) == ["lff.json", "vanilla.json"]
    write_json_files(directory, {"lff": {"acc": 0.8}})
    assert names(directory) == ["lff.json"]
    assert json.loads((directory / "lff.json").read_text()) == {"acc": 0.8}
    assert names(tmp_path) == ["evaluate"]
