"""``intake doctor``: every part intake needs, tried once, with the fix for each failure.

The configuration (already loaded, or the command would have stopped with its one line), the
database and its migrations, the search index (a warning when it is empty but cases exist),
the key file and the token cache, each mailbox (connect, TLS, login,
folder, sent folder, IDLE, clock), SMTP (connect, TLS, login — no mail is sent), LibreOffice for ``.doc``,
ClamAV's clamd when ``[scan]`` names its socket (PING, VERSION) and the PGP and S/MIME keys of
``[crypto]``.
Nothing is changed anywhere: no key file is made, no message marked, no folder created.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import asdict, dataclass

import aiosmtplib
from sqlmodel import Session

from intake.access.keys import read_key
from intake.access.login import login_for
from intake.access.smtp import smtp_session
from intake.access.tls import connection_hint, login_hint, tls_problem
from intake.access.tokens import TokenStore
from intake.config import Config, MailboxConfig, SmtpConfig
from intake.db import current_revision, head_revision, make_engine, reading, search
from intake.documents.libreoffice import find_soffice
from intake.documents.scan import Clamd, ScanUnavailable
from intake.errors import ConfigError, SourceError
from intake.secretariat.search import index_empty
from intake.sources import kind_of
from intake.sources.graph.probe import probe_sending
from intake.tools.doctor_keys import key_checks

CONFIG_FIX = "correct what the message names (a key of the configuration, a file, an environment variable)"


@dataclass(frozen=True)
class Check:
    area: str
    state: str  # ok | warn | fail
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def run_doctor(config: Config) -> list[Check]:
    database = _database(config)
    checks = [database, *([_search_index(config)] if database.state == "ok" else [])]
    checks += [_key_file(config), _token_cache(config)]
    for mailbox in config.mailbox:
        checks += _mailbox(mailbox, config)
    checks += _smtp(config)
    checks += [_libreoffice(config), _clamd(config)]
    return checks + key_checks(config, Check)


def _database(config: Config) -> Check:
    try:
        engine = make_engine(config.storage.database, lock_timeout=config.storage.lock_timeout_seconds)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    except ConfigError as exc:  # a URL that cannot be read, a driver not installed: the line says which
        problem, _, fix = str(exc).removeprefix("storage.database: ").partition(": ")
        return Check("database", "fail", problem, fix or "check storage.database")
    except Exception as exc:  # noqa: BLE001 — whatever the driver says, in one line
        return Check(
            "database", "fail", f"cannot be opened ({exc.__class__.__name__})", "check storage.database"
        )
    if current != head_revision():
        return Check(
            "database",
            "fail",
            f"schema {current or 'none'}, this intake needs {head_revision()}",
            "run: intake init",
        )
    return Check("database", "ok", f"schema {current}")


def _search_index(config: Config) -> Check:
    """The search index has rows once it was built: a database from before it has cases and none
    (a warning: everything else works, the search finds nothing until it is built)."""
    engine = reading(make_engine(config.storage.database, lock_timeout=config.storage.lock_timeout_seconds))
    try:
        with Session(engine) as session:
            cases = index_empty(session)
            entries = 0 if cases else search.entry_count(session)
    finally:
        engine.dispose()
    if cases:
        detail = f"empty, while the database holds {cases} cases"
        return Check("search index", "warn", detail, "run: intake search --reindex")
    return Check("search index", "ok", f"{entries} entries")


def _key_file(config: Config) -> Check:
    path = config.storage.key_file
    if not path.exists():
        return Check("key file", "ok", f"{path} will be made on first use (mode 0600)")
    try:
        read_key(path)
    except ConfigError as exc:
        fix = f"chmod 600 {path}, owned by the user intake runs as (or restore the key from a backup)"
        return Check("key file", "fail", str(exc), fix)
    return Check("key file", "ok", f"{path}, mode 0600")


def _token_cache(config: Config) -> Check:
    store = TokenStore.for_config(config)
    if not store.path.exists():
        return Check("token cache", "ok", "empty (made at the first OAuth2 sign-in)")
    try:
        names = store.names()
    except ConfigError as exc:
        return Check(
            "token cache",
            "fail",
            str(exc),
            "restore storage.key_file, or delete the cache and run intake auth login",
        )
    return Check("token cache", "ok", f"sealed; entries: {', '.join(names) or 'none'}")


def _mailbox(mailbox: MailboxConfig, config: Config) -> list[Check]:
    """The mailbox's kind of source tries it (:meth:`~intake.sources.base.SourceKind.probe`)."""
    area = f"mailbox {mailbox.name}"
    return [Check(area, p.state, p.detail, p.fix) for p in kind_of(mailbox).probe(mailbox, config)]


def _smtp(config: Config) -> list[Check]:
    smtp = config.smtp
    if smtp.transport != "smtp":  # replies go through Graph's sendMail
        sending = probe_sending(smtp)
        return [Check("smtp", sending.state, sending.detail, sending.fix)]
    try:
        detail = asyncio.run(_try_smtp(smtp, config))
    except SourceError as exc:
        return [Check("smtp", "fail", str(exc), exc.hint)]
    except ConfigError as exc:
        return [Check("smtp", "fail", str(exc), CONFIG_FIX)]
    return [Check("smtp", "ok", detail)]


async def _try_smtp(smtp: SmtpConfig, config: Config) -> str:
    where = f"smtp {smtp.host}:{smtp.port}"
    login = login_for(smtp, TokenStore.for_config(config)) if smtp.username else None
    try:
        async with smtp_session(smtp, login):
            pass
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SourceError(
            f"{where}: login refused ({exc.code} {exc.message})", hint=login_hint(smtp)
        ) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        cause = exc.__cause__ or exc
        said = tls_problem(cause, smtp) if isinstance(cause, ssl.SSLError) else str(exc)
        raise SourceError(f"{where}: cannot connect: {said}", hint=connection_hint(cause, smtp)) from None
    if login is None:
        return f"{smtp.security} to {smtp.host}:{smtp.port}, no login configured"
    return f"{smtp.security} to {smtp.host}:{smtp.port}, logged in as {smtp.username}"


def _libreoffice(config: Config) -> Check:
    found = find_soffice(config.documents.soffice or None)
    if found:
        return Check("LibreOffice", "ok", f"{found} (for legacy .doc forms)")
    return Check(
        "LibreOffice",
        "warn",
        "soffice not found: legacy .doc forms cannot be read",
        "apt-get install libreoffice-writer-nogui, or set documents.soffice",
    )


def _clamd(config: Config) -> Check:
    socket = config.scan.clamd_socket
    if socket is None:
        return Check("ClamAV", "ok", "off ([scan] clamd_socket is not set): attachments are not scanned")
    try:
        version = Clamd(socket=socket, timeout=config.scan.timeout_seconds).version()
    except ScanUnavailable as exc:
        fix = (
            "start clamd (systemctl start clamav-daemon) and let the user intake runs as open its socket "
            "(clamd.conf LocalSocket, LocalSocketGroup, LocalSocketMode), or correct scan.clamd_socket"
        )
        return Check("ClamAV", "fail", str(exc), fix)
    return Check("ClamAV", "ok", f"clamd at {socket}: {version}")


def failed(checks: list[Check]) -> bool:
    return any(c.state == "fail" for c in checks)
