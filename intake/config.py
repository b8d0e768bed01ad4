"""The configuration file: declared, typed and validated when loaded.

Every key is declared here with its type; unknown keys and wrong types are refused with one line
naming the file, the key and the problem (``ConfigError``, exit 2). Secrets are never written in the
file: a ``*_env`` key names the environment variable that holds them, and the value is read only
when it is needed, kept as a :class:`pydantic.SecretStr` so it never shows in a repr or traceback.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from intake.errors import ConfigError
from intake.resources import default_rules_dir

CONFIG_ENV = "INTAKE_CONFIG"
FilePath = Annotated[Path, Field(strict=False)]  # written as a string in TOML
Day = Annotated[date, Field(strict=False)]  # a TOML date or a "YYYY-MM-DD" string
DEFAULT_CONFIG = "config.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StorageConfig(_Section):
    database: str = "sqlite:///storage/intake.db"
    archive_dir: FilePath = Path("storage/messages")
    key_file: FilePath = Path("storage/intake.key")  # encrypts passwords phoned in ahead; mode 0600
    keep_decrypted: bool = False  # write decrypted documents under archive_dir/decrypted (off: memory only)
    lock_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0  # wait this long for a busy database
    token_cache_file: FilePath = Path("storage/tokens.enc")  # OAuth2 refresh tokens, sealed with key_file


class DocumentsConfig(_Section):
    soffice: str = ""  # path to LibreOffice's soffice for .doc → .docx; empty: look on PATH
    expected_password_ttl_hours: Annotated[int, Field(ge=1)] = 72


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
    idle: bool = True  # intake run waits for new mail with IMAP IDLE where the server offers it
    idle_renew_seconds: Annotated[float, Field(ge=1, le=1740)] = 540.0  # re-issue IDLE this often
    # maildir
    path: FilePath | None = None

    @model_validator(mode="after")
    def _source_keys(self) -> MailboxConfig:
        if self.source == "maildir" and self.path is None:
            raise ValueError('path: required when source = "maildir"')
        if self.source == "imap":
            if not self.username:
                raise ValueError('username: required when source = "imap"')
            self.check_server()
        return self

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


class RepliesConfig(_Section):
    mode: Literal["send", "hold", "off"] = "send"
    max_per_sender_per_day: Annotated[int, Field(ge=0)] = 5
    backlog_age_hours: Annotated[int, Field(ge=0)] = 24
    retry_base_seconds: Annotated[int, Field(ge=1)] = 60
    retry_max_seconds: Annotated[int, Field(ge=1)] = 14400
    max_attempts: Annotated[int, Field(ge=1)] = 10
    # a reply taken by a sender that then died waits this long before another sender takes it
    claim_lease_seconds: Annotated[int, Field(ge=1)] = 600


class RecruitmentPeriod(_Section):
    """A period in which new membership applications (新規加入) are accepted; dates inclusive, JST."""

    start: Day
    end: Day


class MembershipConfig(_Section):
    recruitment_periods: list[RecruitmentPeriod] = []


class LimitsConfig(_Section):
    max_message_mb: Annotated[float, Field(gt=0)] = 30.0
    max_attachment_mb: Annotated[float, Field(gt=0)] = 20.0
    max_parts: Annotated[int, Field(ge=1)] = 200
    max_depth: Annotated[int, Field(ge=1)] = 20
    max_header_line_kb: Annotated[float, Field(ge=1)] = 64.0
    # inside one attachment (a zip, or the zip a .docx is), counted while it is unpacked
    max_unpacked_mb: Annotated[float, Field(gt=0)] = 50.0
    max_ratio: Annotated[float, Field(ge=10)] = 200.0
    max_zip_members: Annotated[int, Field(ge=1)] = 1000
    max_xml_mb: Annotated[float, Field(gt=0)] = 10.0


class DeskConfig(_Section):
    """The web desk (``intake desk``): where it listens, how it is reached, how long a session lasts."""

    host: str = "127.0.0.1"  # keep it on loopback; put a TLS reverse proxy in front for the office
    port: Annotated[int, Field(ge=1, le=65535)] = 8730
    public_url: str = ""  # e.g. https://desk.example.jp (behind the proxy): cookies then go over TLS only
    idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    session_key_file: FilePath = Path("storage/desk.key")  # signs the session cookies; mode 0600
    forwarded_allow_ips: str = "127.0.0.1"  # the proxy whose X-Forwarded-For is believed

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.lower().startswith("https://")


class MonitoringConfig(_Section):
    """What ``intake status`` calls a failure worth an alert (its exit code 1)."""

    failing_minutes: Annotated[int, Field(ge=0)] = 30  # a mailbox or SMTP failing at least this long


class ImapTuning(_Section):
    batch_size: Annotated[int, Field(ge=1, le=5000)] = 100


class Config(_Section):
    poll_interval: Annotated[int, Field(ge=1)] = 60
    rules_dir: FilePath | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    storage: StorageConfig = StorageConfig()
    documents: DocumentsConfig = DocumentsConfig()
    mailbox: list[MailboxConfig] = []
    smtp: SmtpConfig = SmtpConfig()
    replies: RepliesConfig = RepliesConfig()
    membership: MembershipConfig = MembershipConfig()
    limits: LimitsConfig = LimitsConfig()
    imap: ImapTuning = ImapTuning()
    desk: DeskConfig = DeskConfig()
    monitoring: MonitoringConfig = MonitoringConfig()

    @model_validator(mode="after")
    def _unique_mailboxes(self) -> Config:
        for key in ("name", "case_prefix", "address"):
            seen: set[str] = set()
            for i, mb in enumerate(self.mailbox):
                value = getattr(mb, key).lower()
                if value in seen:
                    raise ValueError(f"mailbox[{i}].{key}: {getattr(mb, key)!r} is used by two mailboxes")
                seen.add(value)
        return self

    @property
    def rules_path(self) -> Path:
        return self.rules_dir or default_rules_dir()

    def get_mailbox(self, name: str) -> MailboxConfig:
        for mb in self.mailbox:
            if mb.name == name:
                return mb
        known = ", ".join(mb.name for mb in self.mailbox) or "none configured"
        raise ConfigError(f"no mailbox named {name!r} (known: {known})")

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset(mb.address.lower() for mb in self.mailbox)


def _secret(env_name: str, key: str) -> SecretStr:
    if not env_name:
        return SecretStr("")
    value = os.environ.get(env_name)
    if value is None:
        raise ConfigError(f"{key}: environment variable {env_name} is not set")
    return SecretStr(value)


def read_secret_file(path: Path, key: str) -> str:
    """A secret kept in a file: only its owner may read it (mode 0600 or stricter)."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigError(f"{key}: {path} can be read by others (mode {mode:04o}); chmod 600 {path}")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{key}: {path} cannot be read ({exc.strerror})") from None


