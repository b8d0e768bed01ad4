"""Where mail comes from: an IMAP folder or a local Maildir, behind one small interface.

A source hands out batches of new messages; the poller stores and processes them and records how
far it got **in the same database transaction**; only after that commit does the source mark the
messages on the server. A crash in between means the marks are repaired on the next poll; a
message is never marked before it is safely stored, and never deleted.
"""

from __future__ import annotations

from intake.access.tokens import TokenStore
from intake.config import Config, MailboxConfig
from intake.sources.base import Fetched, MailSource


def open_source(mailbox: MailboxConfig, config: Config) -> MailSource:
    if mailbox.source == "imap":
        from intake.sources.imap import ImapSource

        return ImapSource(
            mailbox=mailbox, store=TokenStore.for_config(config), batch_size=config.imap.batch_size
        )
    from intake.sources.maildir import MaildirSource

    return MaildirSource(mailbox=mailbox, batch_size=config.imap.batch_size)


__all__ = ["Fetched", "MailSource", "open_source"]
