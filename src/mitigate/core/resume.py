"""Resuming a long training stage after a kill (SIGKILL, crash, Ctrl-C), byte-identical.

At an epoch end, once `MITIGATE_RESUME_EVERY` seconds (default 300; 0: every epoch; inf: never)
have passed since the loop started or last saved, a training loop saves its whole state to
`.resume/<stage>.pt`, outside the stage's DVC outputs. Rerun, the stage loads it and goes on with
the next epoch; the outputs are the bytes an uninterrupted run writes. The file carries a
fingerprint of everything that decides the outputs; one made for another fingerprint is ignored
(and replaced). The stage deletes it once its outputs are written. See docs/resume.md.

The state is taken by an explicit walk (`capture`, `restore`) over the loop's objects: a module's
state_dict plus its own plain attributes, optimizers' state_dicts, generators' states, tensors,
numbers, lists and dicts, and the attributes of the package's own helper objects. A value of a
type the walk does not know stops the save with a TypeError naming it, so a method cannot
silently resume differently.
"""
import dataclasses
import hashlib
import json
import math
import os
import pickle
import sys
import time
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .errors import UserError
from .fileio import atomic_path

EVERY_VARIABLE = "MITIGATE_RESUME_EVERY"
DEFAULT_EVERY = "300"
FOLDER = Path(".resume")

Node = tuple[str, Any]  # (kind, payload): the captured state of one value

_MODULE_INTERNALS = frozenset(vars(nn.Module()))  # nn.Module's own bookkeeping; state_dict covers the rest
_KINDS = (
    ("value", (type(None), bool, int, float, str)),
    ("tensor", torch.Tensor),
    ("list", list),
    ("tuple", tuple),
    ("dict", dict),
    ("module", nn.Module),
    ("optimizer", torch.optim.Optimizer),
    ("torch_generator", torch.Generator),
    ("numpy_generator", np.random.Generator),
    ("fixed", (types.FunctionType, torch.device)),  # rebuilt alike from the same code, params and inputs
)


def kind_of(value, where: str) -> str:
    """How `capture` saves `value`; a TypeError naming `where` for a type it does not know."""
    for kind, classes in _KINDS:
        if isinstance(value, classes):
            return kind
    if dataclasses.is_dataclass(value) and type(value).__dataclass_params__.frozen:
        return "fixed"  # settings and hyper-parameters, parsed from params.yaml
    if type(value).__module__.split(".")[0] == "mitigate":
        return "object"
    raise TypeError(f"{where} is a {type(value).__qualname__}, which mitigate.core.resume cannot save; keep the state "
                    "in a tensor, a buffer or a plain attribute, or add the type to resume.kind_of")


