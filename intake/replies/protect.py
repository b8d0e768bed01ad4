"""Replies to reporters who wrote encrypted: encrypted to their key when it is on file
(``[crypto] encrypt_replies``), as PGP/MIME (RFC 3156).

``when_possible``: encrypted when the reporter's key is in the secretariat's GnuPG home, in clear
otherwise. ``required``: such a reporter is never sent a reply in clear — without a usable key the
reply fails with the reason (shown in ``intake outbox``), for staff to import the key and send it
again, or to answer another way.
"""

from __future__ import annotations

import copy
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.policy import SMTP

from sqlmodel import Session, select

from intake.config import Config
from intake.db.tables import MessageSecurity, OutboxReply
from intake.errors import IntakeError
from intake.mail.crypto import keys_from_config

_CONTENT = ("Content-Type", "Content-Transfer-Encoding", "MIME-Version")


class ReplyNotProtected(IntakeError):
    """A reply that must go encrypted cannot be."""


def protect_reply(session: Session, config: Config, reply: OutboxReply, message: EmailMessage) -> Message:
    """``message`` as it may be sent: encrypted to the reporter where the configuration asks."""
    mode = config.crypto.encrypt_replies
    if mode == "never" or reply.case_id is None or not _wrote_encrypted(session, reply.case_id):
        return message
    pgp = keys_from_config(config.crypto).pgp
    inner = _inner_entity(message)
    armored = pgp.encrypt_to(inner, reply.to_addr) if pgp is not None else None
    if armored is None:
        if mode == "required":
            raise ReplyNotProtected(
                f"not sent in clear: the reporter wrote encrypted and no usable PGP key for {reply.to_addr} "
                "is on file ([crypto] gnupg_home); import it and send again, or answer another way"
            )
        return message
    return _pgp_mime(message, armored)


def _wrote_encrypted(session: Session, case_id: str) -> bool:
    query = select(MessageSecurity.message_pk).where(
        MessageSecurity.case_id == case_id,
        MessageSecurity.encrypted == True,  # noqa: E712
    )
    return session.exec(query.limit(1)).first() is not None


def _inner_entity(message: EmailMessage) -> bytes:
    """The part to encrypt: the body (with the files of a staff reply) and its own content headers,
    nothing of the envelope."""
    if message.is_multipart():
        inner = copy.deepcopy(message)
        for name in {k for k in inner.keys() if k not in _CONTENT}:
            del inner[name]
    else:
        inner = EmailMessage()
        inner.set_content(message.get_content(), charset="utf-8", cte="base64")
    del inner["MIME-Version"]
    return inner.as_bytes(policy=SMTP)


def _pgp_mime(message: EmailMessage, armored: bytes) -> Message:
    outer = MIMEMultipart("encrypted", protocol="application/pgp-encrypted")
    for name, value in message.items():
        if name not in _CONTENT:
            outer[name] = value
    control = MIMEApplication(b"Version: 1\n", "pgp-encrypted", _encoder=_seven_bit)
    payload = MIMEApplication(armored, "octet-stream", _encoder=_seven_bit, name="encrypted.asc")
    outer.attach(control)
    outer.attach(payload)
    outer.preamble = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)"
    return outer


def _seven_bit(part: Message) -> None:
    """Armored text goes as it is (7-bit), not base64 again."""
    data = part.get_payload(decode=False)
    part.set_payload(data.decode("ascii") if isinstance(data, bytes) else data)
    part["Content-Transfer-Encoding"] = "7bit"
