"""Cases for the merge tests, made the real way: mail delivered to a Maildir mailbox and polled.

A membership application that asks for secret information but came without its 事務従事者登録届
(``staff_registration_required``), then the registration from a colleague's address, opening a case
of its own; encrypted variants wait for the phoned-in password."""

from __future__ import annotations

import json
import mailbox
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel

from intake.clock import JST
from intake.forms import write_application, write_staff_registration
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import encrypt_agile
from support.samples import APPLICATION, PEOPLE

ORG = APPLICATION["org_name"]
PASSWORD = "Kasumigaseki#2026-Tel"
FIRST = "協議会 花子 <hanako@example.co.jp>"
SECOND = "協議会 太郎 <taro@example.co.jp>"


def membership_mailbox(workspace) -> Path:
    """The membership Maildir; replies held (no SMTP); recruitment open around today."""
    today = datetime.now(JST).date()
    workspace.extra = f"""
[replies]
mode = "hold"

[membership]
recruitment_periods = [ {{ start = "{today - timedelta(days=7)}", end = "{today + timedelta(days=7)}" }} ]
"""
    path = workspace.add_maildir(
        profile="membership", name="kyogikai", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    assert workspace.cli("init").returncode == 0
    return path


def deliver(path: Path, **mail) -> str:
    """One mail into the Maildir; returns its Message-ID."""
    raw = make_mail(**mail)
    mailbox.Maildir(path, create=False).add(raw)
    return next(line for line in raw.decode().splitlines() if line.startswith("Message-ID:")).split(": ", 1)[
        1
    ]


def poll(workspace) -> None:
    result = workspace.cli("poll", "--json")
    assert result.returncode == 0, result.stderr
    for counts in json.loads(result.stdout)["mailboxes"]:
        assert counts["quarantined"] == 0, counts


def application_file(*, encrypted: bool = False) -> tuple[str, bytes, str]:
    data = write_application(APPLICATION)
    data = encrypt_agile(data, PASSWORD) if encrypted else data
    return (f"{_yymmdd()}_協議会加入申込書（{ORG}）.docx", data, DOCX_TYPE)


def staff_file(*, encrypted: bool = False) -> tuple[str, bytes, str]:
    data = write_staff_registration(ORG, [dict(p, application_type="新規") for p in PEOPLE[:1]])
    data = encrypt_agile(data, PASSWORD) if encrypted else data
    return (f"{_yymmdd()}_事務従事者登録届（{ORG}）.docx", data, DOCX_TYPE)


def _yymmdd() -> str:
    return datetime.now(JST).strftime("%y%m%d")


def two_cases(workspace, *, encrypted_second: bool = False) -> tuple[str, str, str]:
    """The application (first case) and the staff registration from a colleague (second case);
    returns both case ids and the second mail's Message-ID."""
    path = membership_mailbox(workspace)
    deliver(path, sender=FIRST, subject="加入申込書の送付", attachments=[application_file()])
    poll(workspace)
    second_id = deliver(
        path,
        sender=SECOND,
        subject="事務従事者登録届の送付",
        attachments=[staff_file(encrypted=encrypted_second)],
    )
    poll(workspace)
    queue = json.loads(workspace.cli("queue", "--json").stdout)
    first, second = sorted(c["id"] for c in queue)
    return first, second, second_id


def snapshot(engine) -> dict[str, list[dict]]:
    """Every row that belongs to a case (each table with a case_id, and the cases), for comparing
    before and after: the audit log left out (it only grows), findings as their open codes (they
    are evaluated again), the cases without their last-change time."""
    tables = [t for t in SQLModel.metadata.sorted_tables if "case_id" in t.c or t.name == "case"]
    found: dict[str, list[dict]] = {}
    with Session(engine) as session:
        for table in tables:
            if table.name == "auditentry":
                continue
            rows = [dict(r._mapping) for r in session.execute(sa_select(table))]
            if table.name == "finding":
                rows = [
                    {k: r[k] for k in ("case_id", "code", "severity", "message_ja")}
                    for r in rows
                    if r["open"]
                ]
            if table.name == "case":
                rows = [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]
            found[table.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return found
