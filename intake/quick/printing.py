"""Printing as the full command line's console does (``Console(highlight=False, soft_wrap=True)``
on standard output), for the commands answered straight from the database."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text


def printed(renderable: RenderableType, *, stderr: bool = False, **options: Any) -> str:
    """``renderable`` as the command line's console (``rt.out``, or ``rt.err``) prints it."""
    console = Console(highlight=False, soft_wrap=True, file=sys.stderr if stderr else sys.stdout)
    with console.capture() as capture:
        console.print(renderable, **options)
    return capture.get()


def printed_with(draw: Callable[[Console], None]) -> str:
    """What ``draw`` prints on the command line's console (``rt.out``)."""
    console = Console(highlight=False, soft_wrap=True, file=sys.stdout)
    with console.capture() as capture:
        draw(console)
    return capture.get()


def add_row(table: Table, *cells: object, style: str | None = None) -> None:
    """As :func:`intake.cli.runtime.add_row`: cells as plain text, never rich markup."""
    table.add_row(*(Text("" if c is None else str(c)) for c in cells), style=style)


__all__ = ["add_row", "printed", "printed_with"]
