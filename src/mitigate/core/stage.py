"""Entry point shared by the stage scripts: user errors become one line on stderr and exit 1."""
import sys
from collections.abc import Callable

from .errors import UserError


def run_stage(main: Callable[[], None]) -> None:
    try:
        main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
