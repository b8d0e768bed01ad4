"""What one try to send a reply came to, whichever way it went out (SMTP or Graph's sendMail)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Outcome:
    kind: str  # sent | retry | failed
    detail: str
    stop_round: bool = False
    auth: bool = False  # the login or its token was refused
