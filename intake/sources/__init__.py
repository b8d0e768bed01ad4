"""Where mail comes from: one module per kind of source (``maildir``, ``imap``, ``graph``), behind one interface.

A source hands out batches of new messages; the poller stores and processes them and records how
far it got **in the same database transaction**; only after that commit does the source mark the
messages on the server. A crash in between means the marks are repaired on the next poll; a
message is never marked before it is safely stored, and never deleted.

A mailbox's ``sent_folder`` (the replies staff wrote in their own mail program) is a second source
of the same kind, read by the same cursor, and never marked: :func:`open_source` with ``sent=True``.

Each kind is one registered :class:`~intake.sources.base.SourceKind` object
(:func:`~intake.sources.registry.register`) that owns its ``[[mailbox]]`` keys (a subclass of
:class:`~intake.config.MailboxConfig`, picked by ``source = "NAME"``), how it is opened for a poll,
its cursor, its health line, its doctor lines, its OAuth2 scopes (the config class's
``DEFAULT_SCOPES``), where it marks what was processed, its optional push watcher and the local
folders ``intake run`` writes in. Nothing outside this package compares source names: it asks
:func:`kind_of`.

Adding a source is one module, one config class, a migration if it needs a cursor table, and its
docs: the module defines the config class and the kind and ends with ``KIND = register(...)``, and
is imported below (keep its top light: a client library is imported where it is used, so that
staff commands, which read the configuration, do not load it).
"""

from __future__ import annotations

from intake.config import Config, MailboxConfig
from intake.sources import graph, imap, maildir
from intake.sources.base import Fetched, MailSource, Probe, SourceKind
from intake.sources.registry import KINDS, kind_of, register

BUILT_IN = (maildir.KIND, imap.KIND, graph.KIND)


def open_source(mailbox: MailboxConfig, config: Config, *, sent: bool = False) -> MailSource:
    """The mailbox's inbox, or with ``sent`` its ``sent_folder`` (read by the cursor alone)."""
    return kind_of(mailbox).open(mailbox, config, sent=sent)


def from_sent_folder(mailbox: MailboxConfig, ref: str) -> bool:
    """True when ``ref`` names a message of the mailbox's ``sent_folder``: staff's own mail, never
    a sender's."""
    return bool(mailbox.sent_folder) and kind_of(mailbox).is_sent(mailbox, ref)


__all__ = [
    "BUILT_IN",
    "KINDS",
    "Fetched",
    "MailSource",
    "Probe",
    "SourceKind",
    "from_sent_folder",
    "kind_of",
    "open_source",
    "register",
]
