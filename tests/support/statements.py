"""Counting the SQL statements a piece of work sends, whatever engine it makes, and reading how
SQLite plans them."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event

# Columns of a couple of values (a message comes in or goes out), which split a table in halves:
# an index need not narrow by them, as it must by every other column a lookup asks for.
HALVES = {"direction"}


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


def plan_of(conn: Connection, statement: str, parameters=()) -> list[str]:
    """SQLite's plan of ``statement``: one line a step."""
    return [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]


def narrows_to_key(step: str, statement: str, *, small: Collection[str] = ()) -> bool:
    """A step of a SQLite plan reads one of the ``small`` tables, or an index narrowed by every
    column the statement asks equal to a value (but ``HALVES``): an index of the mailbox alone
    walks the whole mailbox to find one Message-ID, a scan the whole table."""
    scan = re.match(r"SCAN (\w+)", step)
    if scan:
        return scan.group(1).strip('"') in small
    search = re.match(r"SEARCH (\w+) USING .*\((.*)\)$", step)
    if not search:
        return True  # a temporary B-tree, a subquery's heading: nothing read
    table, narrowed = search.group(1), set(re.findall(r"(\w+)[=<>]", search.group(2)))
    return key_of(statement, table) - HALVES <= narrowed


def key_of(statement: str, table: str) -> set[str]:
    """The columns of ``table`` the statement's WHERE asks equal to a value (``col = ?``)."""
    where = [*re.split(r"\sWHERE\s", statement, maxsplit=1), ""][1]
    own = rf'(?:"?{table}"?\.)' + ("?" if statement.lstrip().upper().startswith("UPDATE") else "")
    return set(re.findall(rf'(?<![\w."]){own}"?(\w+)"? = \?', where))
