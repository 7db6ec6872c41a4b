"""Atomic writes: every output is written under a temporary name and renamed into place, so an
interrupted stage never leaves a half-written file that looks complete."""
import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling path to write a file or a directory to; on success it replaces
    `path`, on failure it is removed and `path` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    _remove(tmp)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    if not (tmp.exists() or tmp.is_symlink()):
        raise FileNotFoundError(f"nothing was written for {path}; it is left as it was")
    if path.is_dir() and not path.is_symlink():
        old = path.with_name(f".{path.name}.old.tmp")
        _remove(old)
        os.replace(path, old)
        os.replace(tmp, path)
        _remove(old)
    else:
        os.replace(tmp, path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_json(path: str | os.PathLike, data) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json_files(directory: str | os.PathLike, files: dict[str, object]) -> None:
    """Replace `directory` by one `<name>.json` per entry of `files`."""
    with atomic_path(directory) as tmp:
        tmp.mkdir()
        for name, data in files.items():
            (tmp / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
