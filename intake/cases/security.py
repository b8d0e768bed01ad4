"""Sender authenticity and protection of incoming messages: read when a message arrives, kept per
message (:class:`~intake.db.tables.MessageSecurity`), and handed to the checks as facts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from intake.checks.facts import SecurityFacts
from intake.config import Config
from intake.db.tables import Message, MessageSecurity
from intake.mail import ParsedMessage
from intake.mail.authenticity import UNKNOWN, Authenticity, authenticate
from intake.mail.crypto import Protection
from intake.mail.readable import read_message

_KEPT = (
    "auth",
    "auth_detail",
    "scheme",
    "encrypted",
    "decrypted",
    "signature",
    "signer",
    "signer_matches",
    "problem",
)


@dataclass(frozen=True)
class Incoming:
    parsed: ParsedMessage  # what the sender wrote, decrypted if it was encrypted to us
    protection: Protection
    authenticity: Authenticity


def read_incoming(raw: bytes, config: Config) -> Incoming:
    """Open, parse and authenticate a message as it arrives (DKIM is checked over the original)."""
    parsed, protection = read_message(raw, config)
    trust = config.trust
    verdict = authenticate(
        raw, from_addr=parsed.from_addr, authserv_ids=trust.authserv_ids, verify_dkim=trust.verify_dkim
    )
    return Incoming(parsed, protection, verdict)


def record_security(session: Session, message: Message, incoming: Incoming) -> None:
    """Keep what was found, when there is anything to keep."""
    protection, verdict = incoming.protection, incoming.authenticity
    if verdict.verdict == UNKNOWN and not protection.scheme:
        return
    assert message.id is not None
    session.add(
        MessageSecurity(
            message_pk=message.id,
            case_id=message.case_id,
            auth=verdict.verdict,
            auth_detail=verdict.detail,
            scheme=protection.scheme,
            encrypted=protection.encrypted,
            decrypted=protection.decrypted,
            signature=protection.signature.state,
            signer=protection.signer_for(message.from_addr),
            signer_matches=protection.signer_matches(message.from_addr),
            problem=protection.problem,
        )
    )


def security_facts(session: Session, case_id: str) -> tuple[SecurityFacts, ...]:
    query = (
        select(MessageSecurity, Message.from_addr)
        .join(Message, col(Message.id) == MessageSecurity.message_pk)
        .where(MessageSecurity.case_id == case_id)
        .order_by(col(MessageSecurity.message_pk))
    )
    return tuple(
        SecurityFacts(message_id=row.message_pk, sender=sender, **{k: getattr(row, k) for k in _KEPT})
        for row, sender in session.exec(query)
    )
