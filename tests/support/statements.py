"""Counting the SQL statements a piece of work sends, whatever engine it makes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def counted() -> Iterator[list[tuple[str, object]]]:
    """The SQL statements (with their parameters) every engine of this process sends in the
    block: the command line makes its own engine."""
    sent: list[tuple[str, object]] = []

    def count(_conn, _cursor, statement, parameters, *_args) -> None:
        sent.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", count)
