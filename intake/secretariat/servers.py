"""The mail servers as staff and monitoring see them: each mailbox's and SMTP's last success,
last error and backlog, the outbox and quarantine counts, and the alert lines shown at the top of
the queue and the desk while a server fails (a mailbox silently not fetched is the failure
nobody notices)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from intake.access import health
from intake.clock import jst_iso
from intake.config import Config
from intake.db.tables import OutboxReply, QuarantineEntry, ServerHealth
from intake.secretariat.labels import server_state_label
from intake.sources import kind_of


def servers(session: Session, config: Config) -> list[dict]:
    """One item per configured mailbox, and SMTP, in configuration order."""
    rows = {row.name: row for row in health.all_servers(session)}
    items = [
        _item(f"mailbox:{mb.name}", kind_of(mb).sign_in(mb), rows.get(f"mailbox:{mb.name}"), mb.source)
        for mb in config.mailbox
    ]
    if config.replies.mode != "off":
        items.append(_item("smtp", config.smtp.sign_in, rows.get("smtp"), "smtp"))
    return items


def _item(name: str, sign_in: str, row: ServerHealth | None, kind: str) -> dict:
    row = row or ServerHealth(name=name, state="never")
    return {
        "name": health.display_name(name),
        "kind": kind,
        "auth": sign_in,
        "state": row.state,
        "last_success_at": jst_iso(row.last_success_at),
        "last_error": row.last_error if row.state != "ok" else None,
        "last_error_at": jst_iso(row.last_error_at),
        "failing_since": jst_iso(row.failing_since),
        "token_expires_at": jst_iso(row.token_expires_at),
        "backlog": row.backlog,
    }


def counts(session: Session) -> dict:
    by_state = dict(session.exec(select(OutboxReply.state, func.count()).group_by(OutboxReply.state)).all())
    waiting = session.exec(
        select(func.count()).select_from(QuarantineEntry).where(QuarantineEntry.state == "open")
    ).one()
    return {"outbox": by_state, "quarantine": waiting}


def alerts(session: Session, config: Config) -> list[str]:
    """Japanese lines for the top of the queue and the desk, one per failing server of this
    configuration (a mailbox since removed, or SMTP while replies are off, is not shown)."""
    shown = configured(config)
    lines = []
    for row in health.failing(session):
        if row.name not in shown:
            continue
        who = (
            "送信サーバ（SMTP）" if row.name == "smtp" else f"メールボックス {health.display_name(row.name)}"
        )
        since = jst_iso(row.failing_since) or "?"
        state = server_state_label(row.state, config.rules_path)
        lines.append(f"{who}: {state} — {since} から: {row.last_error or ''}")
    return lines


def configured(config: Config) -> set[str]:
    names = {f"mailbox:{mb.name}" for mb in config.mailbox}
    return names | ({"smtp"} if config.replies.mode != "off" else set())


def alerting(session: Session, config: Config) -> list[str]:
    """The servers failing at least ``[monitoring] failing_minutes``: ``intake status`` exits 1."""
    rows = health.failing_longer_than(session, config.monitoring.failing_minutes)
    return [health.display_name(row.name) for row in rows if row.name in configured(config)]
