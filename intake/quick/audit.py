"""``intake audit [CASE]`` read straight from the database (:mod:`.direct`) and printed as the
full command line prints it (:func:`intake.cli.cases.audit`): the same table, the same JSON."""

from __future__ import annotations

import json

from intake.quick.direct import Printed, Source, Unanswered, connect, stored
from intake.quick.printing import printed
from intake.quick.tables import audit_item, audit_table

COLUMNS = 'id, at, "by", case_id, action, detail'


def answer(args: list[str], source: Source) -> Printed:
    """What ``intake audit [CASE] [--json]`` prints: the audit log (of one case), oldest first."""
    as_json = "--json" in args
    named = [arg for arg in args if arg != "--json"]
    if len(named) > 1:
        raise Unanswered("the full command line says what is wrong")
    conn = connect(source.database, source.timeout)
    try:
        if named and conn.execute('SELECT 1 FROM "case" WHERE id = ?', named).fetchone() is None:
            raise Unanswered(f"no case {named[0]}: the full command line says so")
        where, params = ("WHERE case_id = ?", named) if named else ("", [])
        rows = conn.execute(f"SELECT {COLUMNS} FROM auditentry {where} ORDER BY id", params).fetchall()
    finally:
        conn.close()
    items = [
        audit_item(r["id"], stored(r["at"]), r["by"], r["case_id"], r["action"], r["detail"]) for r in rows
    ]
    if as_json:
        return Printed(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    return Printed(printed(audit_table(items)))
