"""The training methods: one module per method, each a `Method` subclass
(`mitigate.training.method`) registered under the module's name; and the params.yaml sections
that choose them (`methods`) and set their hyper-parameters (`hparams.<name>`).

Adding a method: a module `<name>.py` here with a `Method` subclass decorated by
`@register_method("<name>")` (the registry finds the module by its file name), its
hyper-parameters under `hparams.<name>` in the scenario's params.yaml and an entry
`<name>: <training set>` in `methods`; then `python -m mitigate.dvc_deps` adds its file to
dvc.yaml. A worked example: docs/adding_a_method.md.
"""
from ..core.config import Length, Params, parse_section
from ..core.errors import ConfigError
from ..training.method import BUILT_IN_METHODS, METHODS, Method, register_method  # noqa: F401


def _check_known(name, key: str = "methods") -> None:
    if name not in METHODS:
        raise ConfigError(key, f"unknown method {name!r}; valid: {', '.join(sorted(METHODS))}")


TRAINING_SETS = ("dataset", "augmented", "clean")  # see data.swaps.load_training_split


def training_sets(params: Params) -> dict[str, str]:
    """params.yaml `methods`: a non-empty mapping of registered method names to the training
    set each reads. Checked without importing the methods (see `training_set_of`)."""
    entries = params.get("methods")
    if not isinstance(entries, dict) or not entries:
        raise ConfigError("methods", "must be a non-empty mapping of method name to training set, e.g. {vanilla: dataset}")
    for name, training_set in entries.items():
        _check_known(name)
        if training_set not in TRAINING_SETS:
            raise ConfigError(f"methods.{name}", f"unknown training set {training_set!r}; valid: {', '.join(TRAINING_SETS)}")
    return entries


def training_set_of(params: Params, name: str) -> str:
    """The training set method `name` reads (params.yaml `methods.<name>`); a method that needs
    one, such as biaswap, must be given it."""
    entries = training_sets(params)
    if name not in entries:
        raise ConfigError("methods", f"has no entry {name!r}; add `{name}: dataset`")
    needed = METHODS[name].training_set
    if needed is not None and entries[name] != needed:
        raise ConfigError(f"methods.{name}", f"{name} trains on the {needed} set; write `{name}: {needed}`")
    return entries[name]


def method_names(params: Params) -> list[str]:
    return list(training_sets(params))


def method_hparams(params: Params, name: str):
    """The hyper-parameters of method `name`, from params.yaml `hparams.<name>`."""
    _check_known(name)
    section = params.get("hparams")
    if not isinstance(section, dict) or name not in section:
        raise ConfigError(f"hparams.{name}", "missing; add the method's hyper-parameters ({} if it has none)")
    return parse_section(METHODS[name].Hparams, section[name], f"hparams.{name}")


def check_schedule(name: str, hparams, length: Length) -> None:
    """A one-line ConfigError for the first phase of method `name` that a training of `length`
    removes or leaves empty (see `Method.schedule_problems`)."""
    for sub_key, message in METHODS[name].schedule_problems(hparams, length):
        raise ConfigError(f"hparams.{name}.{sub_key}", message)
