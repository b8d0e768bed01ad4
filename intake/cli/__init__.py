"""The ``intake`` command line (typer; rich tables for people, ``--json`` for programs).

One module per command group, as the README lists them: :mod:`.mail` (init, poll, run,
quarantine, reprocess), :mod:`.cases` (queue, show, note, set-status, assign, decide, audit, digest),
:mod:`.accepting` (accept), :mod:`.unlock` (unlock, expect-password), :mod:`.replies` (outbox, send),
:mod:`.report` (report), :mod:`.register` (register, roster,
export), :mod:`.desk` (desk, user), :mod:`.servers` (status, doctor, auth), :mod:`.backup` (backup,
restore), :mod:`.privacy` (purge, person), :mod:`.search` (search), :mod:`.service` (service-unit)
and :mod:`.tools` (demo, sweep, check-office, check-forms).

Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error, 3 wrong password;
``intake status`` also 4: a case is overdue.
Errors are one plain line on standard error, never a traceback with local values.

A command module imports at its top only what every command shares (typer, rich, the runtime);
each command imports what it works with when it runs, so ``intake --help`` and each command load
only their own (``tests/test_startup.py`` shows which libraries each loads).
"""

from __future__ import annotations

import os
import resource
import sys
from typing import TYPE_CHECKING, TypeGuard

import typer

from intake.cli import (  # noqa: F401  (commands register themselves)
    accepting,
    backup,
    cases,
    desk,
    mail,
    privacy,
    register,
    replies,
    report,
    search,
    servers,
    service,
    tools,
    unlock,
)
from intake.cli.app import app
from intake.cli.runtime import said
from intake.errors import IntakeError

if TYPE_CHECKING:
    from sqlalchemy.exc import OperationalError  # for the type only: SQLAlchemy loads when a command needs it


def main(argv: list[str] | None = None) -> None:
    """Run the command line; our own errors become one line on standard error and their exit code."""
    no_core_dumps()
    try:
        app(args=argv)  # usage errors exit 2 and --help exits 0 inside
    except IntakeError as exc:
        typer.echo(f"intake: {said(exc)}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if database_error(exc):  # the database itself (held too long by another program, disk full)
            from intake.runner.poller import database_problem

            typer.echo(f"intake: {database_problem(exc)}", err=True)
            sys.exit(1)
        if os.environ.get("INTAKE_DEBUG"):  # a bug: one line, and the trace only when asked for
            raise
        typer.echo(
            f"intake: internal error ({exc.__class__.__name__}: {exc}); INTAKE_DEBUG=1 shows the trace",
            err=True,
        )
        sys.exit(1)


def database_error(exc: Exception) -> TypeGuard[OperationalError]:
    """Whether ``exc`` is SQLAlchemy's OperationalError (a command that never loaded SQLAlchemy
    cannot have raised one, so it is not loaded to ask)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.OperationalError)


def no_core_dumps() -> None:
    """A crashing intake must not leave its memory (a typed password, a decrypted form) on disk."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
