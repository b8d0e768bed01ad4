"""The ``intake`` command line (typer; rich tables for people, ``--json`` for programs).

Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error, 3 wrong password.
Errors are one plain line on standard error, never a traceback with local values.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from intake.cli.runtime import Runtime
from intake.errors import IntakeError
from intake.poller import database_problem

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # pretty tracebacks print local variables: never, they may hold secrets
    help="Mail intake for the Cybersecurity Council secretariat.",
)


@app.callback()
def _global(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Configuration file (default: $INTAKE_CONFIG, else ./config.toml)."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Operator name for the audit log (default: OS user).")
    ] = None,
) -> None:
    ctx.obj = Runtime(config_file=config, operator=by)


from intake.cli import casecmds, democmd, mailcmds, replycmds, staffcmds, unlockcmds  # noqa: E402,F401  (commands register themselves)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; our own errors become one line on standard error and their exit code."""
    no_core_dumps()
    try:
        app(args=argv)  # usage errors exit 2 and --help exits 0 inside
    except IntakeError as exc:
        typer.echo(f"intake: {exc}", err=True)
        sys.exit(exc.exit_code)
    except OperationalError as exc:  # the database itself (held too long by another program, disk full)
        typer.echo(f"intake: {database_problem(exc)}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: one line, and the trace only when asked for
        if os.environ.get("INTAKE_DEBUG"):
            raise
        typer.echo(
            f"intake: internal error ({exc.__class__.__name__}: {exc}); INTAKE_DEBUG=1 shows the trace",
            err=True,
        )
        sys.exit(1)


def no_core_dumps() -> None:
    """A crashing intake must not leave its memory (a typed password, a decrypted form) on disk."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
