"""The configuration file: declared, typed and validated when loaded (the mail servers' sections
in :mod:`.servers`, what every section shares in :mod:`.base`).

Every key is declared here with its type; unknown keys and wrong types are refused with one line
naming the file, the key and the problem (``ConfigError``, exit 2). Secrets are never written in the
file: a ``*_env`` key names the environment variable that holds them, and the value is read only
when it is needed, kept as a :class:`pydantic.SecretStr` so it never shows in a repr or traceback.
"""

from __future__ import annotations

import os
import tomllib
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from intake.config.base import Day, FilePath, _secret, _Section, read_secret_file
from intake.config.servers import (
    MailboxConfig,
    OAuthConfig,
    ServerConfig,
    SmtpConfig,
    read_mailbox,
    register_mailbox_kind,
)
from intake.errors import ConfigError
from intake.resources import default_rules_dir

__all__ = [
    "Config",
    "MailboxConfig",
    "OAuthConfig",
    "ServerConfig",
    "SlaConfig",
    "SmtpConfig",
    "config_path",
    "load_config",
    "parse_config",
    "read_secret_file",
    "register_mailbox_kind",
]

CONFIG_ENV = "INTAKE_CONFIG"
DEFAULT_CONFIG = "config.toml"


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


class UnlockConfig(_Section):
    """A password sent by mail anyway (``intake.cases.password_mail``): a mail carrying one from the
    sender's organisation joins the case whose file waits for it when the two arrive at most
    ``password_mail_hours`` apart, in either order."""

    password_mail_hours: Annotated[int, Field(ge=1, le=24 * 31)] = 72


class RepliesConfig(_Section):
    mode: Literal["send", "hold", "off"] = "send"
    max_per_sender_per_day: Annotated[int, Field(ge=0)] = 5
    backlog_age_hours: Annotated[int, Field(ge=0)] = 24
    retry_base_seconds: Annotated[int, Field(ge=1)] = 60
    retry_max_seconds: Annotated[int, Field(ge=1)] = 14400
    max_attempts: Annotated[int, Field(ge=1)] = 10
    # a reply taken by a sender that then died waits this long before another sender takes it
    claim_lease_seconds: Annotated[int, Field(ge=1)] = 600
    # a reply staff wrote waits (held) until another desk user releases it (four eyes)
    staff_review: bool = False
    # the files one staff reply may carry, together
    max_attachment_mb: Annotated[float, Field(gt=0)] = 10.0


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
    # how much of a message's text is read for answers and passwords (the rest is kept and shown)
    max_text_chars: Annotated[int, Field(ge=1000)] = 50_000
    # one message's processing time; past it the message goes to the quarantine, the poll goes on
    max_message_seconds: Annotated[float, Field(gt=0)] = 60.0


class DeskConfig(_Section):
    """The web desk (``intake desk``): where it listens, how it is reached, how long a session
    lasts, whose ``X-Forwarded-For`` is believed and how large an upload may be."""

    host: str = "127.0.0.1"  # keep it on loopback; put a TLS reverse proxy in front for the office
    port: Annotated[int, Field(ge=1, le=65535)] = 8730
    public_url: str = ""  # e.g. https://desk.example.jp (behind the proxy): cookies then go over TLS only
    idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30
    session_max_hours: Annotated[int, Field(ge=1, le=24 * 31)] = 12  # from sign-in, however busy
    session_key_file: FilePath = Path("storage/desk.key")  # signs the session cookies; mode 0600
    trusted_proxies: list[str] = []  # addresses or networks whose X-Forwarded-For is believed
    max_upload_mb: Annotated[float, Field(gt=0, le=1024)] = 10.0  # a register file sent to the desk

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: object) -> object:
        if isinstance(data, dict) and "forwarded_allow_ips" in data:
            raise ValueError(
                "forwarded_allow_ips: replaced by trusted_proxies, a list of the proxies' addresses"
            )
        return data

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/24)"
                ) from None
        return value

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.lower().startswith("https://")


