"""The kind ``graph``: a mailbox read and replies sent through Microsoft Graph, for tenants that
turned IMAP and SMTP AUTH off.

Its keys are :class:`~.config.GraphMailbox`'s; its cursor is the ``graphsyncstate`` table (the
delta links per folder, :mod:`.reader`); ``intake doctor`` tries the token, the mailbox and the
folder in one request (:mod:`.probe`). :mod:`.client` speaks HTTP to Graph (token, immutable ids,
at most four requests in flight per mailbox, throttling); :mod:`.delta` lists a folder's new
messages and downloads and marks them; :mod:`.sender` sends a reply's MIME with ``sendMail``.
This module stays light: httpx and MSAL are loaded only by those, when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intake.config import MailboxConfig
from intake.sources.base import MailSource, Probe, SourceKind
from intake.sources.graph.config import GraphMailbox
from intake.sources.registry import register

if TYPE_CHECKING:
    from intake.config import Config


class GraphKind(SourceKind[GraphMailbox]):
    name = "graph"
    config = GraphMailbox

    def open(self, mailbox: MailboxConfig, config: Config, *, sent: bool = False) -> MailSource:
        from intake.sources.graph.reader import GraphSource

        box = self.own(mailbox)
        return GraphSource(
            mailbox=box, config=config, folder=box.sent_folder if sent else None, marks=not sent
        )

    def is_sent(self, mailbox: MailboxConfig, ref: str) -> bool:
        """``graph:FOLDER:ID`` of the sent folder."""
        return (
            ref.startswith("graph:") and ref.removeprefix("graph:").rsplit(":", 1)[0] == mailbox.sent_folder
        )

    def health_kind(self, mailbox: MailboxConfig) -> str:
        return "microsoft"

    def sign_in(self, mailbox: MailboxConfig) -> str:
        return f"{self.own(mailbox).auth}/app"  # the app's own token (client credentials)

    def lock_folder(self, mailbox: MailboxConfig) -> str:
        return self.own(mailbox).folder

    def probe(self, mailbox: MailboxConfig, config: Config) -> list[Probe]:
        from intake.sources.graph.probe import probe

        return probe(self.own(mailbox))


KIND = register(GraphKind())
