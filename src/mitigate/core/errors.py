"""Errors a user can fix. Stage scripts print them as one line and exit 1."""


class UserError(Exception):
    """Something the user can fix; the message names what is wrong and how to fix it."""


class ConfigError(UserError):
    """A bad value in params.yaml."""

    def __init__(self, key: str, message: str):
        super().__init__(f"params.yaml: {key}: {message}")
        self.key = key


class InputError(UserError):
    """A missing or corrupt input file."""


def first_line(error: BaseException) -> str:
    """An exception's message cut to one line (its type name when it has none), for UserErrors."""
    return str(error).splitlines()[0] if str(error) else type(error).__name__
