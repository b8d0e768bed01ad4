"""Passwords phoned in before their mail arrives (the call often comes first).

A password typed with ``intake expect-password`` is kept only until it is used or expires, and
never in plain text: the database holds a Fernet token (AES-128-CBC + HMAC-SHA256) made with the
key in ``storage.key_file``, a file created on first use with mode 0600. In memory a password is a
:class:`pydantic.SecretStr`; logs, audit entries, reprs and exceptions carry ids, never a password.

When an encrypted attachment arrives, :func:`try_expected_passwords` tries every matching password
once and deletes each one it tried, whether it opened the file or not.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlmodel import Session, col, or_, select

from intake.access.keys import fernet_for
from intake.cases.organisations import org_key
from intake.cases.unlock import OpenResult, open_attachment
from intake.clock import JST
from intake.config import Config
from intake.db import audit
from intake.db.keys import stored_id
from intake.db.tables import ExpectedPassword, utcnow
from intake.errors import ConfigError, NotFound

log = logging.getLogger(__name__)
ACTOR = "intake"


class PasswordVault:
    """Encrypts and decrypts expected passwords with the key in ``key_file`` (made on first use)."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = Path(key_file)
        self._fernet: Fernet | None = None

    def __repr__(self) -> str:
        return f"PasswordVault({str(self.key_file)!r})"

    def fernet(self) -> Fernet:
        if self._fernet is None:
            self._fernet = fernet_for(self.key_file)
        return self._fernet

    def seal(self, password: SecretStr) -> bytes:
        return self.fernet().encrypt(password.get_secret_value().encode("utf-8"))

    def unseal(self, token: bytes) -> SecretStr:
        """The password in ``token``; raises :class:`InvalidToken` when another key made it."""
        return SecretStr(self.fernet().decrypt(token).decode("utf-8"))

    def expect(
        self,
        session: Session,
        *,
        sender: str | None,
        org: str | None,
        password: str | SecretStr,
        ttl_hours: int,
        by: str,
        rules_dir: Path,
    ) -> int:
        """Keep ``password`` for mail from ``sender`` or from organisation ``org`` (compared as
        :func:`~intake.cases.organisations.org_key` with ``rules_dir``'s legal forms); returns its id."""
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
        sender = _address(sender)
        key = org_key(org, rules_dir) if org and org.strip() else None
        if not secret.get_secret_value():
            raise ValueError("the password is empty")
        if sender is None and key is None:
            raise ValueError("a sender address or an organisation is needed")
        if ttl_hours < 1:
            raise ValueError("ttl_hours must be at least 1")
        expires = utcnow() + timedelta(hours=ttl_hours)
        row = ExpectedPassword(
            sender=sender, org_key=key, token=self.seal(secret), expires_at=expires, created_by=by
        )
        session.add(row)
        session.flush()
        detail = f"expected password {row.id} for {describe(row)}, kept until {_jst(row.expires_at)}"
        audit.record(session, by=by, action="password_expected", detail=detail)
        log.info("expected password %s stored for %s", row.id, describe(row))
        return stored_id(row)

    def candidates(
        self, session: Session, *, sender: str, org: str | None, rules_dir: Path
    ) -> list[tuple[int, SecretStr]]:
        """Unexpired passwords for ``sender`` (any case) or ``org``, oldest first, as (id, password)."""
        found = []
        for row in matching_rows(session, sender=sender, org=org, rules_dir=rules_dir):
            try:
                found.append((stored_id(row), self.unseal(row.token)))
            except InvalidToken:
                log.warning("expected password %s was not made with %s: ignored", row.id, self.key_file)
        return found

    def forget(self, session: Session, expected_id: int) -> bool:
        return forget(session, expected_id)

    def purge_expired(self, session: Session) -> int:
        return purge_expired(session)


def matching_rows(
    session: Session, *, sender: str | None, org: str | None, rules_dir: Path
) -> list[ExpectedPassword]:
    """The unexpired rows for ``sender`` or ``org`` (no decryption, so no key file is needed)."""
    match = []
    if address := _address(sender):
        match.append(col(ExpectedPassword.sender) == address)
    if org and org.strip():
        match.append(col(ExpectedPassword.org_key) == org_key(org, rules_dir))
    if not match:
        return []
    query = (
        select(ExpectedPassword)
        .where(or_(*match), col(ExpectedPassword.expires_at) > utcnow())
        .order_by(col(ExpectedPassword.created_at), col(ExpectedPassword.id))
    )
    rows = list(session.exec(query))
    log.debug("%d expected passwords match sender %s / organisation %s", len(rows), sender, org)
    return rows


