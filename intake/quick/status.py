"""``intake status`` read straight from the database (:mod:`.direct`) and printed as the full
command line prints it (:func:`intake.cli.servers.status`): the same table, JSON and exit codes.

Which servers there are comes from the configuration's TOML; how each signs in, from what its last
poll or send kept in the health table (the source kinds say it, this module names none). A server
never tried yet, or anything unexpected, goes to the full command line.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intake.clock import as_utc, jst_iso
from intake.quick.direct import Printed, Source, Unanswered, bound, connect, stored, today_start
from intake.quick.printing import printed
from intake.quick.tables import counts_line, overdue_line, servers_table

OVERDUE_EXIT = 4  # as intake.cli.servers.OVERDUE_EXIT
HEALTH = "name, state, auth_kind, last_success_at, last_error, last_error_at, failing_since, token_expires_at, backlog"


def servers_of(config: dict) -> list[tuple[str, str]]:
    """(health row name, kind) of each configured mailbox, then SMTP unless replies are off."""
    found = [
        (f"mailbox:{mailbox['name']}", str(mailbox.get("source", "")))
        for mailbox in config.get("mailbox", [])
    ]
    if config.get("replies", {}).get("mode", "send") != "off":
        found.append(("smtp", "smtp"))
    return found


def answer(args: list[str], source: Source) -> Printed:
    """What ``intake status ARGS`` prints (standard output and error) and its exit code."""
    if any(arg != "--json" for arg in args):
        raise Unanswered(" ".join(args))
    configured = servers_of(source.config)
    failing_minutes = source.config.get("monitoring", {}).get("failing_minutes", 30)
    conn = connect(source.database, source.timeout)
    try:
        rows = {row["name"]: row for row in conn.execute(f"SELECT {HEALTH} FROM serverhealth")}
        items = [_item(name, kind, rows.get(name), source.config) for name, kind in configured]
        counts = _counts(conn)
        alerting = _alerting(rows, {name for name, _ in configured}, failing_minutes)
        overdue = conn.execute(
            'SELECT count(*) FROM "case" WHERE robot = 0 AND due_at < ?', [bound(today_start())]
        ).fetchone()[0]
    finally:
        conn.close()
    if "--json" in args:
        out = (
            json.dumps(
                {"servers": items, **counts, "overdue": overdue, "alerting": alerting},
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    else:
        out = printed(servers_table(items, source.rules)) + _lines(counts, overdue, source.rules)
    if alerting:
        said = f"failing for at least {failing_minutes} min: {', '.join(alerting)}"
        return Printed(out, printed(said, markup=False, stderr=True), 1)
    return Printed(out, "", OVERDUE_EXIT if overdue else 0)


def _item(name: str, kind: str, row: sqlite3.Row | None, config: dict) -> dict:
    """:func:`intake.secretariat.servers._item`, key for key; how the server signs in as its last
    poll or send kept it."""
    if row is None:
        return _untried(name, kind, config)
    state = row["state"]
    return {
        "name": name.removeprefix("mailbox:"),
        "kind": kind,
        "auth": row["auth_kind"],
        "state": state,
        "last_success_at": jst_iso(stored(row["last_success_at"])),
        "last_error": row["last_error"] if state != "ok" else None,
        "last_error_at": jst_iso(stored(row["last_error_at"])),
        "failing_since": jst_iso(stored(row["failing_since"])),
        "token_expires_at": jst_iso(stored(row["token_expires_at"])),
        "backlog": row["backlog"],
    }


def _counts(conn: sqlite3.Connection) -> dict:
    by_state = dict(conn.execute("SELECT state, count(*) FROM outboxreply GROUP BY state").fetchall())
    waiting = conn.execute("SELECT count(*) FROM quarantineentry WHERE state = 'open'").fetchone()[0]
    return {"outbox": by_state, "quarantine": waiting}


def _alerting(rows: dict, configured: set[str], minutes: int) -> list[str]:
    """:func:`intake.secretariat.servers.alerting`: failing at least ``minutes``, longest first."""
    limit = datetime.now(UTC) - timedelta(minutes=minutes)
    failing = sorted(
        (row for row in rows.values() if row["state"] != "ok"),
        key=lambda row: (row["failing_since"] is not None, row["failing_since"] or ""),
    )
    return [
        row["name"].removeprefix("mailbox:")
        for row in failing
        if row["failing_since"] and _utc(row["failing_since"]) <= limit and row["name"] in configured
    ]


def _utc(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value))


def _lines(counts: dict, overdue: int, rules: Path) -> str:
    return printed(counts_line(counts, rules), markup=False) + printed(
        overdue_line(overdue), style="bold red" if overdue else None, markup=False
    )


def _untried(name: str, kind: str, config: dict) -> dict:
    """A server not tried yet: SMTP signed in with a password or a command says so in its TOML; how
    a mailbox signs in is its source kind's to say (the full command line asks it)."""
    smtp = config.get("smtp", {})
    auth = smtp.get("auth", "password")
    if name != "smtp" or smtp.get("transport", "smtp") != "smtp" or auth not in ("password", "command"):
        raise Unanswered(f"{name} not tried yet: the full command line says how it signs in")
    empty = dict.fromkeys(
        ("last_success_at", "last_error", "last_error_at", "failing_since", "token_expires_at")
    )
    return {"name": name, "kind": kind, "auth": auth, "state": "never", **empty, "backlog": None}
