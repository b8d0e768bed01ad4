"""Reading mail: parse raw messages (Japanese encodings included) and tell robots from people."""

from intake.mail.parse import Limits, ParsedAttachment, ParsedMessage, parse_message
from intake.mail.robots import no_reply_reason

__all__ = ["Limits", "ParsedAttachment", "ParsedMessage", "no_reply_reason", "parse_message"]
