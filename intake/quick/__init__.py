"""The staff's read-only commands answered without loading the whole program: by the running
service over its socket, else (on SQLite) from the database, else by the full CLI.

Only the standard library (and rich, to print a table) is imported here; anything
:mod:`.commands` does not recognise goes to :func:`intake.cli.main` unchanged, so what a command
prints never depends on the path that answered.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NamedTuple

from intake.quick.client import ask_service
from intake.quick.commands import Request, parse
from intake.quick.settings import (
    archive_folder,
    config_file,
    data_folder,
    lock_timeout,
    read_config,
    rules_dir,
    sqlite_file,
)

#: the commands read straight from SQLite when no service answers
DIRECT = ("queue", "show", "outbox", "audit", "status")


if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from intake.quick.direct import Printed, Source


class Answered(NamedTuple):
    stdout: str
    stderr: str
    exit_code: int
    path: str  # which path answered, for --verbose


def main(argv: list[str] | None = None) -> None:
    """The ``intake`` command: a read-only command answered quickly when it can be, else the full CLI."""
    args = sys.argv[1:] if argv is None else argv
    request = parse(args)
    printed = None if request is None else quick_answer(request)
    if printed is None:
        from intake.cli import main as full_main  # typer, rich, pydantic, the database layer

        full_main(args)
        return
    if request is not None and request.verbose:
        sys.stderr.write(f"intake: {printed.path}\n")
    sys.stdout.write(printed.stdout)
    sys.stdout.flush()
    sys.stderr.write(printed.stderr)
    sys.exit(printed.exit_code)


def quick_answer(request: Request) -> Answered | None:
    """The running service's answer, else the database's (:data:`DIRECT`, SQLite), else None."""
    file = config_file(request.config)
    data = read_config(file)
    if data is None:
        return None
    folder = data_folder(data, file.parent)
    answer = None if folder is None else ask_service(request, file, folder)
    if answer is not None:
        path = f"answered by the running service ({answer.socket})"
        return Answered(answer.stdout, answer.stderr, answer.exit_code, path)
    database = sqlite_file(data, file.parent)
    if request.command[0] not in DIRECT or database is None:
        return None
    return _read_directly(request.command, database, data, file.parent)


def _read_directly(command: list[str], database: Path, data: dict, base: Path) -> Answered | None:
    """``command`` answered from the SQLite file ``database``, or None (the full CLI answers)."""
    import sqlite3

    from intake.quick.direct import Source, Unanswered

    source = Source(database, lock_timeout(data), rules_dir(data, base), data, archive_folder(data, base))
    try:
        read = _reader(command[0])(command[1:], source)
    except (Unanswered, sqlite3.Error, StopIteration, LookupError, TypeError, ValueError, AttributeError):
        return None  # the full command line answers, and says what is wrong if anything is
    return Answered(read.stdout, read.stderr, read.exit_code, f"read from the database directly ({database})")


def _reader(command: str) -> Callable[[list[str], Source], Printed]:
    """The command's reader of the database (rich and the labels load only then)."""
    if command == "queue":
        from intake.quick import queue

        return queue.answer
    if command == "status":
        from intake.quick import status

        return status.answer
    if command == "show":
        from intake.quick import show

        return show.answer
    if command == "audit":
        from intake.quick import audit

        return audit.answer
    from intake.quick import outbox

    return outbox.answer


__all__ = ["Request", "main"]
