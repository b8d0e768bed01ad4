"""A message's text as ``intake show`` and the desk show it: the password it carries hidden, its
quoted and forwarded parts told apart, the messages attached to it described as evidence —
plain values from the parsed message, whichever way its row was read from the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from intake.clock import jst_iso
from intake.mail.ours import OUR_MARKERS
from intake.mail.passwords import password_candidates
from intake.mail.segments import segments_of

if TYPE_CHECKING:
    from intake.mail.parse import ParsedMessage

MAX_SHOWN = 50_000  # characters of one message's text shown at once
ATTACHED_SHOWN = 5_000  # characters of an attached message's text shown


def attached_of(parsed: ParsedMessage, message_pk: int) -> list[dict]:
    """The messages attached to one message (message/rfc822, .eml, Outlook .msg) as shown: what
    they are, as evidence, never as the sender's words."""
    return [
        {
            "message": message_pk,
            "part": m.index,
            "filename": m.filename,
            "from": m.from_text,
            "date": jst_iso(m.date),
            "subject": m.subject,
            "body": m.body[:ATTACHED_SHOWN],
            "body_truncated": len(m.body) > ATTACHED_SHOWN,
            "attachments": list(m.attachments),
            "problem": m.problem,
        }
        for m in parsed.attached_messages
    ]


def message_segments(text: str, subject: str) -> list[dict]:
    """The sender's new text, quotes (of our mail or others') and forwarded mail of one message
    (intake.mail.segments), as shown: kind, origin and a forward's From/Date/Subject as codes."""
    return [s.as_dict() for s in segments_of(text, subject=subject, markers=OUR_MARKERS)]


def masked(text: str) -> str:
    """A message's text with the password it carries hidden (「このメールのパスワードで開く」 uses it
    without anyone reading it off the screen)."""
    for candidate in password_candidates(text):
        text = text.replace(candidate, "●" * 8)
    return text


def incoming_text(
    parsed: ParsedMessage | None, message_pk: int, *, password_in_text: bool, subject: str | None
) -> dict:
    """An incoming message's ``text``, ``segments`` and ``attached`` messages as shown (``parsed``
    None: its archived bytes are not where they should be, and the rest still shows)."""
    text = parsed.body_text[:MAX_SHOWN] if parsed is not None else ""
    shown = masked(text) if password_in_text else text
    return {
        "text": shown,
        "segments": message_segments(shown, subject or ""),
        "attached": attached_of(parsed, message_pk) if parsed is not None else [],
    }
