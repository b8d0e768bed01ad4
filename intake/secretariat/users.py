"""The people who sign in to the web desk: secretariat operators, each with an account of their own.

There is no default account: the first is made with ``intake user add NAME``. Passwords are kept as
scrypt hashes (a memory-hard key derivation: 2^15 rounds, 32 MiB) with a salt of their own, and
checked in constant time; the password itself is never stored, logged or shown. A disabled
account cannot sign in. A new password or a disabled account ends the account's desk sessions
(:mod:`intake.secretariat.sessions`). Every change to an account is audited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from pydantic import SecretStr
from sqlmodel import Session, col, select

from intake.db import audit
from intake.db.tables import DeskUser, utcnow
from intake.errors import IntakeError, NotFound
from intake.secretariat import sessions

_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
MIN_LENGTH = 10


def hash_password(password: SecretStr) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: SecretStr, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        wanted = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(wanted, _unb64(digest))


def add_user(
    session: Session, name: str, password: SecretStr, *, by: str, email: str | None = None
) -> DeskUser:
    if not _NAME.match(name):
        raise IntakeError(
            f"user name {name!r}: letters, digits, . _ - only (at most 64)", label="user_name_bad", name=name
        )
    if session.exec(select(DeskUser).where(DeskUser.name == name)).first() is not None:
        raise IntakeError(
            f"user {name!r} exists already (intake user passwd {name} changes the password)",
            label="user_exists",
            name=name,
        )
    _check_strength(password)
    user = DeskUser(name=name, password_hash=hash_password(password), email=_email(email))
    session.add(user)
    audit.record(session, by=by, action="desk_user_added", detail=f"desk user {name}")
    return user


def set_email(session: Session, name: str, email: str | None, *, by: str) -> DeskUser:
    """The address the user's daily digest goes to (None or empty: no digest for them)."""
    user = get_user(session, name)
    user.email = _email(email)
    session.add(user)
    audit.record(session, by=by, action="desk_user_email", detail={"user": name, "email": user.email})
    return user


def _email(value: str | None) -> str | None:
    address = (value or "").strip()
    if not address:
        return None
    if not _EMAIL.match(address):
        raise IntakeError(
            f"{address!r} is not an e-mail address (name@example.jp)", label="user_email_bad", address=address
        )
    return address


def set_password(
    session: Session, name: str, password: SecretStr, *, by: str, keep_session: str | None = None
) -> int:
    """Set a new password and end the account's desk sessions, but ``keep_session`` (the token of
    the session it was changed from, if any); returns how many sessions ended."""
    user = get_user(session, name)
    _check_strength(password)
    user.password_hash, user.password_changed_at = hash_password(password), utcnow()
    session.add(user)
    ended = sessions.end_for_user(session, _id(user), keep=keep_session)
    audit.record(session, by=by, action="desk_user_password", detail=f"desk user {name}")
    return ended


def disable_user(session: Session, name: str, *, by: str) -> int:
    """Disable the account and end all its desk sessions; returns how many ended."""
    user = get_user(session, name)
    user.disabled = True
    session.add(user)
    ended = sessions.end_for_user(session, _id(user))
    audit.record(session, by=by, action="desk_user_disabled", detail=f"desk user {name}")
    return ended


def get_user(session: Session, name: str) -> DeskUser:
    user = session.exec(select(DeskUser).where(DeskUser.name == name)).first()
    if user is None:
        raise NotFound(f"no desk user {name!r}", label="user_unknown", name=name)
    return user


def list_users(session: Session) -> list[DeskUser]:
    return list(session.exec(select(DeskUser).order_by(col(DeskUser.name))))


def authenticate(session: Session, name: str, password: SecretStr) -> DeskUser | None:
    """The enabled user with this name and password, or None (the same work either way, so the
    time taken does not tell which names exist). Only reads: the slow check holds no write lock."""
    user = session.exec(select(DeskUser).where(DeskUser.name == name)).first()
    stored = user.password_hash if user is not None else _DUMMY
    if not verify_password(password, stored) or user is None or user.disabled:
        return None
    return user


def signed_in(session: Session, user_id: int) -> str:
    """Note the sign-in and start a desk session; returns the session's token."""
    user = session.get(DeskUser, user_id)
    if user is not None:
        user.last_sign_in_at = utcnow()
        session.add(user)
    return sessions.start(session, user_id)


def sign_in_refused(session: Session, name: str, address: str) -> None:
    """Audit a wrong password (by ``intake``, the product): the account if it exists, and the
    address. A name that is no account is not kept: it may be a password typed in the wrong box."""
    known = session.exec(select(DeskUser.id).where(DeskUser.name == name)).first() is not None
    detail = {"account": name if known else None, "address": address}
    audit.record(session, by="intake", action="desk_sign_in_refused", detail=detail)


def _id(user: DeskUser) -> int:
    assert user.id is not None  # a user read from the table
    return user.id


def _check_strength(password: SecretStr) -> None:
    if len(password.get_secret_value()) < MIN_LENGTH:
        raise IntakeError(
            f"the password must have at least {MIN_LENGTH} characters",
            label="password_too_short",
            min_length=MIN_LENGTH,
        )


def _scrypt(password: SecretStr, salt: bytes, n: int, r: int, p: int) -> bytes:
    secret = password.get_secret_value().encode("utf-8")
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


_DUMMY = "scrypt$32768$8$1$" + _b64(b"\0" * 16) + "$" + _b64(b"\0" * 32)
