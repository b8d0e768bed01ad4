"""The keys of a Graph ``[[mailbox]]`` (``source = "graph"``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from intake.config import MailboxConfig
from intake.config.base import FilePath
from intake.config.servers import OAuthConfig, _check_oauth

GRAPH_URL = "https://graph.microsoft.com/v1.0"
PROCESSED_CATEGORY = "intake-processed"


class GraphMailbox(MailboxConfig):
    """``source = "graph"``: the mailbox ``username`` (its user principal name; default
    ``address``) read through Microsoft Graph at ``graph_url`` with the app's own token
    (``auth = "microsoft"``, ``[mailbox.oauth] flow = "app"``). ``folder`` is read (a well-known
    name such as ``Inbox`` or a folder id); a processed message gets the category
    ``processed_category``, or moves to ``processed_folder``; ``sent_folder`` (e.g. ``SentItems``)
    is read for staff's own replies. ``throttle_wait_seconds``: how long one request waits out
    Graph's throttling before the poll gives up and the mailbox shows as throttled."""

    source: Literal["graph"]
    username: str = ""
    folder: str = "Inbox"
    graph_url: str = GRAPH_URL
    auth: Literal["microsoft"] = "microsoft"
    oauth: OAuthConfig = OAuthConfig()
    ca_file: FilePath | None = None
    processed_category: str = PROCESSED_CATEGORY
    processed_folder: str = ""
    throttle_wait_seconds: Annotated[float, Field(ge=0, le=3600)] = 120.0
    timeout: Annotated[float, Field(gt=0)] = 60.0

    @model_validator(mode="after")
    def _graph_keys(self) -> GraphMailbox:
        if not self.graph_url.startswith("https://"):
            raise ValueError(f"graph_url: {self.graph_url!r} is not an https:// address")
        if (self.oauth.flow or "app") != "app":
            raise ValueError('oauth.flow: a Graph mailbox signs in as the app; use flow = "app"')
        _check_oauth("microsoft", self.oauth)
        if not self.processed_category.strip():
            raise ValueError("processed_category: empty (write a category name, or leave the key out)")
        self.check_sent_folder(self.folder, self.processed_folder)
        return self

    @property
    def user(self) -> str:
        """The mailbox Graph is asked about: ``/users/{user}``."""
        return self.username or self.address

    def client_secret(self) -> SecretStr:
        return self.oauth.client_secret(self.key("oauth."))

    def anchored(self, anchor: Callable[[Path | None], Path | None]) -> GraphMailbox:
        oauth = self.oauth.model_copy(update={"client_secret_file": anchor(self.oauth.client_secret_file)})
        return self.model_copy(update={"ca_file": anchor(self.ca_file), "oauth": oauth})
