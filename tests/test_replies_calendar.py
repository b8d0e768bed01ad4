"""Japanese business days: weekends, national holidays, the 12/29–1/3 closure (Q14: about 5 days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from intake.replies.calendar import (
    add_business_days,
    expected_registration_date,
    format_jdate,
    is_business_day,
)


def test_plain_weekdays_count_one_by_one():
    assert add_business_days(date(2026, 12, 1), 1) == date(2026, 12, 2)  # Tue → Wed
    assert add_business_days(date(2026, 12, 1), 3) == date(2026, 12, 4)  # → Fri


def test_five_business_days_over_a_weekend_and_the_japanese_date():
    done = expected_registration_date(date(2026, 11, 26))  # Thursday
    assert done == date(2026, 12, 3)  # Fri 27, Mon 30, Tue 1, Wed 2, Thu 3
    assert format_jdate(done) == "2026年12月3日（木）"
    assert format_jdate("2027-01-04") == "2027年1月4日（月）"


def test_weekend_is_skipped():
    assert not is_business_day(date(2026, 11, 14))  # Saturday
    assert not is_business_day(date(2026, 11, 15))  # Sunday
    assert add_business_days(date(2026, 11, 13), 1) == date(2026, 11, 16)  # Fri → Mon


def test_national_holiday_is_skipped():
    assert not is_business_day(date(2026, 11, 23))  # 勤労感謝の日 (Labour Thanksgiving Day), a Monday
    assert add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 24)  # Fri → Tue


def test_golden_week_with_a_substitute_holiday():
    for day in (4, 5, 6):  # みどりの日, こどもの日, 振替休日 (for 憲法記念日 on Sunday 3 May)
        assert not is_business_day(date(2026, 5, day))
    assert add_business_days(date(2026, 5, 1), 1) == date(2026, 5, 7)


def test_year_end_closure_spans_into_january():
    closed = [date(2025, 12, 29) + timedelta(days=i) for i in range(6)]  # 12/29 … 1/3
    assert not any(is_business_day(d) for d in closed)
    assert is_business_day(date(2025, 12, 26)) and is_business_day(date(2026, 1, 5))
    # 12/29, 12/30, 12/31 and 1/2 are ordinary weekdays in that week, closed all the same.
    assert add_business_days(date(2025, 12, 26), 1) == date(2026, 1, 5)
    assert add_business_days(date(2025, 12, 26), 5) == date(2026, 1, 9)
    assert expected_registration_date(date(2026, 12, 25)) == date(2027, 1, 7)  # Mon 28, then 4–7 Jan


def test_zero_days_is_the_start_and_negative_is_refused():
    assert add_business_days(date(2026, 11, 21), 0) == date(2026, 11, 21)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 11, 21), -1)
