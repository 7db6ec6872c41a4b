"""Training methods behind one interface (`methods.base.Method`) and one registry.

Adding a method: a module here with a `Method` subclass decorated by `@register_method(name)`,
its hyper-parameters under `method.<name>` in params.yaml, and its name in `methods`.
"""
from ..config import Params, parse_section
from ..errors import ConfigError
from .base import METHODS, Method, register_method  # noqa: F401
from . import gce, lff, vanilla  # noqa: E402,F401  (register the built-in methods)


def _check_known(name, key: str = "methods") -> None:
    if name not in METHODS:
        raise ConfigError(key, f"unknown method {name!r}; valid: {', '.join(sorted(METHODS))}")


def method_names(params: Params) -> list[str]:
    """params.yaml `methods`: a non-empty list of distinct registered names."""
    names = params.get("methods")
    if not isinstance(names, list) or not names:
        raise ConfigError("methods", "must be a non-empty list of method names")
    for name in names:
        _check_known(name)
    if len(set(names)) != len(names):
        raise ConfigError("methods", "lists a method twice")
    return names


def method_hparams(params: Params, name: str):
    """The hyper-parameters of method `name`, from params.yaml `method.<name>`."""
    _check_known(name)
    section = params.get("method")
    if not isinstance(section, dict) or name not in section:
        raise ConfigError(f"method.{name}", "missing; add the method's hyper-parameters ({} if it has none)")
    return parse_section(METHODS[name].Hparams, section[name], f"method.{name}")