class MonitoringConfig(_Section):
    """What ``intake status`` calls a failure worth an alert (its exit code 1)."""

    failing_minutes: Annotated[int, Field(ge=0)] = 30  # a mailbox or SMTP failing at least this long


class RetentionConfig(_Section):
    """How long personal data is kept (APPI: no longer than needed). Nothing is deleted until an
    operator sets a number of days; ``intake purge --apply`` (or ``intake run`` daily with ``auto``)
    strips what is older down to the case skeleton.

    ``closed_case_days``: the messages, extracted form fields and incident text of a case closed or
    rejected (its last change) that many days ago; a mailbox's own ``closed_case_days`` overrides it.
    ``removed_person_days``: a person removed from the register (廃止) that many days ago is deleted.
    """

    closed_case_days: Annotated[int, Field(ge=1)] | None = None
    removed_person_days: Annotated[int, Field(ge=1)] | None = None
    auto: bool = False


class TrustConfig(_Section):
    """Who vouches for a sender. ``authserv_ids`` name the secretariat's own receiving servers:
    only their Authentication-Results headers (RFC 8601) are believed — a sender can write any
    header. ``verify_dkim`` also checks DKIM signatures and DMARC alignment here, through DNS.
    ``exchange_online``: on mail read through Microsoft Graph, believe the topmost header, which
    Exchange Online writes without an authserv-id (only that source; never on IMAP or Maildir)."""

    authserv_ids: list[str] = []
    verify_dkim: bool = False
    exchange_online: bool = False


class CryptoConfig(_Section):
    """The secretariat's keys for encrypted and signed mail: a GnuPG home holding its PGP key (and
    the reporters' public keys), and an S/MIME certificate with its key (PEM, mode 0600).
    ``encrypt_replies``: ``when_possible`` encrypts a reply to a reporter who wrote encrypted and
    whose key is on file; ``required`` never sends such a reporter a reply in clear."""

    gnupg_home: FilePath | None = None
    passphrase_env: str = ""  # the PGP key's passphrase
    smime_cert: FilePath | None = None
    smime_key: FilePath | None = None
    smime_passphrase_env: str = ""  # the S/MIME key's passphrase, if it has one
    smime_ca_file: FilePath | None = None  # CAs whose S/MIME signers count as known
    encrypt_replies: Literal["never", "when_possible", "required"] = "never"

    @model_validator(mode="after")
    def _pairs(self) -> CryptoConfig:
        if (self.smime_cert is None) != (self.smime_key is None):
            raise ValueError("smime_key: smime_cert and smime_key go together")
        return self

    def passphrase(self) -> SecretStr:
        return _secret(self.passphrase_env, "crypto.passphrase_env")

    def smime_passphrase(self) -> SecretStr:
        return _secret(self.smime_passphrase_env, "crypto.smime_passphrase_env")


