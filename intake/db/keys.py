"""A stored row's key: a table's ``id`` is ``None`` only on a row not yet flushed into the database,
so code holding a row read from its table (or flushed) takes the key as a plain ``int``.
"""

from __future__ import annotations

from typing import Protocol


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: _Keyed) -> int:
    """The key of a row read from its table or flushed into it — such a row always has one."""
    assert row.id is not None, f"{type(row).__name__} has no key: it was never flushed"
    return row.id
