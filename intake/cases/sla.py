"""Due dates (期限): how long a case may stay in a status, in Japanese business days (営業日).

When a case enters an open status it is due ``[sla]`` days later (its kind's table, else the
default), counted from the JST day it entered it by :func:`intake.replies.calendar.add_business_days`
— weekends, national holidays and 29 December to 3 January do not count. ``Case.due_at`` keeps the
due day as 00:00 JST of it: the case is overdue (期限超過) once that day has passed, due today on
it. Accepted, rejected and closed cases have no due date.

:func:`follow_status` is the one place a due date is set: the status changes of staff
(:func:`intake.secretariat.actions.set_status`) and of the product (:func:`intake.cases.refresh.refresh_case`)
call it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from intake.clock import JST, as_utc
from intake.config import SlaConfig
from intake.db.tables import Case, utcnow
from intake.replies.calendar import add_business_days

FINAL_STATUSES = frozenset({"accepted", "rejected", "closed"})


def due_day(sla: SlaConfig, *, kind: str, status: str, since: datetime) -> date | None:
    """The business day a case of ``kind`` that entered ``status`` at ``since`` is due, or None."""
    if status in FINAL_STATUSES:
        return None
    days = sla.days(kind, status)
    if days is None:
        return None
    return add_business_days(as_utc(since).astimezone(JST).date(), days)


def day_start(day: date) -> datetime:
    """00:00 JST of ``day``, as an aware UTC time (how ``Case.due_at`` is kept)."""
    return datetime.combine(day, time(0, 0), tzinfo=JST).astimezone(UTC)


def follow_status(case: Case, sla: SlaConfig, *, before: str | None, at: datetime | None = None) -> None:
    """Give ``case`` the due date of the status it is in now, counted from ``at`` (default: now),
    when the status moved from ``before`` (None: a case just opened) or it has none yet. A case
    that stays in its status keeps its due date, even when its kind is read better later."""
    if before is not None and before == case.status and case.due_at is not None:
        return
    if case.robot:  # robot mail that answers nothing of ours waits for nobody
        case.due_at = None
        return
    day = due_day(sla, kind=case.kind, status=case.status, since=at or utcnow())
    case.due_at = day_start(day) if day else None


def today_start(now: datetime | None = None) -> datetime:
    """00:00 JST today: a case due before it is overdue."""
    return day_start(as_utc(now or utcnow()).astimezone(JST).date())


def is_overdue(due_at: datetime | None, now: datetime | None = None) -> bool:
    return due_at is not None and as_utc(due_at) < today_start(now)


def is_due_today(due_at: datetime | None, now: datetime | None = None) -> bool:
    start = today_start(now)
    return due_at is not None and start <= as_utc(due_at) < start + timedelta(days=1)


def due_date(due_at: datetime | None) -> date | None:
    """The JST day of a stored ``due_at``."""
    return as_utc(due_at).astimezone(JST).date() if due_at else None
