"""Presets: named sets of params.yaml overrides for full-size runs, applied as DVC experiments.

A preset is `presets/<name>.yaml` with `set` (dotted params key -> value), optionally `remove`
(dotted keys to delete, e.g. methods a run does not train) and `params` (the params file it
changes, default params.yaml; noisy/params.yaml for the noisy-label track). This module turns one
into the `-S` arguments of `dvc exp run` (DVC's Hydra override grammar: `[file:]key=value`,
`[file:]~key`):

    dvc exp run -n fmnist-cpu $(python -m mitigate.presets colored_fashion_mnist_cpu)
    dvc exp run noisy/dvc.yaml $(python -m mitigate.presets noisy_fashion_mnist_cpu)
"""
import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .core.config import Params
from .core.errors import ConfigError, InputError, UserError

PRESETS_DIR = Path("presets")
DEFAULT_PARAMS = "params.yaml"


def available(directory: Path = PRESETS_DIR) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.yaml"))


def load_preset(name: str, directory: Path = PRESETS_DIR) -> dict[str, Any]:
    """The preset's `set`, `remove` and `params`, checked for shape (not yet against its params file)."""
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise UserError(f"no preset {name!r} in {directory}/; available: {', '.join(available(directory)) or 'none'}")
    try:
        preset = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise InputError(f"{path} is not valid YAML ({str(error).splitlines()[0]}); fix the syntax") from None
    if not isinstance(preset, dict) or not isinstance(preset.get("set"), dict) or set(preset) - {"set", "remove", "params"}:
        raise InputError(f"{path}: must be a mapping with `set` (dotted key: value) and optionally `remove` (a list of keys) "
                         "and `params` (the params file, e.g. noisy/params.yaml)")
    remove = preset.get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(key, str) for key in remove):
        raise InputError(f"{path}: `remove` must be a list of dotted keys")
    params = preset.get("params", DEFAULT_PARAMS)
    if not isinstance(params, str) or not params.endswith(".yaml") or any(c.isspace() or c == ":" for c in params):
        raise InputError(f"{path}: `params` must be a params file's path from the project root, e.g. noisy/params.yaml")
    return {"set": preset["set"], "remove": remove, "params": params}


def _parent(params: dict, key: str) -> tuple[dict, str]:
    """The mapping holding dotted `key` in `params` and the key's last part; the key must exist."""
    *parents, last = key.split(".")
    node = params
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        raise ConfigError(key, "not in the preset's params file; a preset can only change or remove existing keys")
    return node, last


def apply_preset(params: dict, preset: dict[str, Any]) -> dict:
    """A copy of the raw params with the preset applied, as `dvc exp run -S` would apply it."""
    merged = copy.deepcopy(params)
    for key, value in preset["set"].items():
        node, last = _parent(merged, key)
        node[last] = value
    for key in preset["remove"]:
        node, last = _parent(merged, key)
        del node[last]
    return merged


def key_prefix(params_file: str) -> str:
    """What `dvc exp run -S` puts before a key of this params file: nothing for params.yaml."""
    return "" if params_file == DEFAULT_PARAMS else f"{params_file}:"


def set_param_arguments(preset: dict[str, Any]) -> list[str]:
    """`-S key=value` for each override (values in compact JSON, which Hydra's grammar reads for
    numbers, lists and mappings; strings bare), then `-S ~key` for each removal, each key prefixed
    with `file:` when the preset changes another file than params.yaml. They are printed for the
    shell's `$(...)`, which splits words but removes no quotes: no value may hold a space."""
    file = key_prefix(preset["params"])
    arguments = []
    for key, value in preset["set"].items():
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        if any(c.isspace() for c in text):
            raise ConfigError(key, f"the preset's value {text!r} holds a space, which `$(...)` would split")
        arguments += ["-S", f"{file}{key}={text}"]
    for key in preset["remove"]:
        arguments += ["-S", f"{file}~{key}"]
    return arguments


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise UserError(f"usage: python -m mitigate.presets NAME (one of: {', '.join(available())})")
    preset = load_preset(argv[0])
    apply_preset(Params.load(preset["params"]).raw, preset)  # every key must exist
    print(" ".join(set_param_arguments(preset)))


if __name__ == "__main__":
    from .core.stage import run_stage

    run_stage(lambda: main(sys.argv[1:]))
