"""A message as intake reads it: protected mail opened first (:mod:`intake.mail.crypto`), then
parsed under the limits. The one way from raw bytes to a :class:`ParsedMessage` for incoming mail,
both when it arrives and when it is read again from the archive."""

from __future__ import annotations

from intake.config import Config
from intake.mail.crypto import Protection, keys_from_config, open_protected
from intake.mail.parse import ParsedMessage, parse_message
from intake.mail.structure import Limits, check_raw


def read_message(raw: bytes, config: Config) -> tuple[ParsedMessage, Protection]:
    """The readable message and how it was protected; the original is checked against the limits
    before anything is decrypted, the decrypted content again before it is parsed."""
    limits = Limits.from_config(config.limits)
    check_raw(raw, limits)
    readable, protection = open_protected(raw, keys_from_config(config.crypto))
    return parse_message(readable, limits=limits), protection
