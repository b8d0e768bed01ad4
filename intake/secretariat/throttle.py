"""How many times an account, and a client address, may try a password: counted in the database.

Each try takes its place *before* the password is checked, with one atomic statement per key
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and PostgreSQL alike): however many
sign-ins arrive at once, and in however many desk processes, only the first ``per_account`` in a
window get a password checked. A right password gives the account its tries back (and its own
place at the address); a wrong one keeps its place until the window has passed. The counts
survive a restart. Keys are hashed: a name typed at the sign-in page is never kept.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from intake.db.tables import SignInAttempts, utcnow


class SignInThrottle:
    """Tries per account and per address in a window; over either limit, no password is checked."""

    def __init__(self, *, per_account: int = 5, per_address: int = 20, window_seconds: float = 900) -> None:
        self.limits = {"account": per_account, "address": per_address}
        self.window = timedelta(seconds=window_seconds)

    def admit(self, session: Session, account: str, address: str) -> bool:
        """Count one try on each key; True when both are within their limit."""
        counts = {kind: self._count(session, key) for kind, key in _keys(account, address).items()}
        return all(counts[kind] <= self.limits[kind] for kind in counts)

    def succeeded(self, session: Session, account: str, address: str) -> None:
        """The password was right: the account's tries are forgotten, the address's try given back."""
        keys = _keys(account, address)
        session.execute(delete(SignInAttempts).where(col(SignInAttempts.key) == keys["account"]))
        table = SignInAttempts.__table__  # type: ignore[attr-defined]
        session.execute(
            table.update()
            .where(table.c.key == keys["address"], table.c.attempts > 0)
            .values(attempts=table.c.attempts - 1)
        )

    def sweep(self, session: Session) -> None:
        """Forget windows that have passed."""
        session.execute(
            delete(SignInAttempts).where(col(SignInAttempts.window_start) < utcnow() - self.window)
        )

    def _count(self, session: Session, key: str) -> int:
        now = utcnow()
        table = SignInAttempts.__table__  # type: ignore[attr-defined]
        insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(table)
        passed = table.c.window_start < now - self.window  # the stored window is over: a new one begins
        statement = insert.values(key=key, window_start=now, attempts=1).on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "attempts": case((passed, 1), else_=table.c.attempts + 1),
                "window_start": case((passed, now), else_=table.c.window_start),
            },
        )
        return session.execute(statement.returning(table.c.attempts)).scalar_one()


def _keys(account: str, address: str) -> dict[str, str]:
    return {
        "account": _hashed(f"account:{account.strip().lower()}"),
        "address": _hashed(f"address:{address}"),
    }


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
