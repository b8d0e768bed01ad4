"""``intake status`` read straight from the database (:mod:`.direct`) and printed as the full
command line prints it (:func:`intake.cli.servers.status`): the same table, JSON and exit codes.

Which servers there are and how each signs in comes from the configuration's TOML: only the plain
cases (Maildir and IMAP mailboxes, SMTP, signed in with a password or a token command) are read
here; OAuth2, Microsoft Graph or anything unexpected goes to the full command line.
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

PLAIN_AUTH = ("password", "command")
OVERDUE_EXIT = 4  # as intake.cli.servers.OVERDUE_EXIT
HEALTH = "name, state, auth_kind, last_success_at, last_error, last_error_at, failing_since, token_expires_at, backlog"


def servers_of(config: dict) -> list[tuple[str, str, str]]:
    """(health row name, kind, auth) of each configured mailbox, then SMTP unless replies are off."""
    found = []
    for mailbox in config.get("mailbox", []):
        source = mailbox.get("source")
        if source == "maildir":
            found.append((f"mailbox:{mailbox['name']}", "maildir", "-"))
        elif source == "imap":
            found.append((f"mailbox:{mailbox['name']}", "imap", _plain_auth(mailbox)))
        else:
            raise Unanswered(f"a {source} mailbox: the full command line says how it signs in")
    if config.get("replies", {}).get("mode", "send") != "off":
        smtp = config.get("smtp", {})
        if smtp.get("transport", "smtp") != "smtp":
            raise Unanswered("replies through Microsoft Graph")
        found.append(("smtp", "smtp", _plain_auth(smtp)))
    return found


def _plain_auth(server: dict) -> str:
    auth = server.get("auth", "password")
    if auth not in PLAIN_AUTH:
        raise Unanswered(f"auth = {auth!r}")
    return auth


def answer(args: list[str], source: Source) -> Printed:
    """What ``intake status ARGS`` prints (standard output and error) and its exit code."""
    if any(arg != "--json" for arg in args):
        raise Unanswered(" ".join(args))
    configured = servers_of(source.config)
    failing_minutes = source.config.get("monitoring", {}).get("failing_minutes", 30)
    conn = connect(source.database, source.timeout)
    try:
        rows = {row["name"]: row for row in conn.execute(f"SELECT {HEALTH} FROM serverhealth")}
        items = [_item(name, kind, auth, rows.get(name)) for name, kind, auth in configured]
        counts = _counts(conn)
        alerting = _alerting(rows, {name for name, _, _ in configured}, failing_minutes)
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


def _item(name: str, kind: str, auth: str, row: sqlite3.Row | None) -> dict:
    """:func:`intake.secretariat.servers._item`, key for key."""
    state = row["state"] if row else "never"
    return {
        "name": name.removeprefix("mailbox:"),
        "kind": kind,
        "auth": auth,
        "state": state,
        "last_success_at": jst_iso(stored(row["last_success_at"])) if row else None,
        "last_error": row["last_error"] if row and state != "ok" else None,
        "last_error_at": jst_iso(stored(row["last_error_at"])) if row else None,
        "failing_since": jst_iso(stored(row["failing_since"])) if row else None,
        "token_expires_at": jst_iso(stored(row["token_expires_at"])) if row else None,
        "backlog": row["backlog"] if row else None,
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
