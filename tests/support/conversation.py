"""A conversation with intake as senders have it: mail delivered to Dovecot, ``intake poll`` run as
staff run it, and the replies read from what the SMTP server received."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

JST = timezone(timedelta(hours=9))
INCIDENT = "csc-anken@example.jp"
MEMBERSHIP = "kyogikai-shomu@example.jp"
ACK = "受付を完了しました"
# The reply's checklist lines (rules/findings.toml): what a reporter is asked, item by item.
ASK = {
    1: "確認①（秘密指定の有無）について、ご回答欄にご記入ください",
    2: "確認②（情報の共有範囲）について、ご回答欄にご記入ください",
    3: "確認③（協議会事務局外への対応調整の要否）について、ご回答欄にご記入ください",
}
BLOCK_LINE = {
    1: "確認①（秘密指定の有無）：",
    2: "確認②（情報の共有範囲）：",
    3: "確認③（協議会事務局外への対応調整の要否）：",
}


def setup(workspace, dovecot, *, smtp_port: int, cap: int = 10, backlog: int = 24, replies_extra: str = ""):
    """Two IMAP mailboxes on Dovecot (incident + membership), SMTP without TLS; returns the accounts."""
    today = datetime.now(JST).date()
    workspace.extra = f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
timeout = 5

[replies]
mode = "send"
max_per_sender_per_day = {cap}
backlog_age_hours = {backlog}
{replies_extra}

[membership]
recruitment_periods = [ {{ start = "{today - timedelta(days=10)}", end = "{today + timedelta(days=10)}" }} ]
"""
    incident, membership = dovecot.add_account(), dovecot.add_account()
    workspace.add_imap(incident, name="anken", profile="incident", prefix="CSC", address=INCIDENT)
    workspace.add_imap(
        membership, name="kyogikai", profile="membership", prefix="KYOGIKAI", address=MEMBERSHIP
    )
    init = workspace.cli("init")
    assert init.returncode == 0, init.stderr
    return incident, membership


def poll(workspace) -> dict:
    result = workspace.cli("poll", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def cli_json(workspace, *args: str):
    result = workspace.cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def body_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def delivered(server) -> list[EmailMessage]:
    return [d.message for d in server.handler.received]


def case_tag(message: EmailMessage) -> str:
    found = re.findall(r"\[([A-Z]+-\d{4}-\d{4})\]", message["Subject"])
    assert len(found) == 1, message["Subject"]
    return found[0]


def reply_to(parent: EmailMessage, text: str, *, sender: str, outlook: bool = False) -> bytes:
    """What a mail client sends when a person answers ``parent``: threaded; the parent quoted with
    「> 」, or as Outlook does, unquoted below an original-message header."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = parent["From"]
    msg["Subject"] = f"Re: {parent['Subject']}"
    msg["Date"] = format_datetime(datetime.now(JST))
    msg["Message-ID"] = make_msgid(domain="example.co.jp")
    msg["In-Reply-To"] = parent["Message-ID"]
    msg["References"] = f"{parent.get('References', '')} {parent['Message-ID']}".strip()
    if outlook:
        below = f"-----Original Message-----\nFrom: {parent['From']}\nSent: {parent['Date']}\n"
        below += f"To: {sender}\nSubject: {parent['Subject']}\n\n{body_of(parent)}"
    else:
        below = f"{parent['Date']}、{parent['From']} さんは書きました:\n"
        below += "".join(f"> {line}\n" for line in body_of(parent).splitlines())
    msg.set_content(f"{text}\n\n{below}")
    return msg.as_bytes()
