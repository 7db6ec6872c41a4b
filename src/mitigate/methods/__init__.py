"""Training methods behind one interface (`methods.base.Method`) and one registry.

Adding a method: a module here with a `Method` subclass decorated by `@register_method(name)`,
its hyper-parameters under `method.<name>` in params.yaml, and its name in `methods`.
"""
from .base import METHODS, Method, register_method  # noqa: F401
from . import gce, lff, vanilla  # noqa: E402,F401  (register the built-in methods)
