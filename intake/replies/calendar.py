"""Japanese business days (営業日, eigyōbi): the days the secretariat works.

Closed are Saturdays, Sundays, national holidays (祝日, including substitute holidays 振替休日 and
"citizens' holidays" 国民の休日, as known to :mod:`jpholiday`) and the year-end closure from
29 December to 3 January (年末年始), which government offices observe.

A staff registration takes "about 5 business days" from acknowledgement to entry in the Council's
system (Q14): :func:`expected_registration_date` counts them.
"""

from __future__ import annotations

from datetime import date, timedelta

import jpholiday

REGISTRATION_BUSINESS_DAYS = 5  # Q14: 約５営業日
_WEEKDAYS_JA = "月火水木金土日"  # Monday … Sunday


def is_year_end_closure(day: date) -> bool:
    """29 December to 3 January inclusive."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: date) -> bool:
    """True on a day the secretariat is open."""
    if day.weekday() >= 5 or is_year_end_closure(day):
        return False
    return not jpholiday.is_holiday(day)


def add_business_days(start: date, n: int) -> date:
    """The n-th business day after ``start`` (``start`` itself never counts; n = 0 gives ``start``)."""
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def expected_registration_date(acknowledged_on: date) -> date:
    """When a staff registration acknowledged on that day should be in the Council's system."""
    return add_business_days(acknowledged_on, REGISTRATION_BUSINESS_DAYS)


def format_jdate(day: date | str) -> str:
    """A date the way Japanese letters write it: 2026年12月3日（木）; also takes "2026-12-03"."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS_JA[day.weekday()]}）"
