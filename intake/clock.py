"""Japan time (JST, UTC+9): case years, recruitment periods and every time shown to staff."""

from datetime import datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def jst_iso(when: datetime | None) -> str | None:
    return when.astimezone(JST).isoformat(timespec="seconds") if when else None
