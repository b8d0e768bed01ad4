"""A form's items as its stored row holds them (:mod:`intake.cases.formrows` writes the rows):
each item in the column named after its key, an item with no column yet in the row's
``detail_json`` under ``extra``. Plain mappings in and out, whatever read the row."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake.forms.spec import FormSpec

#: Columns of the forms' tables that hold no item of the form.
BOOKKEEPING = frozenset({"id", "case_id", "attachment_id", "position", "detail_json", "read_at"})


def column(key: str) -> str:
    """The column an item is stored in when its table has one: ``poc.name`` → ``poc_name``."""
    return key.replace(".", "_")


def stored_items(row: Mapping[str, Any], spec: FormSpec) -> dict[str, str | None]:
    """Every item ``spec`` declares, as ``row`` (column → value, every column of its table) holds
    it: from its column, else from the items kept without one (read before the column existed,
    or still without one)."""
    extra = json.loads(row.get("detail_json") or "{}").get("extra", {})
    values: dict[str, str | None] = {}
    for field in spec.fields:
        name = column(field.key)
        value = row[name] if name in row and name not in BOOKKEEPING else None
        values[field.key] = value if value is not None else extra.get(field.key)
    return values


def nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"poc.name": x}`` → ``{"poc": {"name": x}}`` (interface.md)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        head, dot, tail = key.partition(".")
        if dot:
            out.setdefault(head, {})[tail] = value
        else:
            out[key] = value
    return out
