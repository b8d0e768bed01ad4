"""``intake show CASE`` read straight from the database (:mod:`.direct`) and the archive, and
printed as the full command line prints it (:func:`intake.cli.cases.show`): the same drawing
(:mod:`.case_text`), the same JSON.

What needs more than the standard library, the mail parser and the form descriptions goes to the
full command line: a protected (signed or encrypted) message, which only the keys open; an
acceptance in the history, summed up from the register.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from intake.archive import Archive
from intake.clock import jst_iso
from intake.errors import IntakeError, NotFound
from intake.forms.spec import load_form_specs as form_specs
from intake.forms.stored import nested, stored_items
from intake.mail.parse import ParsedMessage, parse_message
from intake.mail.shown import MAX_SHOWN, incoming_text
from intake.mail.structure import Limits, check_raw, may_be_protected
from intake.quick.case_text import draw_case, form_names, history_row
from intake.quick.direct import (
    QUEUE_COLUMNS,
    Printed,
    Source,
    Unanswered,
    connect,
    stored,
    today_start,
)
from intake.quick.direct import queue_item as listed
from intake.quick.printing import printed_with

DETECTED, NOT_SCANNED = "malware_detected", "attachment_not_scanned"  # as intake.cases.scans
SUMMED_UP = ("acceptance", "acceptance_undone", "accept_override_missing")  # intake.secretariat.accepting
MIB = 1024 * 1024


def answer(args: list[str], source: Source) -> Printed:
    """What ``intake show CASE [--json]`` prints, read from the database and the archive."""
    as_json = "--json" in args
    named = [arg for arg in args if arg != "--json"]
    if len(named) != 1:
        raise Unanswered("the full command line says what is missing")
    conn = connect(source.database, source.timeout)
    try:
        case = case_detail(conn, named[0], source.rules)
        texts = message_texts(conn, named[0], source)
        entries = _rows(conn, "auditentry", named[0])
    finally:
        conn.close()
    case["attached_messages"] = [a for text in texts for a in text.get("attached", ())]
    for message, text in zip(case["messages"], texts, strict=True):
        message["segments"] = text.get("segments", [])
    if as_json:
        return Printed(json.dumps(case, ensure_ascii=False, indent=2) + "\n")
    if any(e["action"] in SUMMED_UP for e in entries):
        raise Unanswered("an acceptance in the history: the full command line sums it up")
    forms = form_names(form_specs(source.rules)) if {"application", "staff"} & case["fields"].keys() else {}
    history = [
        history_row(jst_iso(stored(e["at"])), e["by"], e["action"], e["detail"], source.rules)
        for e in entries
    ]
    shown = [t.get("text", "") for t in texts]
    return Printed(printed_with(lambda out: draw_case(out, case, shown, history, forms, source.rules)))


def case_detail(conn: sqlite3.Connection, case_id: str, rules: Path) -> dict:
    """:func:`intake.secretariat.views.case_detail`, key for key."""
    row = conn.execute(
        f'SELECT {QUEUE_COLUMNS}, forwarded, purged_at FROM "case" WHERE id = ?', [case_id]
    ).fetchone()
    if row is None:
        raise Unanswered(f"no case {case_id}: the full command line says so")
    findings = _rows(conn, "finding", case_id)
    case = listed(row, [f["code"] for f in findings if f["open"]], today_start())
    case["forwarded"] = bool(row["forwarded"])
    case["purged_at"] = jst_iso(stored(row["purged_at"]))
    merged = conn.execute('SELECT id FROM "case" WHERE merged_into = ? ORDER BY id', [case_id])
    case["merged_from"] = [r[0] for r in merged]
    case["findings"] = [_finding(f) for f in findings]
    security = _security(conn, case_id)
    case["messages"] = [_message(m, security) for m in _rows(conn, "message", case_id)]
    case["attachments"] = _attachments(conn, case_id)
    case["password_mails"] = _password_mails(conn, case_id)
    offered = conn.execute(_OFFERED_ELSEWHERE, [case_id])
    case["password_mail_offered_on"] = sorted({r[0] for r in offered})
    case["fields"] = _fields(conn, case_id, row["kind"], rules)
    case["notes"] = [
        {"at": jst_iso(stored(n["at"])), "by": n["by"], "text": n["text"]}
        for n in _rows(conn, "note", case_id)
    ]
    return case


_OFFERED_ELSEWHERE = (
    "SELECT passwordoffer.case_id FROM passwordoffer JOIN message ON message.id = passwordoffer.message_pk "
    "WHERE message.case_id = ?"
)


def _rows(conn: sqlite3.Connection, table: str, case_id: str) -> list[sqlite3.Row]:
    return conn.execute(f"SELECT * FROM {table} WHERE case_id = ? ORDER BY id", [case_id]).fetchall()


def _finding(f: sqlite3.Row) -> dict:
    return {
        "code": f["code"],
        "severity": f["severity"],
        "message_ja": f["message_ja"],
        "message_en": f["message_en"],
        "open": bool(f["open"]),
        "opened_at": jst_iso(stored(f["opened_at"])),
        "resolved_at": jst_iso(stored(f["resolved_at"])),
    }


def _security(conn: sqlite3.Connection, case_id: str) -> dict[int, dict]:
    """:func:`intake.secretariat.security.security_by_message`."""
    query = "SELECT * FROM messagesecurity WHERE case_id = ? ORDER BY message_pk"
    return {
        row["message_pk"]: {
            "authentication": row["auth"],
            "authentication_detail": row["auth_detail"],
            "protection": row["scheme"] or None,
            "encrypted": bool(row["encrypted"]),
            "decrypted": bool(row["decrypted"]),
            "signature": row["signature"] or None,
            "signer": row["signer"] or None,
            "signer_matches_from": None if row["signer_matches"] is None else bool(row["signer_matches"]),
            "problem": row["problem"] or None,
        }
        for row in conn.execute(query, [case_id])
    }


def _message(m: sqlite3.Row, security: dict[int, dict]) -> dict:
    """:func:`intake.secretariat.views._message`, key for key."""
    return {
        "id": m["id"],
        "security": security.get(m["id"]),
        "message_id": m["message_id"],
        "direction": m["direction"],
        "sent_elsewhere": _sent_elsewhere(m),
        "from": m["from_addr"],
        "from_name": m["from_name"],
        "subject": m["subject"],
        "date": jst_iso(stored(m["date"])),
        "received_at": jst_iso(stored(m["received_at"])),
        "no_reply_reason": m["no_reply_reason"],
        "forwarded": bool(m["forwarded"]),
    }


def _sent_elsewhere(m: sqlite3.Row) -> bool:
    return m["direction"] == "out" and bool(m["sha256"]) and not m["source_ref"].startswith("outbox:")


def _attachments(conn: sqlite3.Connection, case_id: str) -> list[dict]:
    """:func:`intake.secretariat.views._attachment` of each, with what ClamAV found."""
    scans = []
    query = "SELECT action, detail FROM auditentry WHERE case_id = ? AND action IN (?, ?) ORDER BY id"
    for action, detail in conn.execute(query, [case_id, DETECTED, NOT_SCANNED]):
        try:
            fact = json.loads(detail)
            scans.append(
                (
                    int(fact["attachment"]),
                    str(fact.get("file", "")),
                    str(fact.get("signature", "")) if action == DETECTED else "",
                    str(fact.get("reason", "")),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    found = []
    for a in _rows(conn, "attachment", case_id):
        own = [s for s in scans if s[0] == a["id"]]
        found.append(
            {
                "id": a["id"],
                "filename": a["filename"],
                "format": a["format"],
                "encrypted": bool(a["encrypted"]),
                "state": a["state"],
                "document": a["document"],
                "size": a["size"],
                "detail": a["detail"],
                "attempts": a["attempts"],
                "malware": list(dict.fromkeys(s[2] for s in own if s[2])),
                "not_scanned": [{"file": s[1], "reason": s[3]} for s in own if not s[2]],
            }
        )
    return found


def _password_mails(conn: sqlite3.Connection, case_id: str) -> list[dict]:
    """:func:`intake.cases.password_mail.password_mails`: its own, then those offered on it."""
    own = conn.execute(
        "SELECT id, case_id, from_addr, purged_at FROM message WHERE case_id = ? AND password_in_text = 1 "
        "ORDER BY id",
        [case_id],
    ).fetchall()
    offered = conn.execute(
        "SELECT message.id, message.case_id, message.from_addr, message.purged_at FROM message "
        "JOIN passwordoffer ON passwordoffer.message_pk = message.id WHERE passwordoffer.case_id = ? "
        "ORDER BY passwordoffer.id",
        [case_id],
    ).fetchall()
    rows = [(m, False) for m in own] + [(m, True) for m in offered if m["case_id"] != case_id]
    return [
        {"id": m["id"], "case_id": m["case_id"], "from": m["from_addr"], "offered": was_offered}
        for m, was_offered in rows
        if m["purged_at"] is None
    ]


def _fields(conn: sqlite3.Connection, case_id: str, kind: str, rules: Path) -> dict:
    """:func:`intake.secretariat.views.case_fields`: what was read for the case, only what applies
    to its kind (a form's items as ``rules/forms`` declares them)."""
    if kind == "incident_report":
        return _incident(conn.execute("SELECT * FROM incidentrecord WHERE case_id = ?", [case_id]).fetchone())
    fields: dict = {}
    applications = _rows(conn, "applicationform", case_id)
    staff = _rows(conn, "staffentry", case_id)
    if not applications and not staff and kind != "staff_registration":
        return fields
    specs = form_specs(rules)
    if applications:
        fields["application"] = nested(stored_items(dict(applications[-1]), specs["application"]))
    if staff or kind == "staff_registration":
        fields["staff"] = [stored_items(dict(row), specs["staff_registration"]) for row in staff]
    return fields


def _incident(record: sqlite3.Row | None) -> dict:
    def value(key: str):
        return record[key] if record is not None else None

    return {
        "incident": {
            "secret_designation": value("secret_designation"),
            "secret_detail": value("secret_detail"),
            "sharing_scope": value("sharing_scope"),
            "tlp": value("tlp"),
            "external_coordination": value("external_coordination"),
            "coordination_detail": value("coordination_detail"),
            "decision": {
                "secret": value("decided_secret"),
                "sharing_scope": value("decided_scope"),
                "by": value("decided_by"),
                "at": jst_iso(stored(value("decided_at"))),
            },
        }
    }


def message_texts(conn: sqlite3.Connection, case_id: str, source: Source) -> list[dict]:
    """:func:`intake.secretariat.views.message_texts`: each message's text, its segments and the
    messages attached to it."""
    replies = {f"outbox:{r['id']}": r for r in _rows(conn, "outboxreply", case_id)}
    protected = {pk for pk, said in _security(conn, case_id).items() if said["protection"]}
    if source.archive is None:
        raise Unanswered("storage.archive_dir: the full command line says what is wrong")
    archive, limits = Archive(source.archive), _limits(source.config)
    texts = []
    for m in _rows(conn, "message", case_id):
        if m["purged_at"] is not None and m["sha256"]:
            texts.append({"text": ""})
        elif _sent_elsewhere(m):
            parsed = _archived(archive, m, protected, limits)
            texts.append({"text": parsed.body_text[:MAX_SHOWN] if parsed is not None else ""})
        elif m["direction"] == "in":
            parsed = _archived(archive, m, protected, limits)
            texts.append(
                incoming_text(
                    parsed, m["id"], password_in_text=bool(m["password_in_text"]), subject=m["subject"]
                )
            )
        else:
            reply = replies.get(m["source_ref"])
            texts.append({"text": reply["body"] if reply is not None else ""})
    return texts


def _archived(archive: Archive, m: sqlite3.Row, protected: set[int], limits: Limits) -> ParsedMessage | None:
    """The archived message of row ``m``, parsed (None: its file is missing); a protected one is
    the full command line's, which holds the keys."""
    if m["id"] in protected:
        raise Unanswered("a protected message: the full command line opens it")
    try:
        raw = archive.load(m["sha256"])
    except NotFound:  # its archived bytes are not where they should be: the rest still shows
        return None
    if may_be_protected(raw):
        raise Unanswered("a message that may be protected: the full command line opens it")
    try:
        check_raw(raw, limits)
        return parse_message(raw, limits=limits)
    except IntakeError as exc:
        raise Unanswered(str(exc)) from None


def _limits(config: dict) -> Limits:
    """``[limits]`` as :meth:`Limits.from_config` reads it (the configuration's defaults where unset)."""
    given = config.get("limits", {})
    return Limits(
        max_message_bytes=int(given.get("max_message_mb", 30.0) * MIB),
        max_attachment_bytes=int(given.get("max_attachment_mb", 20.0) * MIB),
        max_parts=int(given.get("max_parts", 200)),
        max_depth=int(given.get("max_depth", 20)),
        max_header_line_bytes=int(given.get("max_header_line_kb", 64.0) * 1024),
    )
