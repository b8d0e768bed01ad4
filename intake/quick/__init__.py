"""The staff's read-only commands answered without loading the whole program: by the running
service over its socket in the data folder, else by the full command line.

Only the standard library is imported here; anything :mod:`.commands` does not recognise goes to
:func:`intake.cli.main` unchanged, so what a command prints never depends on the path that answered.
"""

from __future__ import annotations

import sys

from intake.quick.client import ask_service
from intake.quick.commands import Request, parse


def main(argv: list[str] | None = None) -> None:
    """The ``intake`` command: a read-only command the running service answers, else the full CLI."""
    args = sys.argv[1:] if argv is None else argv
    request = parse(args)
    if request is not None:
        answer = ask_service(request)
        if answer is not None:
            if request.verbose:
                sys.stderr.write(f"intake: answered by the running service ({answer.socket})\n")
            sys.stdout.write(answer.stdout)
            sys.stdout.flush()
            sys.stderr.write(answer.stderr)
            sys.exit(answer.exit_code)
    from intake.cli import main as full_main  # typer, rich and the configuration's checks

    full_main(args)


__all__ = ["Request", "main"]
