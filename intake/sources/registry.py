"""The registered kinds of mail source, by the name ``[[mailbox]] source`` gives them."""

from __future__ import annotations

from intake.config import MailboxConfig, register_mailbox_kind
from intake.config.servers import MAILBOX_KINDS
from intake.sources.base import SourceKind

KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    """Make ``kind`` the one for ``source = kind.name``: its config class reads such mailboxes,
    and the poller, the service and the doctor ask it. Returns it (``KIND = register(...)``)."""
    KINDS[kind.name] = kind
    register_mailbox_kind(kind.name, kind.config)
    return kind


def unregister(name: str) -> None:
    """Forget a kind (a kind a test registered for itself)."""
    KINDS.pop(name, None)
    MAILBOX_KINDS.pop(name, None)


def kind_of(mailbox: MailboxConfig) -> SourceKind:
    """The kind that reads ``mailbox``."""
    return KINDS[mailbox.source]
