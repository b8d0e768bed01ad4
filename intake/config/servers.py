"""The mail servers in the configuration: a ``[[mailbox]]`` to poll and the ``[smtp]`` server that
sends the replies, each with its TLS and its sign-in (password or OAuth2)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from intake.config.base import FilePath, _secret, _Section, read_secret_file

Security = Literal["tls", "starttls", "none"]
AuthKind = Literal["password", "command", "microsoft", "google"]
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class OAuthConfig(_Section):
    """How an OAuth2 access token is obtained for ``auth = "microsoft"`` or ``"google"``.

    Microsoft 365: ``flow = "app"`` (client credentials: the app's own ``IMAP.AccessAsApp`` /
    ``SMTP.SendAsApp`` permission, no browser, no refresh token) or ``"device"`` (a person signs in
    once with ``intake auth login``; the refresh token is kept encrypted). Google Workspace:
    ``flow = "service_account"`` (domain-wide delegation for the mailbox's user) or
    ``"refresh_token"`` (stored once with ``intake auth login``). Secrets only by reference.
    """

    flow: Literal["app", "device", "service_account", "refresh_token"] | None = None
    tenant: str = ""  # microsoft: the directory (tenant) id or domain
    client_id: str = ""
    client_secret_env: str = ""
    client_secret_file: FilePath | None = None  # mode 0600
    service_account_file: FilePath | None = None  # google: the JSON key, mode 0600
    authority: str = ""  # microsoft: another cloud, or any OpenID provider's issuer URL
    token_uri: str = ""  # google: the token endpoint (default Google's)
    scopes: list[str] = []  # default: the provider's mail scopes

    def client_secret(self, key: str) -> SecretStr:
        if self.client_secret_file is not None:
            return SecretStr(read_secret_file(self.client_secret_file, f"{key}client_secret_file").strip())
        return _secret(self.client_secret_env, f"{key}client_secret_env")


class ServerConfig(_Section):
    """How to reach and log in to a mail server (IMAP for a mailbox, SMTP for replies).

    ``security``: ``tls`` (TLS from the first byte, 993/465), ``starttls`` (143/587) or ``none``
    (only on loopback unless ``allow_plaintext = true``). Certificates and host names are always
    verified; ``ca_file`` adds a private CA. ``auth``: ``password`` (``password_env``),
    ``command`` (``token_command`` prints a fresh OAuth2 access token), ``microsoft`` or
    ``google`` (see :class:`OAuthConfig`).
    """

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 993
    security: Security = "tls"
    ca_file: FilePath | None = None
    allow_plaintext: bool = False
    username: str = ""
    auth: AuthKind = "password"
    password_env: str = ""
    token_command: list[str] = []
    oauth: OAuthConfig = OAuthConfig()
    timeout: Annotated[float, Field(gt=0)] = 30.0

    @field_validator("security", mode="before")
    @classmethod
    def _old_name(cls, value: object) -> object:
        return "tls" if value == "ssl" else value  # "ssl" was this key's name for implicit TLS

    def check_server(self) -> None:
        """The rules that tie keys together; raises ValueError naming the key."""
        if self.security == "none" and self.host.lower() not in LOOPBACK and not self.allow_plaintext:
            raise ValueError(
                f'security: "none" would send the login in clear text to {self.host}; use "tls" or '
                '"starttls", or set allow_plaintext = true'
            )
        if self.auth == "command" and not self.token_command:
            raise ValueError('token_command: required when auth = "command"')
        if self.auth in ("microsoft", "google"):
            _check_oauth(self.auth, self.oauth)

    #: The OAuth2 scopes asked for when ``oauth.scopes`` is empty, by ``(auth, flow)`` or ``(auth,)``:
    #: each kind of server names the permission its protocol needs.
    DEFAULT_SCOPES: ClassVar[dict[tuple[str, ...], list[str]]] = {}

    def default_scopes(self) -> list[str]:
        table = self.DEFAULT_SCOPES
        return list(table.get((self.auth, self.oauth_flow), table.get((self.auth,), [])))

    def anchored_server(self, anchor: Callable[[Path | None], Path | None]) -> dict:
        """The server keys that hold paths, taken from the configuration's folder (for model_copy)."""
        oauth = self.oauth.model_copy(
            update={
                "client_secret_file": anchor(self.oauth.client_secret_file),
                "service_account_file": anchor(self.oauth.service_account_file),
            }
        )
        return {"ca_file": anchor(self.ca_file), "oauth": oauth}

    @property
    def oauth_flow(self) -> str:
        default = {"microsoft": "app", "google": "service_account"}.get(self.auth, "")
        return self.oauth.flow or default

    @property
    def sign_in(self) -> str:
        """How the server is signed in to, as status shows it: ``password``, ``command``,
        ``microsoft/app``, ``google/refresh_token``…"""
        return self.auth if self.auth in ("password", "command") else f"{self.auth}/{self.oauth_flow}"

    def password(self) -> SecretStr:
        return _secret(self.password_env, self.key("password_env"))

    def client_secret(self) -> SecretStr:
        return self.oauth.client_secret(self.key("oauth."))

    @property
    def label(self) -> str:
        """How messages name this server: ``smtp`` or ``mailbox 'anken'``."""
        return "smtp"

    def key(self, name: str) -> str:
        return f"smtp.{name}"


def _check_oauth(auth: str, oauth: OAuthConfig) -> None:
    flows = {"microsoft": ("app", "device"), "google": ("service_account", "refresh_token")}[auth]
    flow = oauth.flow or flows[0]
    if flow not in flows:
        raise ValueError(f'oauth.flow: "{flow}" is not a {auth} flow (use {" or ".join(flows)})')
    if flow == "service_account":
        if oauth.service_account_file is None:
            raise ValueError('oauth.service_account_file: required for flow = "service_account"')
        return
    if not oauth.client_id:
        raise ValueError(f'oauth.client_id: required when auth = "{auth}"')
    if auth == "microsoft" and not (oauth.tenant or oauth.authority):
        raise ValueError('oauth.tenant: required when auth = "microsoft"')
    if flow in ("app", "refresh_token") and not (oauth.client_secret_env or oauth.client_secret_file):
        raise ValueError(f'oauth.client_secret_env: required for flow = "{flow}" (or client_secret_file)')


class MailboxConfig(_Section):
    """What every ``[[mailbox]]`` has, whatever its ``source``: each kind of source (the modules
    of :mod:`intake.sources`) declares its own keys in a subclass and registers it with
    :func:`register_mailbox_kind`; ``source`` picks the subclass a ``[[mailbox]]`` is read as."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    profile: Literal["membership", "incident"]
    address: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    case_prefix: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*$")]
    source: str
    # Staff's replies written in their own mail program: read from this folder into the cases they
    # answer (how the source names a folder is the source's); empty: not read.
    sent_folder: str = ""
    closed_case_days: Annotated[int, Field(ge=1)] | None = None  # overrides [retention] for this mailbox

    def check_sent_folder(self, *taken: str) -> None:
        """The sent folder (if any) is a plain name and none of the folders in ``taken`` (the
        folders intake reads mail from or moves it to); raises ValueError naming the key."""
        sent = self.sent_folder
        if not sent:
            return
        if sent.strip() != sent or any(ord(c) < 32 for c in sent):
            raise ValueError(f"sent_folder: {sent!r} has surrounding spaces or control characters")
        if sent in taken or (sent.upper() == "INBOX" and "INBOX" in (t.upper() for t in taken)):
            raise ValueError(
                f"sent_folder: {sent!r} is the folder intake reads mail from or moves it to; "
                "name the folder the mail program keeps sent mail in"
            )

    def anchored(self, anchor: Callable[[Path | None], Path | None]) -> MailboxConfig:
        """The same mailbox with its relative paths taken from the configuration's folder."""
        return self

    @property
    def label(self) -> str:
        return f"mailbox {self.name!r}"

    def key(self, name: str) -> str:
        return f"mailbox {self.name!r}: {name}"


MAILBOX_KINDS: dict[str, type[MailboxConfig]] = {}  # source name → its config class
SOURCES_PACKAGE = "intake.sources"  # registers the built-in kinds when imported


def register_mailbox_kind(source: str, config_class: type[MailboxConfig]) -> None:
    """Make ``[[mailbox]] source = SOURCE`` read as ``config_class``."""
    MAILBOX_KINDS[source] = config_class


def mailbox_kinds() -> dict[str, type[MailboxConfig]]:
    """The registered kinds; the first call loads the source package, which registers the built-in
    ones (a plug-in lookup: the configuration names no source, the sources name themselves)."""
    if not MAILBOX_KINDS:
        importlib.import_module(SOURCES_PACKAGE)
    return MAILBOX_KINDS


def read_mailbox(value: object) -> object:
    """A ``[[mailbox]]`` table read as its source's config class (errors name the key)."""
    if not isinstance(value, dict):
        return value  # an instance already, or pydantic says what is wrong
    kinds = mailbox_kinds()
    source = value.get("source")
    if source is None:
        raise ValueError("source: required (" + " or ".join(f'"{k}"' for k in kinds) + ")")
    if not isinstance(source, str) or source not in kinds:
        names = " or ".join(f'"{k}"' for k in kinds)
        raise ValueError(f"source: {source!r} is not a kind of mail source (use {names})")
    return kinds[source].model_validate(value)


class SmtpConfig(ServerConfig):
    """How replies go out: ``transport = "smtp"`` (the server keys), or ``"graph"``: Microsoft
    Graph's ``sendMail`` at ``graph_url``, from the mailbox ``username``, with the app's token
    (``auth = "microsoft"``, ``[smtp.oauth] flow = "app"``; ``ca_file`` for a private CA)."""

    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Security = "starttls"
    transport: Literal["smtp", "graph"] = "smtp"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    DEFAULT_SCOPES: ClassVar[dict[tuple[str, ...], list[str]]] = {
        ("microsoft", "app"): ["https://outlook.office365.com/.default"],
        ("microsoft", "device"): ["https://outlook.office365.com/SMTP.Send"],
        ("google",): ["https://mail.google.com/"],
    }

    @model_validator(mode="after")
    def _server_keys(self) -> SmtpConfig:
        self.check_server()
        if self.transport != "smtp":
            self._check_graph()
        return self

    def _check_graph(self) -> None:
        if self.auth != "microsoft" or self.oauth_flow != "app":
            raise ValueError(
                'auth: transport = "graph" sends as the app: use auth = "microsoft", oauth.flow = "app"'
            )
        if not self.username:
            raise ValueError(
                'username: required when transport = "graph" (the mailbox replies are sent from)'
            )
        if not self.graph_url.startswith("https://"):
            raise ValueError(f"graph_url: {self.graph_url!r} is not an https:// address")
