"""Reading mail: parse raw messages (Japanese encodings included), tell robots from people, and
read what a delivery report says about the mail it returns."""

from intake.mail.parse import Limits, ParsedAttachment, ParsedMessage, parse_message
from intake.mail.reports import DeliveryReport, read_delivery_report
from intake.mail.robots import AUTOMATED, no_reply_reason

__all__ = [
    "AUTOMATED",
    "DeliveryReport",
    "read_delivery_report",
    "Limits",
    "ParsedAttachment",
    "ParsedMessage",
    "no_reply_reason",
    "parse_message",
]
