"""``outside_recruitment_period``: a new application outside every recruitment period (Q2).

Applications (申込区分 = 新規加入, a new membership) are accepted only within the periods the
steering committee sets (募集期間, configured as ``[membership] recruitment_periods``, dates
inclusive, JST). Changes (申込み事項の変更) and staff registrations are accepted at any time (Q14).
With no period configured the check does not run. The reply names the next period, or says it
will be announced on the NISC site.
"""

from __future__ import annotations

from datetime import date

from intake.checks.base import CheckContext, RuleFinding, check, field_value
from intake.checks.facts import CaseFacts
from intake.clock import JST

NEW_MEMBERSHIP = "新規加入"


def next_period(day: date, periods: tuple[tuple[date, date], ...]) -> tuple[date, date] | None:
    """The first period starting after ``day``."""
    later = sorted(p for p in periods if p[0] > day)
    return later[0] if later else None


def within(day: date, periods: tuple[tuple[date, date], ...]) -> bool:
    return any(start <= day <= end for start, end in periods)


def _ja(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@check("outside_recruitment_period", "A new application (新規加入) arrived outside every recruitment period.")
def outside_recruitment_period(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    if field_value(ctx.form, "application_kind") != NEW_MEMBERSHIP or not facts.recruitment_periods:
        return []
    day = facts.received_at.astimezone(JST).date()
    if within(day, facts.recruitment_periods):
        return []
    upcoming = next_period(day, facts.recruitment_periods)
    if upcoming:
        ja = f"{_ja(upcoming[0])}～{_ja(upcoming[1])}"
        en = f"{upcoming[0].isoformat()} to {upcoming[1].isoformat()}"
    else:
        ja, en = ctx.data.unknown_next_period_ja, ctx.data.unknown_next_period_en
    return [
        ctx.finding(
            "outside_recruitment_period",
            {
                "received_on": day.isoformat(),
                "next_period": ja,
                "next_period_en": en,
            },
        )
    ]
