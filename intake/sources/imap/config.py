"""The keys of an IMAP ``[[mailbox]]``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from intake.config import MailboxConfig, ServerConfig


class ImapMailbox(MailboxConfig, ServerConfig):
    """``source = "imap"``: the server keys, and ``folder`` read (``processed_folder`` empty: keep
    messages in place and set the ``$IntakeProcessed`` keyword; ``sent_folder``: staff's sent mail,
    an IMAP folder name)."""

    source: Literal["imap"]
    folder: str = "INBOX"
    processed_folder: str = ""
    idle: bool = True  # intake run waits for new mail with IMAP IDLE where the server offers it
    idle_renew_seconds: Annotated[float, Field(ge=1, le=1740)] = 540.0  # re-issue IDLE this often
    DEFAULT_SCOPES: ClassVar[dict[tuple[str, ...], list[str]]] = {
        ("microsoft", "app"): ["https://outlook.office365.com/.default"],
        ("microsoft", "device"): ["https://outlook.office365.com/IMAP.AccessAsUser.All"],
        ("google",): ["https://mail.google.com/"],
    }

    @model_validator(mode="after")
    def _imap_keys(self) -> ImapMailbox:
        self.check_sent_folder(self.folder, self.processed_folder)
        if not self.username:
            raise ValueError('username: required when source = "imap"')
        self.check_server()
        return self

    def anchored(self, anchor: Callable[[Path | None], Path | None]) -> ImapMailbox:
        return self.model_copy(update=self.anchored_server(anchor))