def capture(value, where: str = "state") -> Node:
    """The state of `value` as data `torch.save` stores (tensors are not copied: save it at once)."""
    kind = kind_of(value, where)
    if kind in ("list", "tuple"):
        return kind, [capture(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind == "dict":
        return kind, {key: capture(item, f"{where}[{key!r}]") for key, item in value.items()}
    if kind == "module":
        return kind, {"state_dict": value.state_dict(), "attributes": _capture_attributes(value, where)}
    if kind == "object":
        return kind, _capture_attributes(value, where)
    return kind, _SAVE[kind](value)


_SAVE = {
    "value": lambda value: value,
    "tensor": torch.Tensor.detach,
    "optimizer": torch.optim.Optimizer.state_dict,
    "torch_generator": torch.Generator.get_state,
    "numpy_generator": lambda generator: generator.bit_generator.state,
    "fixed": lambda value: None,
}


def _own_attributes(obj) -> dict[str, Any]:
    attributes = vars(obj)
    if isinstance(obj, nn.Module):
        return {name: value for name, value in attributes.items() if name not in _MODULE_INTERNALS}
    return attributes


def _capture_attributes(obj, where: str) -> dict[str, Node]:
    return {name: capture(value, f"{where}.{name}") for name, value in _own_attributes(obj).items()}


def restore(current, node: Node, where: str = "state"):
    """Put `node` (from `capture`) back into `current`, in place where it is mutable (so aliases
    stay aliases); returns the restored value for the caller to hold."""
    kind, payload = node
    if kind == "value":
        return payload
    if kind == "tensor":
        return _restore_tensor(current, payload)
    if kind in ("list", "tuple"):
        return _restore_sequence(current, kind, payload, where)
    if kind == "dict":
        return _restore_dict(current, payload, where)
    if kind_of(current, where) != kind:
        raise TypeError(f"{where}: the checkpoint holds a {kind}, the live value is a {type(current).__qualname__}; "
                        f"delete {FOLDER}")
    _LOAD[kind](current, payload, where)
    return current


def _restore_tensor(current, saved: torch.Tensor) -> torch.Tensor:
    same = (isinstance(current, torch.Tensor) and current.shape == saved.shape and current.dtype == saved.dtype
            and current.device == saved.device)
    if not same:
        return saved
    with torch.no_grad():
        return current.copy_(saved)


def _restore_sequence(current, kind: str, payload: list[Node], where: str):
    olds = list(current) if isinstance(current, (list, tuple)) and len(current) == len(payload) else [None] * len(payload)
    items = [restore(old, child, f"{where}[{i}]") for i, (old, child) in enumerate(zip(olds, payload))]
    if kind == "tuple":
        return tuple(items)
    if isinstance(current, list):
        current[:] = items
        return current
    return items


def _restore_dict(current, payload: dict[Any, Node], where: str):
    olds = current if isinstance(current, dict) else {}
    items = {key: restore(olds.get(key), child, f"{where}[{key!r}]") for key, child in payload.items()}
    if not isinstance(current, dict):
        return items
    current.clear()  # in place: a defaultdict keeps its factory
    current.update(items)
    return current


def _restore_attributes(obj, saved: dict[str, Node], where: str) -> None:
    for name, child in saved.items():
        setattr(obj, name, restore(getattr(obj, name, None), child, f"{where}.{name}"))


def _load_module(module: nn.Module, payload: dict, where: str) -> None:
    module.load_state_dict(payload["state_dict"])
    _restore_attributes(module, payload["attributes"], where)


def _load_numpy_generator(generator: np.random.Generator, state: dict, where: str) -> None:
    generator.bit_generator.state = state


_LOAD = {
    "module": _load_module,
    "object": _restore_attributes,
    "optimizer": lambda optimizer, state, where: optimizer.load_state_dict(state),
    "torch_generator": lambda generator, state, where: generator.set_state(state),
    "numpy_generator": _load_numpy_generator,
    "fixed": lambda value, payload, where: None,
}


def global_rng() -> dict:
    """torch's global CPU generator state, and CUDA's once this process has used CUDA."""
    return {"cpu": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None}


def set_global_rng(state: dict) -> None:
    torch.set_rng_state(state["cpu"])
    if state["cuda"] is not None:
        torch.cuda.set_rng_state_all(state["cuda"])


class Checkpoint:
    """One training loop's resume file, valid only for `fingerprint`; saved at an epoch end once
    `every` seconds have passed since the loop started or last saved."""

    def __init__(self, path: str | os.PathLike, fingerprint: str, every: float, name: str):
        self.path, self.fingerprint, self.every, self.name = Path(path), fingerprint, every, name
        self.saved_at = time.monotonic()

    def restore(self, state: dict, total_epochs: int) -> int:
        """Load the file into the loop's `state` (see `restore`) when it was made for this
        fingerprint; returns the epoch to go on from (0 without a usable file)."""
        self.saved_at = time.monotonic()
        saved = self._load()
        if saved is None:
            return 0
        restore(state, saved["state"])
        set_global_rng(saved["rng"])
        print(f"resuming {self.name} after epoch {saved['next_epoch']} of {total_epochs} ({self.path})", flush=True)
        return saved["next_epoch"]

    def _load(self) -> dict | None:
        if not self.path.exists():
            return None
        try:
            saved = torch.load(self.path, weights_only=True)
        except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as error:
            print(f"ignoring {self.path}: unreadable ({type(error).__name__}); training from the start", flush=True)
            return None
        if not isinstance(saved, dict) or saved.get("fingerprint") != self.fingerprint:
            print(f"ignoring {self.path}: made for other code, params or inputs; training from the start", flush=True)
            return None
        return saved

    def save_if_due(self, state: dict, next_epoch: int) -> None:
        """At an epoch end: write the loop's `state` atomically when `every` seconds have passed."""
        if time.monotonic() - self.saved_at < self.every:
            return
        checkpoint = {"fingerprint": self.fingerprint, "next_epoch": next_epoch, "state": capture(state), "rng": global_rng()}
        with atomic_path(self.path) as tmp:
            torch.save(checkpoint, tmp)
        self.saved_at = time.monotonic()

    def remove(self) -> None:
        """Once the stage's outputs are written."""
        self.path.unlink(missing_ok=True)


def resume_every() -> float:
    """Seconds between saves, from the environment (not params.yaml: it never changes an output)."""
    raw = os.environ.get(EVERY_VARIABLE, DEFAULT_EVERY)
    try:
        every = float(raw)
    except ValueError:
        every = math.nan
    if not every >= 0:
        raise UserError(f"{EVERY_VARIABLE}={raw!r}: must be a number of seconds >= 0 (0: every epoch, inf: never)")
    return every


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [path]


def fingerprint(stage: str, inputs: Iterable[str | os.PathLike], device: torch.device) -> str:
    """A digest of everything that decides a stage's outputs: its name and command line,
    params.yaml, the package's and the stage script's code, the bytes of its input files, and how
    torch computes here (version, threads, CPU kernels, device)."""
    digest = hashlib.sha256()
    how = [stage, sys.argv, torch.__version__, torch.get_num_threads(), torch.backends.cpu.get_cpu_capability(), str(device)]
    digest.update(json.dumps(how).encode())
    script = [Path(sys.argv[0])] if Path(sys.argv[0]).is_file() else []  # absent under `python -c`
    paths = [Path("params.yaml"), Path(__file__).parent, *script, *sorted({Path(p) for p in inputs})]
    for path in paths:
        for file in _files(path):
            digest.update(f"{file.relative_to(path.parent)}\0".encode())  # not where the checkout is
            with open(file, "rb") as opened:
                digest.update(hashlib.file_digest(opened, "sha256").digest())
    return digest.hexdigest()


def stage_checkpoint(stage: str, inputs: Iterable[str | os.PathLike], device: torch.device) -> Checkpoint:
    """The resume checkpoint of stage `stage` (run from the project root) reading `inputs`."""
    return Checkpoint(FOLDER / f"{stage}.pt", fingerprint(stage, inputs, device), resume_every(), stage)
