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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

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
    lock_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0  # wait this long for a busy SQLite database


class DocumentsConfig(_Section):
    soffice: str = ""  # path to LibreOffice's soffice for .doc → .docx; empty: look on PATH
    expected_password_ttl_hours: Annotated[int, Field(ge=1)] = 72


class MailboxConfig(_Section):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    profile: Literal["membership", "incident"]
    address: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    case_prefix: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*$")]
    source: Literal["imap", "maildir"]
    # imap
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    processed_folder: str = ""  # empty: keep messages in place and set the $IntakeProcessed keyword
    timeout: Annotated[float, Field(gt=0)] = 30.0
    # maildir
    path: FilePath | None = None

    @model_validator(mode="after")
    def _source_keys(self) -> MailboxConfig:
        if self.source == "maildir" and self.path is None:
            raise ValueError('path: required when source = "maildir"')
        if self.source == "imap" and not self.username:
            raise ValueError('username: required when source = "imap"')
        return self

    def password(self) -> SecretStr:
        return _secret(self.password_env, f"mailbox {self.name!r}: password_env")


class SmtpConfig(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["ssl", "starttls", "none"] = "starttls"
    username: str = ""
    password_env: str = ""
    timeout: Annotated[float, Field(gt=0)] = 30.0

    def password(self) -> SecretStr:
        return _secret(self.password_env, "smtp.password_env")


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
            "database": _anchor_db(config.storage.database, base),
        }
    )
    mailboxes = [mb.model_copy(update={"path": anchor(mb.path)}) for mb in config.mailbox]
    desk = config.desk.model_copy(update={"session_key_file": anchor(config.desk.session_key_file)})
    return config.model_copy(
        update={"storage": storage, "mailbox": mailboxes, "rules_dir": anchor(config.rules_dir), "desk": desk}
    )


def _anchor_db(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url
