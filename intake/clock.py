"""The time: now (one function, so tests move it instead of waiting), and Japan time (JST, UTC+9)
for case years, recruitment periods and every time shown to staff."""

from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def utcnow() -> datetime:
    """Now, as an aware UTC time. Everything that asks for the time asks here."""
    return datetime.now(UTC)


def jst_iso(when: datetime | None) -> str | None:
    """Japan time, ISO 8601; a naive time (as SQLite gives back) is UTC, never the machine's zone."""
    return as_utc(when).astimezone(JST).isoformat(timespec="seconds") if when else None


def as_utc(when: datetime) -> datetime:
    """An aware UTC time; SQLite gives back naive datetimes, which are UTC in this database."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