def forget(session: Session, expected_id: int) -> bool:
    """Delete one expected password (overwriting its bytes on SQLite); False when it was not there."""
    row = session.get(ExpectedPassword, expected_id)
    if row is None:
        return False
    _secure_delete(session)
    session.delete(row)
    session.flush()
    return True


def purge_expired(session: Session) -> int:
    """Delete every expired password, with an audit entry each; returns how many."""
    rows = list(session.exec(select(ExpectedPassword).where(col(ExpectedPassword.expires_at) <= utcnow())))
    for row in rows:
        detail = f"expected password {row.id} for {describe(row)} expired unused"
        audit.record(session, by=ACTOR, action="password_expired", detail=detail)
        forget(session, stored_id(row))
    if rows:
        log.info("%d expected passwords expired unused and were deleted", len(rows))
    return len(rows)


def try_expected_passwords(
    session: Session,
    *,
    config: Config,
    attachments: Mapping[int, bytes | None],
    sender: str,
    org: str | None,
    by: str = ACTOR,
) -> list[int]:
    """Try the passwords phoned in for ``sender`` / ``org`` on the encrypted attachments of one
    arriving message (``attachments``: id → its bytes, when the caller has them at hand).

    Applicants encrypt the 加入申込書 and the 事務従事者登録届 of one mail with one password: each
    candidate is tried ONCE on every attachment still pending, then deleted — used means gone,
    whether it opened a file or not — so a wrong password phoned in is not tried again on later
    mail. Works inside the caller's session; the caller refreshes the case and commits. Returns the
    ids of the attachments that opened.
    """
    purge_expired(session)
    if not matching_rows(session, sender=sender, org=org, rules_dir=config.rules_path):
        return []  # nothing phoned in: do not create a key file for nothing
    try:
        vault = PasswordVault(config.storage.key_file)
        candidates = vault.candidates(session, sender=sender, org=org, rules_dir=config.rules_path)
    except ConfigError as exc:  # a bad key file must not quarantine the mail: the files stay pending
        log.error("passwords phoned in ahead cannot be used: %s", exc)
        return []
    opened: list[int] = []
    for expected_id, password in candidates:
        results = [
            _try_one(session, config, a, payload, expected_id, password, by)
            for a, payload in attachments.items()
            if a not in opened
        ]
        opened += [r.attachment_id for r in results if r is not None and r.opened]
        if any(r is not None for r in results):
            forget(session, expected_id)
    return opened


def _try_one(
    session: Session,
    config: Config,
    attachment_id: int,
    payload: bytes | None,
    expected_id: int,
    password: SecretStr,
    by: str,
) -> OpenResult | None:
    """Try one password on one attachment: its OpenResult, or None when it was not waiting for one."""
    try:
        result = open_attachment(
            session,
            config=config,
            attachment_id=attachment_id,
            password=password.get_secret_value(),
            by=by,
            via="expected_password",
            payload=payload,
        )
    except NotFound:
        return None
    outcome = "opened it" if result.opened else f"did not open it ({result.state})"
    detail = {
        "expected": expected_id,
        "attachment": attachment_id,
        "opened": result.opened,
        "state": result.state,
    }
    audit.record(session, by=by, action="expected_password_used", case_id=result.case_id, detail=detail)
    log.info("expected password %s tried on attachment %s: %s", expected_id, attachment_id, outcome)
    return result


def describe(row: ExpectedPassword) -> str:
    """Whom a row is for, in plain words (no password)."""
    parts = [
        f"sender {row.sender}" if row.sender else "",
        f"organisation {row.org_key}" if row.org_key else "",
    ]
    return " or ".join(p for p in parts if p)


def aware(when: datetime) -> datetime:
    """SQLite gives back naive UTC times."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _jst(when: datetime) -> str:
    return aware(when).astimezone(JST).strftime("%Y-%m-%d %H:%M JST")


def _address(sender: str | None) -> str | None:
    return (sender.strip().lower() or None) if sender else None


def _secure_delete(session: Session) -> None:
    """Ask SQLite to overwrite deleted rows, so a used token does not linger in free pages."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
