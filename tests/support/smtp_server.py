"""A real SMTP server for the reply tests (aiosmtpd), and the rows and configuration they use.

``Recorder`` accepts mail and keeps every delivery; scripted answers make it refuse recipients or
data (``"451 …"``, ``"550 …"``) a given number of times first. "Server down" is simply a free port
with no listener, on which :func:`smtp_server` may start one later.

``OAuthRecorder(key=idp.key)`` also offers AUTH XOAUTH2 and accepts a token the IdP signed
(``support.idp``: HS256, issuer, not expired) whose ``email`` equals the ``user=`` sent; a refused
token gets the JSON challenge Gmail sends, then ``535 5.7.8`` (aiosmtplib's ``auth_xoauth2`` answers
the challenge with an empty line). aiosmtpd offers every handler method named ``auth_<MECH>``.

TLS: ``smtp_server(tls=server_cert)`` offers STARTTLS; ``smtp_server(tls=server_cert, implicit=True)``
speaks TLS from the first byte (SMTPS). Trap: aiosmtpd's ``auth_require_tls`` (default True) only
counts STARTTLS, so it refuses AUTH on implicit TLS with ``538``; ``implicit=True`` therefore
defaults it to False. Plain-text AUTH on loopback needs ``auth_require_tls=False`` too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session

from intake.db.tables import Case, Message, utcnow

if TYPE_CHECKING:
    from support.idp import JwtKey
    from support.tls import ServerCert

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
class OAuthRecorder(Recorder):
    """A ``Recorder`` that also accepts AUTH XOAUTH2 with the IdP's access tokens."""

    key: JwtKey | None = None
    logins: list[str] = field(default_factory=list)  # users authenticated, in order
    refusals: list[str] = field(default_factory=list)  # why tokens were refused

    async def auth_XOAUTH2(self, server, args):
        blob = args[1] if len(args) > 1 else await server.challenge_auth("", encode_to_b64=False)
        if not isinstance(blob, str | bytes):  # MISSING: the client aborted with "*"
            return AuthResult(success=False, handled=True)
        try:
            fields = dict(
                part.split("=", 1)
                for part in base64.b64decode(blob, validate=True).decode().split("\x01")
                if part
            )
            user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
            assert self.key is not None, "OAuthRecorder needs key=idp.key"
            claims = self.key.decode(token)
            if claims["email"] != user:
                raise ValueError(f"token is for {claims['email']}, not {user}")
        except Exception as exc:  # any malformed or invalid token is a refusal
            self.refusals.append(repr(exc))
            challenge = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
            await server.challenge_auth(json.dumps(challenge))
            return AuthResult(success=False, handled=False)
        self.logins.append(user)
        return AuthResult(success=True, auth_data=user)


@asynccontextmanager
async def closing_cleanly(smtp: aiosmtplib.SMTP) -> AsyncIterator[aiosmtplib.SMTP]:
    """``async with smtp`` that also waits (≤ 1 s) until the connection is really closed. Trap: after
    QUIT over TLS the client's close_notify exchange is still running when ``asyncio.run`` closes
    its loop; the raw socket leaks and its ResourceWarning (an error here) fails a random later test
    — about 1 STARTTLS session in 60."""
    protocol = None
    try:
        async with smtp:
            protocol = smtp.protocol
            yield smtp
    finally:
        for _ in range(100):
            if protocol is None or protocol.transport is None:
                break
            await asyncio.sleep(0.01)


@dataclass
class Running:
    port: int
    handler: Recorder


@contextmanager
def smtp_server(
    handler: Recorder | None = None,
    *,
    port: int | None = None,
    tls: ServerCert | None = None,
    implicit: bool = False,
    **smtp_kwargs,
) -> Iterator[Running]:
    """Run aiosmtpd on 127.0.0.1 (on ``port`` if given) for the duration of the block; with ``tls``
    it offers STARTTLS, or with ``implicit=True`` speaks TLS at once (see the module's traps)."""
    handler = handler or Recorder()
    port = port or free_port()
    if tls and implicit:
        smtp_kwargs.setdefault("auth_require_tls", False)
        smtp_kwargs["ssl_context"] = tls.server_context()
    elif tls:
        smtp_kwargs["tls_context"] = tls.server_context()
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
    security: str = "none",
):
    """Two mailboxes (incident + membership), SMTP on 127.0.0.1:port (without TLS unless
    ``security`` says); returns the Config."""
    workspace.extra = f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "{security}"
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