class ScanConfig(_Section):
    """ClamAV: every attachment, and every file decrypted from one, is sent to ``clamd`` over its
    unix socket (``LocalSocket`` of clamd.conf). Off while ``clamd_socket`` is unset. A file clamd
    cannot scan in ``timeout_seconds`` (or a clamd that is down) is processed anyway and reported
    to staff as not scanned."""

    clamd_socket: FilePath | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0

    @field_validator("clamd_socket", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if value == "" else value  # an empty string would be the folder "."


BusinessDays = Annotated[int, Field(ge=0, le=250)]


class StatusDays(_Section):
    """Business days (営業日: not weekends, national holidays or 29 Dec – 3 Jan) a case may stay in
    each open status before it is overdue; a kind's table leaves out what the default table says."""

    new: BusinessDays | None = None
    waiting_for_password: BusinessDays | None = None
    waiting_for_sender: BusinessDays | None = None
    ready_for_review: BusinessDays | None = None


DEFAULT_DAYS = StatusDays(new=2, waiting_for_password=3, waiting_for_sender=10, ready_for_review=5)


class SlaConfig(_Section):
    """Due dates (``intake.cases.sla``): when a case enters a status it is due that many business
    days later (``default``, or its kind's own table); accepted, rejected and closed cases have none.
    ``digest``: each desk user with an e-mail gets, once a day at ``digest_hour`` (JST), the list of
    their overdue and due-today cases (``intake run``; ``intake digest`` sends it at once)."""

    default: StatusDays = DEFAULT_DAYS
    membership_application: StatusDays = StatusDays()
    staff_registration: StatusDays = StatusDays()
    incident_report: StatusDays = StatusDays(new=1, ready_for_review=2)
    other: StatusDays = StatusDays()
    digest: bool = False
    digest_hour: Annotated[int, Field(ge=0, le=23)] = 8
    digest_mailbox: str = ""  # the mailbox whose address the digest is sent from; empty: the first

    def days(self, kind: str, status: str) -> int | None:
        """The business days for a case of ``kind`` in ``status``; None: no due date."""
        own = getattr(self, kind, None) if kind in KINDS else None
        value = getattr(own, status, None) if isinstance(own, StatusDays) else None
        return value if value is not None else getattr(self.default, status, None)


KINDS = ("membership_application", "staff_registration", "incident_report", "other")


class ImapTuning(_Section):
    batch_size: Annotated[int, Field(ge=1, le=5000)] = 100


class Config(_Section):
    poll_interval: Annotated[int, Field(ge=1)] = 60
    rules_dir: FilePath | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    storage: StorageConfig = StorageConfig()
    documents: DocumentsConfig = DocumentsConfig()
    unlock: UnlockConfig = UnlockConfig()
    mailbox: list[Annotated[MailboxConfig, BeforeValidator(read_mailbox)]] = []  # by its source
    smtp: SmtpConfig = SmtpConfig()
    replies: RepliesConfig = RepliesConfig()
    membership: MembershipConfig = MembershipConfig()
    limits: LimitsConfig = LimitsConfig()
    imap: ImapTuning = ImapTuning()
    desk: DeskConfig = DeskConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    retention: RetentionConfig = RetentionConfig()
    trust: TrustConfig = TrustConfig()
    crypto: CryptoConfig = CryptoConfig()
    scan: ScanConfig = ScanConfig()
    sla: SlaConfig = SlaConfig()

    @model_validator(mode="after")
    def _retention_set(self) -> Config:
        days = [self.retention.closed_case_days, self.retention.removed_person_days]
        days += [mb.closed_case_days for mb in self.mailbox]
        if self.retention.auto and all(d is None for d in days):
            raise ValueError("retention.auto: nothing to apply; set closed_case_days or removed_person_days")
        return self

    @model_validator(mode="after")
    def _digest_mailbox(self) -> Config:
        names = [mb.name for mb in self.mailbox]
        if self.sla.digest_mailbox and self.sla.digest_mailbox not in names:
            raise ValueError(f"sla.digest_mailbox: no mailbox named {self.sla.digest_mailbox!r}")
        return self

    def closed_case_days(self, mailbox: str) -> int | None:
        """Days a closed or rejected case of ``mailbox`` keeps its personal data (None: for ever)."""
        own = next((mb.closed_case_days for mb in self.mailbox if mb.name == mailbox), None)
        return own if own is not None else self.retention.closed_case_days

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
    mailboxes = [mb.anchored(anchor) for mb in config.mailbox]
    desk = config.desk.model_copy(update={"session_key_file": anchor(config.desk.session_key_file)})
    keys = ("gnupg_home", "smime_cert", "smime_key", "smime_ca_file")
    crypto = config.crypto.model_copy(update={k: anchor(getattr(config.crypto, k)) for k in keys})
    scan = config.scan.model_copy(update={"clamd_socket": anchor(config.scan.clamd_socket)})
    return config.model_copy(
        update={
            "storage": storage,
            "mailbox": mailboxes,
            "smtp": config.smtp.model_copy(update=config.smtp.anchored_server(anchor)),
            "rules_dir": anchor(config.rules_dir),
            "desk": desk,
            "crypto": crypto,
            "scan": scan,
        }
    )


def _anchor_db(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url
