"""The mail servers in the configuration: a ``[[mailbox]]`` to poll and the ``[smtp]`` server that
sends the replies, each with its TLS and its sign-in (password or OAuth2)."""

from __future__ import annotations

from typing import Annotated, Literal

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

    @property
    def oauth_flow(self) -> str:
        default = {"microsoft": "app", "google": "service_account"}.get(self.auth, "")
        return self.oauth.flow or default

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


class MailboxConfig(ServerConfig):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    profile: Literal["membership", "incident"]
    address: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    case_prefix: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*$")]
    source: Literal["imap", "maildir"]
    # imap (the server keys are ServerConfig's)
    folder: str = "INBOX"
    processed_folder: str = ""  # empty: keep messages in place and set the $IntakeProcessed keyword
    # Staff's replies written in their own mail program: read from this folder (IMAP name, or the
    # Maildir++ sub-folder ``.NAME`` of ``path``) into the cases they answer; empty: not read.
    sent_folder: str = ""
    idle: bool = True  # intake run waits for new mail with IMAP IDLE where the server offers it
    idle_renew_seconds: Annotated[float, Field(ge=1, le=1740)] = 540.0  # re-issue IDLE this often
    # maildir
    path: FilePath | None = None
    closed_case_days: Annotated[int, Field(ge=1)] | None = None  # overrides [retention] for this mailbox

    @model_validator(mode="after")
    def _source_keys(self) -> MailboxConfig:
        if self.source == "maildir" and self.path is None:
            raise ValueError('path: required when source = "maildir"')
        self._check_sent_folder()
        if self.source == "imap":
            if not self.username:
                raise ValueError('username: required when source = "imap"')
            self.check_server()
        return self

    def _check_sent_folder(self) -> None:
        sent = self.sent_folder
        if not sent:
            return
        if sent.strip() != sent or any(ord(c) < 32 for c in sent):
            raise ValueError(f"sent_folder: {sent!r} has surrounding spaces or control characters")
        if sent in (self.folder, self.processed_folder) or (sent.upper() == "INBOX" == self.folder.upper()):
            raise ValueError(
                f"sent_folder: {sent!r} is the folder intake reads mail from or moves it to; "
                "name the folder the mail program keeps sent mail in"
            )
        if self.source == "maildir" and ("/" in sent or sent.startswith(".")):
            raise ValueError(
                f'sent_folder: {sent!r} is not a Maildir++ folder name (write "Sent" for {{path}}/.Sent)'
            )

    @property
    def label(self) -> str:
        return f"mailbox {self.name!r}"

    def key(self, name: str) -> str:
        return f"mailbox {self.name!r}: {name}"


class SmtpConfig(ServerConfig):
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Security = "starttls"

    @model_validator(mode="after")
    def _server_keys(self) -> SmtpConfig:
        self.check_server()
        return self
