"""``intake outbox`` read straight from the database (:mod:`.direct`) and printed as the full
command line prints it (:func:`intake.cli.replies.outbox`): the same rich table, the same JSON."""

from __future__ import annotations

import json
import sqlite3

from intake.clock import jst_iso
from intake.quick.direct import Printed, Source, Unanswered, connect, stored
from intake.quick.printing import printed
from intake.quick.tables import outbox_table

COLUMNS = (
    "id, case_id, to_addr, subject, state, attempts, last_error, mailbox, template, message_id, "
    "in_reply_to, created_at, next_attempt_at, sent_at, server_reply, author, cc"
)


def options(args: list[str]) -> tuple[str | None, bool]:
    """``--state`` (the last one given) and ``--json``."""
    state, as_json = None, False
    rest = iter(args)
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name == "--state":
            state = value if equals else next(rest)
        elif arg == "--json":
            as_json = True
        else:
            raise Unanswered(arg)
    return state, as_json


def answer(args: list[str], source: Source) -> Printed:
    """What ``intake outbox ARGS`` prints, read from the database."""
    state, as_json = options(args)
    conn = connect(source.database, source.timeout)
    try:
        items = [reply_item(row) for row in replies(conn, state)]
    finally:
        conn.close()
    if as_json:
        return Printed(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    return Printed(printed(outbox_table(items, source.rules)))


def replies(conn: sqlite3.Connection, state: str | None) -> list[sqlite3.Row]:
    """:func:`intake.replies.outbox.list_replies`: newest first."""
    where, params = ("WHERE state = ?", [state]) if state else ("", [])
    return conn.execute(f"SELECT {COLUMNS} FROM outboxreply {where} ORDER BY id DESC", params).fetchall()


def reply_item(row: sqlite3.Row) -> dict:
    """:func:`intake.secretariat.views.reply_item`, key for key."""
    return {
        "id": row["id"],
        "case_id": row["case_id"],
        "to": row["to_addr"],
        "subject": row["subject"],
        "state": row["state"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "mailbox": row["mailbox"],
        "template": row["template"],
        "message_id": row["message_id"],
        "in_reply_to": row["in_reply_to"] or None,
        "created_at": jst_iso(stored(row["created_at"])),
        "next_attempt_at": jst_iso(stored(row["next_attempt_at"])) if row["state"] == "queued" else None,
        "sent_at": jst_iso(stored(row["sent_at"])),
        "server_reply": row["server_reply"],
        "author": row["author"],
        "cc": row["cc"],
    }