def config_path(explicit: str | Path | None) -> Path:
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the configuration; relative paths are taken from the file's folder."""
    file = config_path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such configuration file (set --config or {CONFIG_ENV})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(data, source=str(file), base=file.parent)


def parse_config(data: dict, *, source: str = "<config>", base: Path = Path(".")) -> Config:
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_problem(exc)}") from None
    return _anchor_paths(config, base)


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    key = ""
    for part in err["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{key}: {message}" if key else message


def _anchor_paths(config: Config, base: Path) -> Config:
    """Make relative paths relative to the configuration file, not to the current folder."""

    def anchor(p: Path | None) -> Path | None:
        return p if p is None or p.is_absolute() else (base / p)

    storage = config.storage.model_copy(
        update={
            "archive_dir": anchor(config.storage.archive_dir),
            "key_file": anchor(config.storage.key_file),
            "token_cache_file": anchor(config.storage.token_cache_file),
            "database": _anchor_db(config.storage.database, base),
        }
    )
    mailboxes = [
        _anchor_server(mb, anchor).model_copy(update={"path": anchor(mb.path)}) for mb in config.mailbox
    ]
    desk = config.desk.model_copy(update={"session_key_file": anchor(config.desk.session_key_file)})
    return config.model_copy(
        update={
            "storage": storage,
            "mailbox": mailboxes,
            "smtp": _anchor_server(config.smtp, anchor),
            "rules_dir": anchor(config.rules_dir),
            "desk": desk,
        }
    )


def _anchor_server(server, anchor):
    oauth = server.oauth.model_copy(
        update={
            "client_secret_file": anchor(server.oauth.client_secret_file),
            "service_account_file": anchor(server.oauth.service_account_file),
        }
    )
    return server.model_copy(update={"ca_file": anchor(server.ca_file), "oauth": oauth})


def _anchor_db(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url
