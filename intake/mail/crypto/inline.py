"""Inline PGP: an armored block in a text body (encrypted, or clear-signed), and attachments that
are PGP messages (``report.docx.pgp``, ``.gpg``, ``.asc``), opened in place.

The text part gets the decrypted text (UTF-8); an attachment gets its decrypted bytes and loses the
``.pgp`` / ``.gpg`` / ``.asc`` of its name, so the form inside is read like any other.
"""

from __future__ import annotations

import re
from dataclasses import replace
from email import encoders
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from intake.mail.crypto.pgp import PgpKeys
from intake.mail.crypto.results import BAD, NONE, Protection

_BLOCK = re.compile(
    rb"-----BEGIN PGP (MESSAGE|SIGNED MESSAGE)-----.*?-----END PGP (MESSAGE|SIGNATURE)-----\r?\n?", re.DOTALL
)
_SUFFIXES = (".pgp", ".gpg", ".asc")


def open_inline(entity: bytes, pgp: PgpKeys | None, found: Protection) -> tuple[bytes, Protection]:
    """``entity`` with its inline PGP blocks opened (``entity`` itself when it has none)."""
    if b"-----BEGIN PGP " not in entity and not any(s.encode() in entity.lower() for s in _SUFFIXES[:2]):
        return entity, found
    message = BytesParser(policy=compat32).parsebytes(entity)
    changed = False
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not _is_pgp(payload, part.get_filename()):
            continue
        opened, found = _open_part(part, payload, pgp, found)
        changed = changed or opened
    return (message.as_bytes() if changed else entity), found


def _open_part(
    part: Message, payload: bytes, pgp: PgpKeys | None, found: Protection
) -> tuple[bool, Protection]:
    encrypted = b"-----BEGIN PGP SIGNED MESSAGE-----" not in payload
    found = replace(found, scheme=found.scheme or "inline_pgp", encrypted=found.encrypted or encrypted)
    if pgp is None:
        return False, replace(found, problem="inline PGP, and no PGP key is configured ([crypto] gnupg_home)")
    filename = part.get_filename()
    if filename or part.get_content_maintype() != "text":
        opened = pgp.open(payload)
        if not opened.ok:
            return False, replace(found, problem=opened.problem)
        _set_bytes(part, opened.data, _plain_name(filename))
        return True, _merge(found, opened, encrypted)
    text, problem = payload, ""
    for block in reversed(list(_BLOCK.finditer(payload))):
        opened = pgp.open(block.group(0))
        if not opened.ok:
            problem = opened.problem
            continue
        found = _merge(found, opened, encrypted)
        text = text[: block.start()] + opened.data + text[block.end() :]
    if text == payload:
        return False, replace(found, problem=problem or found.problem)
    _set_text(part, text)
    return True, replace(found, problem=problem or found.problem)


def _is_pgp(payload: bytes, filename: str | None) -> bool:
    """An armored message or clear-signed text, or a file named as a binary PGP message (``.pgp`` /
    ``.gpg``); a public key someone attached (``BEGIN PGP PUBLIC KEY BLOCK``) is left as it is."""
    armored = b"-----BEGIN PGP MESSAGE-----" in payload or b"-----BEGIN PGP SIGNED MESSAGE-----" in payload
    return armored or (filename or "").lower().endswith(_SUFFIXES[:2])


def _merge(found: Protection, opened, encrypted: bool) -> Protection:
    signature = (
        found.signature
        if found.signature.state == BAD or opened.signature.state == NONE
        else opened.signature
    )
    return replace(found, decrypted=found.decrypted or encrypted, signature=signature)


def _plain_name(filename: str | None) -> str | None:
    if filename and filename.lower().endswith(_SUFFIXES):
        return filename[: -len(_SUFFIXES[0])]
    return filename


def _set_bytes(part: Message, data: bytes, filename: str | None) -> None:
    del part["Content-Transfer-Encoding"]
    part.set_payload(data)
    encoders.encode_base64(part)
    part.set_type("application/octet-stream")
    if filename:
        part.set_param("filename", filename, header="Content-Disposition")
        part.set_param("name", filename)


def _set_text(part: Message, text: bytes) -> None:
    charset = part.get_content_charset() or "utf-8"
    try:
        decoded = text.decode(charset)
    except (LookupError, UnicodeDecodeError):
        decoded = text.decode("utf-8", "replace")
    del part["Content-Transfer-Encoding"]
    part.set_payload(decoded, "utf-8")
