"""Where mail comes from: an IMAP folder or a local Maildir, behind one small interface.

A source hands out batches of new messages; the poller stores and processes them and records how
far it got **in the same database transaction**; only after that commit does the source mark the
messages on the server. A crash in between means the marks are repaired on the next poll; a
message is never marked before it is safely stored, and never deleted.

A mailbox's ``sent_folder`` (the replies staff wrote in their own mail program) is a second source
of the same kind, read by the same cursor, and never marked: :func:`open_source` with ``sent=True``.
"""

from __future__ import annotations

from intake.access.tokens import TokenStore
from intake.config import Config, MailboxConfig
from intake.sources.base import Fetched, MailSource


def open_source(mailbox: MailboxConfig, config: Config, *, sent: bool = False) -> MailSource:
    """The mailbox's inbox, or with ``sent`` its ``sent_folder`` (read by the cursor alone)."""
    folder = mailbox.sent_folder if sent else ""
    if mailbox.source == "imap":
        from intake.sources.imap import ImapSource

        return ImapSource(
            mailbox=mailbox,
            store=TokenStore.for_config(config),
            batch_size=config.imap.batch_size,
            folder=folder or None,
            marks=not sent,
        )
    from intake.sources.maildir import MaildirSource

    return MaildirSource(mailbox=mailbox, batch_size=config.imap.batch_size, folder=folder, marks=not sent)


def from_sent_folder(mailbox: MailboxConfig, ref: str) -> bool:
    """True when ``ref`` (``imap:FOLDER:UIDVALIDITY:UID`` or ``maildir:[.FOLDER/]KEY``) names a
    message of the mailbox's ``sent_folder``: staff's own mail, never a sender's."""
    sent = mailbox.sent_folder
    if not sent:
        return False
    if ref.startswith("imap:"):
        return ref.removeprefix("imap:").rsplit(":", 2)[0] == sent
    return ref.startswith(f"maildir:.{sent}/")


__all__ = ["Fetched", "MailSource", "from_sent_folder", "open_source"]
