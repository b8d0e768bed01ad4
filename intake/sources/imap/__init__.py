"""The kind ``imap``: a folder on an IMAP server, read with IMAPClient, watched with IDLE.

Its keys are the server's (:class:`~intake.config.ServerConfig`: host, TLS, sign-in) and the
folders': ``folder``, ``processed_folder``, ``sent_folder``, ``idle``, ``idle_renew_seconds``. Its
cursor is the ``source_cursor`` table (UIDVALIDITY and the last UID per folder); processed messages
get a keyword or move to ``processed_folder`` (:mod:`.reader`); ``intake run`` keeps an IDLE
connection per mailbox (:mod:`.idle`); ``intake doctor`` tries the login and the folders
(:mod:`.probe`). This module stays light: IMAPClient is loaded only by those, when used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from intake.access.tokens import TokenStore
from intake.config import MailboxConfig
from intake.sources.base import MailSource, Probe, SourceKind
from intake.sources.imap.config import ImapMailbox
from intake.sources.registry import register

if TYPE_CHECKING:
    from intake.config import Config
    from intake.db.locks import Leadership


class ImapKind(SourceKind[ImapMailbox]):
    name = "imap"
    config = ImapMailbox

    def open(self, mailbox: MailboxConfig, config: Config, *, sent: bool = False) -> MailSource:
        from intake.sources.imap.reader import ImapSource

        box = self.own(mailbox)
        return ImapSource(
            mailbox=box,
            store=TokenStore.for_config(config),
            batch_size=config.imap.batch_size,
            folder=box.sent_folder if sent else None,
            marks=not sent,
        )

    def is_sent(self, mailbox: MailboxConfig, ref: str) -> bool:
        """``imap:FOLDER:UIDVALIDITY:UID`` of the sent folder."""
        return ref.startswith("imap:") and ref.removeprefix("imap:").rsplit(":", 2)[0] == mailbox.sent_folder

    def health_kind(self, mailbox: MailboxConfig) -> str:
        return self.own(mailbox).auth

    def sign_in(self, mailbox: MailboxConfig) -> str:
        return self.own(mailbox).sign_in

    def lock_folder(self, mailbox: MailboxConfig) -> str:
        return self.own(mailbox).folder

    def probe(self, mailbox: MailboxConfig, config: Config) -> list[Probe]:
        from intake.sources.imap.probe import probe

        return probe(self.own(mailbox), config)

    def watches(self, mailbox: MailboxConfig) -> bool:
        return self.own(mailbox).idle

    def watcher(
        self,
        mailbox: MailboxConfig,
        config: Config,
        *,
        on_mail: Callable[[], object],
        stop: threading.Event,
        leader: Leadership,
        leader_retry: float,
    ) -> threading.Thread:
        from intake.sources.imap.idle import IdleWatcher

        return IdleWatcher(
            mailbox=self.own(mailbox),
            store=TokenStore.for_config(config),
            on_mail=on_mail,
            stop=stop,
            leader=leader,
            leader_retry=leader_retry,
        )


KIND = register(ImapKind())
