"""A real SMTP server for the reply tests (aiosmtpd), and the rows and configuration they use.

``Recorder`` accepts mail and keeps every delivery; scripted answers make it refuse recipients or
data (``"451 …"``, ``"550 …"``) a given number of times first. "Server down" is simply a free port
with no listener, on which :func:`smtp_server` may start one later.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session

from intake.db.tables import Case, Message, utcnow

OUR_INCIDENT = "csc-anken@example.jp"
OUR_MEMBERSHIP = "kyogikai-shomu@example.jp"
REPORTER = "taro.yamada@example.co.jp"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)


@dataclass
class Recorder:
    """An aiosmtpd handler: answers scripted RCPT / DATA replies first, then accepts."""

    rcpt: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    data_attempts: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt:
            return self.rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        if self.data:
            return self.data.pop(0)
        self.received.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 queued as TEST1"


@dataclass
class Running:
    port: int
    handler: Recorder


@contextmanager
def smtp_server(
    handler: Recorder | None = None, *, port: int | None = None, **smtp_kwargs
) -> Iterator[Running]:
    """Run aiosmtpd on 127.0.0.1 (on ``port`` if given) for the duration of the block."""
    handler = handler or Recorder()
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    try:
        yield Running(port=port, handler=handler)
    finally:
        controller.stop()


def password_checker(username: str, password: str):
    """An aiosmtpd authenticator accepting exactly one login."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == username
        return AuthResult(success=ok and auth_data.password.decode() == password, handled=False)

    return check


def configure(
    workspace,
    *,
    port: int = 25,
    mode: str = "send",
    cap: int = 5,
    backlog: int = 24,
    smtp_extra: str = "",
    replies_extra: str = "",
):
    """Two mailboxes (incident + membership), SMTP on 127.0.0.1:port without TLS; returns the Config."""
    workspace.extra = f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
timeout = 5
{smtp_extra}
[replies]
mode = "{mode}"
max_per_sender_per_day = {cap}
backlog_age_hours = {backlog}
{replies_extra}
"""
    workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=OUR_INCIDENT)
    workspace.add_maildir(name="kyogikai", profile="membership", prefix="KYOGIKAI", address=OUR_MEMBERSHIP)
    return workspace.config()


def add_case(
    session: Session,
    *,
    case_id: str = "CSC-2026-0007",
    mailbox: str = "anken",
    kind: str = "incident_report",
    sender: str = REPORTER,
    sender_name: str = "山田 太郎",
    subject: str = "不審メールの受信について",
    message_id: str | None = "orig-1@mail.example.co.jp",
    references: str = "",
    received_at: datetime | None = None,
    no_reply_reason: str | None = None,
) -> tuple[Case, Message]:
    """A case and the incoming message that triggers a reply (flushed, not committed)."""
    case = session.get(Case, case_id)
    if case is None:
        case = Case(
            id=case_id, mailbox=mailbox, kind=kind, sender=sender, sender_name=sender_name, subject=subject
        )
        session.add(case)
    message = Message(
        case_id=case_id,
        mailbox=mailbox,
        message_id=message_id,
        references=references,
        sha256=f"{case_id}-{message_id}-{sender}",
        subject=subject,
        from_addr=sender,
        from_name=sender_name,
        received_at=received_at or utcnow() - timedelta(minutes=1),
        no_reply_reason=no_reply_reason,
    )
    session.add(message)
    session.flush()
    return case, message
